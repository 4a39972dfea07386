"""The scheduler: turns due schedules into submissions, exactly once per schedule and due time.

Any number of schedulers may run against one database (in `runner serve`, or as
`runner scheduler` processes). Two mechanisms keep them from running a due time twice:
a lease on the schedule row (`acquired_by`, `acquired_until`), so that one scheduler at a
time fires a schedule, and a unique key on (schedule_id, scheduled_for) in the submissions,
so that even a scheduler that lost its lease, or one that restarts after a crash between
submitting and recording the run, cannot make a second submission for the same due time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from runner.domain.clock import utcnow
from runner.domain.entities import EntityType, Submission
from runner.domain.schedule import Catchup, Overlap, Schedule, ScheduleState, fires_between, next_fire
from runner.errors import PreconditionFailed, RaceLost, RunnerError
from runner.services import scenarios, submissions, tasks
from runner.services.context import Context

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
# At most this many passed due times are looked at after a downtime (the newest ones).
SCAN = 100_000
# How often the loop looks for due schedules, at most.
POLL_SECONDS = 1.0


class Scheduler:
    def __init__(self, ctx: Context, name: str | None = None) -> None:
        self.ctx = ctx
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="runner-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # pragma: no cover - keep scheduling, and say why loudly
                log.exception("scheduler tick failed")
            self._stopping.wait(POLL_SECONDS)

    def tick(self, now: datetime | None = None) -> list[Submission]:
        """Fire every due schedule; return the submissions made."""
        now = now or utcnow()
        store = self.ctx.store
        made: list[Submission] = []
        for due in store.due_schedules(now):
            if not store.acquire_schedule(due.id, self.name, now, now + timedelta(seconds=LEASE_SECONDS)):
                continue  # another scheduler fires it
            try:
                schedule = store.get_schedule(due.id)
                if (
                    schedule is not None
                    and schedule.state is ScheduleState.ACTIVE
                    and schedule.next_run_at is not None
                    and schedule.next_run_at <= now
                ):
                    made += self._fire(schedule, now)
            finally:
                store.release_schedule(due.id, self.name)
        return made

    def _fire(self, schedule: Schedule, now: datetime) -> list[Submission]:
        spec = schedule.spec
        assert schedule.next_run_at is not None
        passed = [schedule.next_run_at, *fires_between(spec, schedule.created_at, schedule.next_run_at, now, SCAN)]
        grace_line = now - timedelta(seconds=spec.misfire_grace)
        late = [t for t in passed if t < grace_line]
        if spec.catchup is Catchup.ALL:
            runs = passed[-spec.catchup_max :]
        elif not late:
            runs = passed  # every one on time (a period shorter than the scheduler's tick)
        elif spec.catchup is Catchup.ONE:
            runs = passed[-1:]
        else:
            runs = [t for t in passed[-1:] if t >= grace_line]
        notes: list[str] = []
        if late:
            notes.append(
                f"missed {len(late)} due time(s) while no scheduler ran; catchup = {spec.catchup}: "
                f"{len(runs)} run(s) made for them and what is due now"
            )
        made: list[Submission] = []
        queued: datetime | None = None
        # Overlap is about a run of an earlier tick; the catch-up runs of this one go together.
        count, going = self.ctx.store.schedule_runs(schedule.id)
        for at in runs:
            if spec.max_occurrences is not None and count + len(made) >= spec.max_occurrences:
                break
            if going and spec.overlap is not Overlap.ALLOW:
                if spec.overlap is Overlap.QUEUE:
                    queued = at
                    notes.append(f"queued: the run due at {at.isoformat()} waits for the previous run")
                    break
                notes.append(f"skipped the run due at {at.isoformat()}: the previous run is still going")
                continue
            if self.ctx.store.has_run(schedule.id, at):
                continue  # made before a crash, or by another scheduler
            try:
                made.append(self._submit(schedule, at))
            except RaceLost:
                continue
            except RunnerError as exc:
                notes.append(f"the run due at {at.isoformat()} could not start: {exc.detail}")
        self._record(schedule, now, made, queued, notes)
        return made

    def _submit(self, schedule: Schedule, at: datetime) -> Submission:
        ctx = self.ctx
        kind, value = schedule.spec.target
        params = schedule.spec.params or None
        made_here: tuple[str, str] | None = None
        if kind in ("task", "task_id"):
            task = tasks.create_task(ctx, value) if kind == "task" else tasks.get_task(ctx, value)
            made_here = ("task", task.id) if kind == "task" else None
            entity_type, entity_id, members = EntityType.TASK, task.id, [task]
        else:
            scenario = scenarios.create_scenario(ctx, value) if kind == "scenario" else scenarios.get_scenario(ctx, value)
            made_here = ("scenario", scenario.id) if kind == "scenario" else None
            entity_type, entity_id = EntityType.SCENARIO, scenario.id
            members = list(ctx.store.get_tasks(scenario.task_ids).values())
        try:
            return submissions.submit(ctx, entity_type, entity_id, members, params=params, schedule=(schedule.id, at))
        except RunnerError:
            # Do not leave behind the instance made for a run that did not happen.
            if made_here is not None:
                (tasks.delete_task if made_here[0] == "task" else scenarios.delete_scenario)(ctx, made_here[1])
            raise

    def _record(
        self, schedule: Schedule, now: datetime, made: list[Submission], queued: datetime | None, notes: list[str]
    ) -> None:
        store = self.ctx.store
        for _ in range(3):
            count, _going = store.schedule_runs(schedule.id)
            read = schedule.version
            schedule.occurrences = count
            if made:
                schedule.last_run_at = now
            if schedule.state is ScheduleState.ACTIVE:
                limit = schedule.spec.max_occurrences
                if limit is not None and count >= limit:
                    schedule.state = ScheduleState.INACTIVE
                    schedule.next_run_at = None
                    notes.append(f"inactive: max_occurrences ({limit}) reached")
                elif queued is not None:
                    schedule.next_run_at = queued
                else:
                    schedule.next_run_at = next_fire(schedule.spec, schedule.created_at, now)
                    if schedule.next_run_at is None:
                        schedule.state = ScheduleState.INACTIVE
                        notes.append("inactive: no run is due any more (one-shot done, or end_at passed)")
            schedule.status_msg = "; ".join(notes)
            schedule.version += 1
            schedule.updated_at = now
            try:
                store.save_schedule(schedule, expected_version=read)
                return
            except PreconditionFailed:
                # Someone paused or edited it meanwhile: keep their change, add the runs.
                fresh = store.get_schedule(schedule.id)
                if fresh is None:
                    return
                schedule = fresh
        log.error("could not record the runs of schedule %s", schedule.id)
