"""The store's scenarios and sequences."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence as Sequence_
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from runner.domain.entities import DataNode, Scenario, Sequence, Task
from runner.domain.status import UNFINISHED_JOB_STATUSES
from runner.errors import Conflict
from runner.store import tables as t
from runner.store.db import reading, writing
from runner.store.rows import scenario_from_row, sequence_from_row, task_values
from runner.store.statements import Page, chunks, delete_orphan_submissions, page_of


class ScenarioStore:
    """Scenarios and sequences, and the newest job status of their tasks."""

    # Set in Store.__init__.
    engine: Engine
    # TaskStore's, which Store mixes in too.
    _insert_data_nodes: Callable[[Sequence_[tuple[DataNode, str | None]], Connection], None]

    def add_scenario(
        self, scenario: Scenario, tasks: Sequence_[Task], data_nodes: Sequence_[tuple[DataNode, str | None]]
    ) -> None:
        with writing(self.engine) as conn:
            self._insert_data_nodes(data_nodes, conn)
            if tasks:
                conn.execute(insert(t.tasks), [task_values(task) for task in tasks])
            try:
                conn.execute(
                    insert(t.scenarios).values(
                        id=scenario.id,
                        config_id=scenario.config_id,
                        cycle=scenario.cycle,
                        task_ids=scenario.task_ids,
                        data_node_ids=scenario.data_node_ids,
                        created_at=scenario.created_at,
                        updated_at=scenario.updated_at,
                        version=scenario.version,
                    )
                )
            except IntegrityError:
                raise Conflict(f"a scenario with id {scenario.id!r} already exists") from None
            if scenario.sequences:
                conn.execute(
                    insert(t.sequences),
                    [
                        {
                            "id": q.id,
                            "name": q.name,
                            "scenario_id": q.scenario_id,
                            "task_ids": q.task_ids,
                            "created_at": q.created_at,
                        }
                        for q in scenario.sequences
                    ],
                )

    def get_scenario(self, scenario_id: str) -> Scenario | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.scenarios).where(t.scenarios.c.id == scenario_id)).first()
            if row is None:
                return None
            seqs = conn.execute(
                select(t.sequences).where(t.sequences.c.scenario_id == scenario_id).order_by(t.sequences.c.name)
            ).all()
        return scenario_from_row(row, [sequence_from_row(q) for q in seqs])

    def list_scenarios(self, page: Page, config_id: str | None = None) -> tuple[list[Scenario], int]:
        where = [] if config_id is None else [t.scenarios.c.config_id == config_id]
        with reading(self.engine) as conn:
            rows, total = page_of(conn, t.scenarios, where, page)
            ids = [r.id for r in rows]
            seqs: dict[str, list[Sequence]] = {i: [] for i in ids}
            for chunk in chunks(ids):
                for q in conn.execute(select(t.sequences).where(t.sequences.c.scenario_id.in_(chunk))):
                    seqs[q.scenario_id].append(sequence_from_row(q))
        return [scenario_from_row(r, sorted(seqs[r.id], key=lambda q: q.name)) for r in rows], total

    def delete_scenario(self, scenario_id: str) -> None:
        """Delete a scenario with its tasks, sequences, owned data nodes and job history."""
        with writing(self.engine) as conn:
            row = conn.execute(select(t.scenarios).where(t.scenarios.c.id == scenario_id)).first()
            if row is None:
                return
            task_ids = list(row.task_ids)
            unfinished = 0
            for chunk in chunks(task_ids):
                unfinished += conn.execute(
                    select(func.count())
                    .select_from(t.jobs)
                    .where(t.jobs.c.task_id.in_(chunk), t.jobs.c.status.in_([s.value for s in UNFINISHED_JOB_STATUSES]))
                ).scalar_one()
            if unfinished:
                raise Conflict(f"scenario {scenario_id} has {unfinished} unfinished job(s); cancel them first")
            sub_ids: set[str] = set()
            for chunk in chunks(task_ids):
                sub_ids.update(
                    r.submission_id
                    for r in conn.execute(select(t.jobs.c.submission_id).where(t.jobs.c.task_id.in_(chunk)).distinct())
                )
                conn.execute(delete(t.jobs).where(t.jobs.c.task_id.in_(chunk)))
                conn.execute(delete(t.tasks).where(t.tasks.c.id.in_(chunk)))
            delete_orphan_submissions(conn, sorted(sub_ids))
            conn.execute(delete(t.sequences).where(t.sequences.c.scenario_id == scenario_id))
            conn.execute(delete(t.data_nodes).where(t.data_nodes.c.owner_id == scenario_id))
            conn.execute(delete(t.scenarios).where(t.scenarios.c.id == scenario_id))

    def get_sequence(self, sequence_id: str) -> Sequence | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.sequences).where(t.sequences.c.id == sequence_id)).first()
        return sequence_from_row(row) if row else None

    def list_sequences(self, page: Page, scenario_id: str | None = None) -> tuple[list[Sequence], int]:
        where = [] if scenario_id is None else [t.sequences.c.scenario_id == scenario_id]
        with reading(self.engine) as conn:
            rows, total = page_of(conn, t.sequences, where, page)
        return [sequence_from_row(r) for r in rows], total

    def latest_job_status(self, task_ids: Sequence_[str]) -> dict[str, str]:
        """The status of each task's newest job, for drawing a DAG."""
        out: dict[str, tuple[datetime, str]] = {}
        with reading(self.engine) as conn:
            for chunk in chunks(list(task_ids)):
                for r in conn.execute(
                    select(t.jobs.c.task_id, t.jobs.c.status, t.jobs.c.created_at).where(t.jobs.c.task_id.in_(chunk))
                ):
                    if r.task_id not in out or r.created_at >= out[r.task_id][0]:
                        out[r.task_id] = (r.created_at, r.status)
        return {k: v[1] for k, v in out.items()}
