"""The store's schedules and their leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from runner.domain.schedule import Schedule
from runner.errors import Conflict, PreconditionFailed
from runner.store import tables as t
from runner.store.db import reading, writing
from runner.store.rows import schedule_from_row, schedule_values
from runner.store.statements import Page, page_of


class ScheduleStore:
    """Schedules, the leases schedulers take on them, and the runs they made."""

    # Set in Store.__init__.
    engine: Engine

    def add_schedule(self, schedule: Schedule) -> None:
        with writing(self.engine) as conn:
            try:
                conn.execute(insert(t.schedules).values(schedule_values(schedule)))
            except IntegrityError:
                raise Conflict(f"a schedule with id {schedule.id!r} already exists") from None

    def get_schedule(self, schedule_id: str) -> Schedule | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(t.schedules).where(t.schedules.c.id == schedule_id)).first()
        return schedule_from_row(row) if row else None

    def list_schedules(self, page: Page, state: str | None = None) -> tuple[list[Schedule], int]:
        where = [] if state is None else [t.schedules.c.state == state]
        with reading(self.engine) as conn:
            rows, total = page_of(conn, t.schedules, where, page)
        return [schedule_from_row(r) for r in rows], total

    def save_schedule(self, schedule: Schedule, expected_version: int) -> None:
        """Write a schedule if nobody changed it since `expected_version` was read."""
        values = schedule_values(schedule)
        values.pop("id")
        with writing(self.engine) as conn:
            done = conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule.id, t.schedules.c.version == expected_version)
                .values(**values)
            ).rowcount
        if not done:
            raise PreconditionFailed(
                f"schedule {schedule.id} changed since version {expected_version}; read it again"
            )

    def delete_schedule(self, schedule_id: str) -> bool:
        with writing(self.engine) as conn:
            return conn.execute(delete(t.schedules).where(t.schedules.c.id == schedule_id)).rowcount > 0

    def due_schedules(self, now: datetime) -> list[Schedule]:
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(t.schedules)
                .where(
                    t.schedules.c.state == "active",
                    t.schedules.c.next_run_at <= now,
                    (t.schedules.c.acquired_until.is_(None)) | (t.schedules.c.acquired_until < now),
                )
                .order_by(t.schedules.c.next_run_at)
            ).all()
        return [schedule_from_row(r) for r in rows]

    def next_due(self) -> datetime | None:
        with reading(self.engine) as conn:
            return conn.execute(
                select(func.min(t.schedules.c.next_run_at)).where(t.schedules.c.state == "active")
            ).scalar_one()

    def acquire_schedule(self, schedule_id: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take the lease on a schedule; False when another scheduler holds it."""
        with writing(self.engine) as conn:
            return (
                conn.execute(
                    update(t.schedules)
                    .where(
                        t.schedules.c.id == schedule_id,
                        (t.schedules.c.acquired_until.is_(None)) | (t.schedules.c.acquired_until < now),
                    )
                    .values(acquired_by=owner, acquired_until=until)
                ).rowcount
                == 1
            )

    def release_schedule(self, schedule_id: str, owner: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                update(t.schedules)
                .where(t.schedules.c.id == schedule_id, t.schedules.c.acquired_by == owner)
                .values(acquired_by=None, acquired_until=None)
            )

    def schedule_runs(self, schedule_id: str) -> tuple[int, bool]:
        """How many runs a schedule made, and whether its newest one is still going."""
        with reading(self.engine) as conn:
            count = conn.execute(
                select(func.count()).select_from(t.submissions).where(t.submissions.c.schedule_id == schedule_id)
            ).scalar_one()
            newest = conn.execute(
                select(t.submissions.c.finished_at)
                .where(t.submissions.c.schedule_id == schedule_id)
                .order_by(t.submissions.c.created_at.desc())
                .limit(1)
            ).first()
        return int(count), newest is not None and newest.finished_at is None

    def has_run(self, schedule_id: str, scheduled_for: datetime) -> bool:
        with reading(self.engine) as conn:
            return (
                conn.execute(
                    select(t.submissions.c.id).where(
                        t.submissions.c.schedule_id == schedule_id, t.submissions.c.scheduled_for == scheduled_for
                    )
                ).first()
                is not None
            )
