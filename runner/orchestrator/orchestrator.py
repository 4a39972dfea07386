"""The orchestrator: moves the jobs of every open submission to their end.

One thread owns all in-memory job state, so no lock guards it; other threads talk to it
through `notify_*` / `cancel` calls that queue a command and wake it. Each turn of its loop
(1) applies commands, executor events and due timers, (2) picks jobs for free workers,
(3) writes every state change of the turn in one transaction, and only then (4) hands the
picked jobs to the executor. So the store never lags behind what runs: a job is RUNNING in
the store before its function starts, and COMPLETED before any job reading its output starts.

Cost per event is constant: each job keeps its unfinished upstream jobs and its downstream
ones, and each submission a count of jobs per status, so nothing rescans all jobs.
"""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from runner.config.models import RetryPolicy
from runner.config.registry import Registry
from runner.domain.clock import utcnow
from runner.domain.entities import DataNode, Job, JobError, LogEntry, Task
from runner.domain.status import JobStatus, derive_submission_status
from runner.orchestrator import policy
from runner.orchestrator.executors.base import Died, Event, Executor, Finished, Reported
from runner.orchestrator.memory import InMemoryData
from runner.orchestrator.spec import DataRef, JobSpec, Outcome
from runner.store.db import reading, writing
from runner.store.repositories import Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# How often the store is asked for submissions made by other processes (a `runner
# scheduler` apart, the CLI): one indexed query, whatever the number of jobs.
FOREIGN_POLL_SECONDS = 1.0
_NO_RETRY = RetryPolicy()


@dataclass(slots=True)
class _JobState:
    job: Job
    task: Task
    # Unfinished upstream jobs of the same submission.
    waiting_for: set[str] = field(default_factory=set)
    downstream: list[str] = field(default_factory=list)
    # Inputs that were never written and that no job of the submission produces.
    missing_inputs: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _SubmissionState:
    id: str
    job_ids: list[str]
    counts: Counter[JobStatus]
    data_node_ids: set[str]


@dataclass(frozen=True, slots=True)
class _Submitted:
    submission_id: str
    # The jobs and tasks as just persisted, when the submitter runs in this process:
    # saves reading back what was written a moment ago. None: load from the store.
    jobs: list[Job] | None = None
    tasks: dict[str, Task] | None = None


@dataclass(frozen=True, slots=True)
class _Written:
    data_node_ids: tuple[str, ...]
    at: datetime


@dataclass(slots=True)
class _Cancel:
    job_ids: tuple[str, ...]
    done: threading.Event = field(default_factory=threading.Event)
    # Filled by the orchestrator: the jobs it canceled (or abandoned) for this request.
    canceled: list[str] = field(default_factory=list)


Command = _Submitted | _Written | _Cancel


class Orchestrator:
    def __init__(self, store: Store, executor: Executor, memory: InMemoryData, registry: Registry) -> None:
        self.store = store
        self.executor = executor
        self.memory = memory
        self.registry = registry
        self._inbox: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        # Commands queued but not yet applied (guarded by _idle), so that wait_idle cannot
        # return between a command leaving the inbox and its submission being loaded.
        self._in_flight = 0
        # Job and submission state.
        self._jobs: dict[str, _JobState] = {}
        self._subs: dict[str, _SubmissionState] = {}
        self._dns: dict[str, DataNode] = {}
        self._dn_refs: Counter[str] = Counter()
        self._blocked_on: dict[str, set[str]] = {}
        # Scheduling.
        self._ready: deque[str] = deque()
        self._throttled: dict[str, deque[str]] = {}
        self._running_per_config: Counter[str] = Counter()
        self._running: set[str] = set()
        self._timeouts: list[tuple[float, str, int]] = []
        self._retries: list[tuple[float, str]] = []
        self._timing_out: set[str] = set()
        self._canceling: dict[str, list[_Cancel]] = {}
        # Cancel requests answered this turn: released once the turn's changes are written.
        self._answered: list[_Cancel] = []
        self._next_heartbeat = 0.0
        self._next_foreign_poll = 0.0
        # Jobs marked RUNNING whose state is not yet written: handed to the executor only
        # once it is, even when a write fails and must be tried again.
        self._to_dispatch: list[JobSpec] = []
        self._write_failed = False
        # Changes not yet written.
        self._dirty_jobs: dict[str, Job] = {}
        self._dirty_subs: set[str] = set()
        self._edits: list[tuple[str, datetime, str | None]] = []
        self._logs: list[LogEntry] = []
        self._log_idx: dict[str, int] = {}
        # Called with the ids of submissions that reached a final status (scheduler, tests).
        self.on_finished: list[Callable[[list[str]], None]] = []

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.executor.start()
        self._recover()
        self._thread = threading.Thread(target=self._run, name="runner-orchestrator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.executor.wake()
        if self._thread is not None:
            self._thread.join(10)
        self.executor.stop()

    # -- commands from other threads -------------------------------------------------------

    def notify_submitted(
        self, submission_id: str, jobs: list[Job] | None = None, tasks: dict[str, Task] | None = None
    ) -> None:
        """A submission was persisted. `jobs` must be copies: the orchestrator changes them."""
        self._put(_Submitted(submission_id, jobs, tasks))

    def notify_written(self, data_node_ids: list[str], at: datetime) -> None:
        self._put(_Written(tuple(data_node_ids), at))

    def cancel(self, job_ids: list[str], wait: float = 15.0) -> list[str]:
        """Cancel jobs; wait until it is recorded (for a RUNNING job: until its process is gone).

        Returns the ids of the jobs that this call canceled: jobs already final are left out.
        """
        command = _Cancel(tuple(job_ids))
        self._put(command)
        command.done.wait(wait)
        return list(command.canceled)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no submission is open."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._subs and self._in_flight == 0, timeout)

    def _put(self, command: Command) -> None:
        with self._idle:
            self._in_flight += 1
        self._inbox.put(command)
        self.executor.wake()

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        events: list[Event] = []
        while not self._stopping.is_set():
            try:
                self._turn(events)
            except Exception:  # pragma: no cover - a bug: keep going, and say so loudly
                log.exception("orchestrator turn failed")
            events = self.executor.poll(self._sleep_time())

    def _sleep_time(self) -> float | None:
        if not self._inbox.empty():
            return 0.0
        if self._write_failed:
            return 1.0
        now = time.monotonic()
        due = [t[0] for t in self._timeouts[:1]] + [t[0] for t in self._retries[:1]] + [self._next_foreign_poll]
        if self._running:
            due.append(self._next_heartbeat)
        return max(0.0, min(due) - now) if due else None

    def _turn(self, events: list[Event]) -> None:
        now = utcnow()
        applied = 0
        while True:
            try:
                command = self._inbox.get_nowait()
            except queue.Empty:
                break
            applied += 1
            if isinstance(command, _Submitted):
                if command.jobs is not None and command.tasks is not None:
                    self._load_fresh(command.submission_id, command.jobs, command.tasks, now)
                else:
                    self._load_submissions([command.submission_id], now)
            elif isinstance(command, _Written):
                self._on_written(command.data_node_ids, command.at, now)
            else:
                self._on_cancel(command, now)
        for event in events:
            if isinstance(event, Finished):
                self._on_outcome(event.outcome, now)
            elif isinstance(event, Died):
                self._on_died(event, now)
            else:
                self._on_reported(event)
        self._fire_timers(now)
        if time.monotonic() >= self._next_foreign_poll:
            self._next_foreign_poll = time.monotonic() + FOREIGN_POLL_SECONDS
            self._adopt_foreign(now)
        self._to_dispatch += self._pick(now)
        try:
            self._flush(now)
        except Exception:
            # The database refused (locked past the busy timeout, disk full, ...): nothing
            # is lost, the same changes are written on the next turn, a second later.
            self._write_failed = True
            log.exception("writing the orchestrator's state failed; retrying")
            return
        self._write_failed = False
        for spec in self._to_dispatch:
            self.executor.dispatch(spec)
        self._to_dispatch = []
        for command in self._answered:
            command.done.set()
        self._answered = []
        if applied or not self._subs:
            with self._idle:
                self._in_flight -= applied
                if not self._subs and self._in_flight == 0:
                    self._idle.notify_all()

    def _fire_timers(self, now: datetime) -> None:
        mono = time.monotonic()
        while self._timeouts and self._timeouts[0][0] <= mono:
            _, job_id, attempt = heapq.heappop(self._timeouts)
            state = self._jobs.get(job_id)
            if state and state.job.status is JobStatus.RUNNING and state.job.attempts == attempt:
                self._timing_out.add(job_id)
                self.executor.kill(job_id)
        while self._retries and self._retries[0][0] <= mono:
            _, job_id = heapq.heappop(self._retries)
            state = self._jobs.get(job_id)
            if state and state.job.status is JobStatus.PENDING:
                state.job.not_before = None
                state.job.status_msg = "waiting for a free worker"
                self._dirty_jobs[job_id] = state.job
                self._ready.append(job_id)

    # -- loading and planning --------------------------------------------------------------

    def _recover(self) -> None:
        """After a restart: resolve what the previous process left unfinished."""
        now = utcnow()
        with reading(self.store.engine) as conn:
            unfinished = self.store.unfinished_jobs(conn)
        sub_ids = list(dict.fromkeys(j.submission_id for j in unfinished))
        if not sub_ids:
            return
        self._load_submissions(sub_ids, now)
        for job in unfinished:
            state = self._jobs.get(job.id)
            if state is None or state.job.status is not JobStatus.RUNNING:
                continue
            # Its process died with the server that ran it.
            self._running.add(job.id)
            self._running_per_config[state.task.config_id] += 1
            self._fail(state, now, policy.LOST, "lost: the process running it died (the server stopped while it ran)")
        self._flush(now)

    def _adopt_foreign(self, now: datetime) -> None:
        """Take up submissions that another process wrote and could not hand over in memory."""
        with reading(self.store.engine) as conn:
            waiting = self.store.submitted_ids(conn)
        foreign = [s for s in waiting if s not in self._subs]
        if foreign:
            self._load_submissions(foreign, now)

    def _load_submissions(self, submission_ids: list[str], now: datetime) -> None:
        with reading(self.store.engine) as conn:
            jobs = self.store.jobs_of_submissions(submission_ids, conn)
            tasks = self.store.get_tasks(list({j.task_id for j in jobs}), conn)
            dn_ids = {d for t in tasks.values() for d in (*t.input_ids, *t.output_ids)}
            fresh = [d for d in dn_ids if d not in self._dns]
            self._dns.update(self.store.get_data_nodes(fresh, conn))
            started = [j.id for j in jobs if j.attempts > 0 or j.status is not JobStatus.SUBMITTED]
            self._log_idx.update(self.store.next_log_idx(started, conn) if started else {})
        by_sub: dict[str, list[Job]] = {}
        for job in jobs:
            by_sub.setdefault(job.submission_id, []).append(job)
        for sub_id in submission_ids:
            self._plan(sub_id, by_sub.get(sub_id, []), tasks, now)

    def _load_fresh(self, sub_id: str, jobs: list[Job], tasks: dict[str, Task], now: datetime) -> None:
        dn_ids = {d for t in tasks.values() for d in (*t.input_ids, *t.output_ids)}
        fresh = [d for d in dn_ids if d not in self._dns]
        if fresh:
            with reading(self.store.engine) as conn:
                self._dns.update(self.store.get_data_nodes(fresh, conn))
        self._plan(sub_id, jobs, tasks, now)

    def _plan(self, sub_id: str, jobs: list[Job], tasks: dict[str, Task], now: datetime) -> None:
        if sub_id in self._subs:
            return
        sub_dns = {d for j in jobs for d in (*tasks[j.task_id].input_ids, *tasks[j.task_id].output_ids)}
        sub = _SubmissionState(id=sub_id, job_ids=[j.id for j in jobs], counts=Counter(), data_node_ids=sub_dns)
        self._subs[sub_id] = sub
        self._dirty_subs.add(sub_id)
        for d in sub_dns:
            self._dn_refs[d] += 1
        producer: dict[str, str] = {}
        for job in jobs:
            self._jobs[job.id] = _JobState(job=job, task=tasks[job.task_id])
            sub.counts[job.status] += 1
            for out in tasks[job.task_id].output_ids:
                producer[out] = job.id
        # After a restart some jobs are already final: a done upstream counts as satisfied,
        # a failed one abandons its downstream.
        doomed: dict[str, str] = {}
        for job in jobs:
            state = self._jobs[job.id]
            for dn_id in state.task.input_ids:
                upstream_id = producer.get(dn_id)
                if upstream_id is None or upstream_id == job.id:
                    if not self._written(dn_id):
                        state.missing_inputs.add(dn_id)
                    continue
                upstream = self._jobs[upstream_id]
                upstream.downstream.append(job.id)
                if upstream.job.status in (JobStatus.COMPLETED, JobStatus.SKIPPED):
                    continue
                if upstream.job.status.is_terminal:
                    doomed.setdefault(job.id, upstream_id)
                else:
                    state.waiting_for.add(upstream_id)
        for job in jobs:
            state = self._jobs[job.id]
            if job.status.is_terminal or job.status is JobStatus.RUNNING:
                continue
            if job.id in doomed:
                self._upstream_done(job.id, self._jobs[doomed[job.id]], now)
            elif job.status is JobStatus.PENDING:
                self._queue_pending(state)
            else:
                self._evaluate(state, now)

    def _queue_pending(self, state: _JobState) -> None:
        job = state.job
        if job.not_before is not None and job.not_before > utcnow():
            delay = (job.not_before - utcnow()).total_seconds()
            heapq.heappush(self._retries, (time.monotonic() + delay, job.id))
        else:
            self._ready.append(job.id)

    def _written(self, dn_id: str) -> bool:
        dn = self._dns.get(dn_id)
        if dn is None or not dn.is_written:
            return False
        # An in_memory value does not survive a restart, whatever the store remembers.
        return dn.storage_type != "in_memory" or self.memory.has(dn_id)

    def _evaluate(self, state: _JobState, now: datetime) -> None:
        """Decide what a not-yet-started job does now: wait, skip or get ready."""
        job = state.job
        if job.status not in (JobStatus.SUBMITTED, JobStatus.BLOCKED):
            return
        if state.waiting_for:
            first = min(state.waiting_for)
            more = f" (and {len(state.waiting_for) - 1} more)" if len(state.waiting_for) > 1 else ""
            self._move(state, JobStatus.BLOCKED, now, f"waiting for upstream job {first}{more}")
            return
        if state.missing_inputs:
            for dn_id in state.missing_inputs:
                self._blocked_on.setdefault(dn_id, set()).add(job.id)
            names = ", ".join(sorted(state.missing_inputs))
            self._move(state, JobStatus.BLOCKED, now, f"waiting for input data node(s) never written: {names}")
            return
        reason = self._skip_reason(state.task, now)
        if reason is not None:
            self._move(state, JobStatus.SKIPPED, now, reason)
            self._settle_downstream(state, now)
            return
        self._move(state, JobStatus.PENDING, now, "waiting for a free worker")
        self._ready.append(job.id)

    def _skip_reason(self, task: Task, now: datetime) -> str | None:
        if not task.skippable or not task.output_ids:
            return None
        newest_input = max(
            (self._dns[d].last_edit_date for d in task.input_ids if self._dns[d].last_edit_date), default=None
        )
        for dn_id in task.output_ids:
            dn = self._dns[dn_id]
            if dn.last_edit_date is None or not self._written(dn_id):
                return None
            if newest_input is not None and dn.last_edit_date < newest_input:
                return None
            if dn.validity_period is not None and now - dn.last_edit_date > timedelta(seconds=dn.validity_period):
                return None
        return "skipped: every output is newer than every input and still within its validity period"

    # -- transitions -----------------------------------------------------------------------

    def _move(self, state: _JobState, new: JobStatus, now: datetime, msg: str | None = None) -> None:
        job = state.job
        if job.status is new:
            if msg is not None and msg != job.status_msg:
                job.status_msg = msg
                self._dirty_jobs[job.id] = job
            return
        sub = self._subs[job.submission_id]
        sub.counts[job.status] -= 1
        if job.status is JobStatus.RUNNING:
            self._running.discard(job.id)
            self._release_slot(state.task.config_id)
        job.move(new, now, msg)
        sub.counts[new] += 1
        self._dirty_jobs[job.id] = job
        self._dirty_subs.add(job.submission_id)

    def _release_slot(self, config_id: str) -> None:
        self._running_per_config[config_id] -= 1
        waiting = self._throttled.get(config_id)
        if waiting:
            self._ready.appendleft(waiting.popleft())
            if not waiting:
                del self._throttled[config_id]

    def _upstream_done(self, down_id: str, upstream: _JobState, now: datetime) -> None:
        state = self._jobs.get(down_id)
        if state is None or state.job.status.is_terminal:
            return
        state.waiting_for.discard(upstream.job.id)
        if upstream.job.status in (JobStatus.COMPLETED, JobStatus.SKIPPED):
            if not state.waiting_for:
                self._evaluate(state, now)
            return
        # A failed, canceled or abandoned upstream: this job can never run.
        self._move(state, JobStatus.ABANDONED, now, f"abandoned: upstream job {upstream.job.id} is {upstream.job.status}")
        self._forget_waiting(state)
        self._settle_downstream(state, now)

    def _settle_downstream(self, state: _JobState, now: datetime) -> None:
        for down in state.downstream:
            self._upstream_done(down, state, now)

    def _forget_waiting(self, state: _JobState) -> None:
        for dn_id in state.missing_inputs:
            waiters = self._blocked_on.get(dn_id)
            if waiters is not None:
                waiters.discard(state.job.id)
                if not waiters:
                    del self._blocked_on[dn_id]

    def _on_written(self, dn_ids: tuple[str, ...], at: datetime, now: datetime) -> None:
        for dn_id in dn_ids:
            dn = self._dns.get(dn_id)
            if dn is not None:
                dn.last_edit_date = at
            for job_id in sorted(self._blocked_on.pop(dn_id, ())):
                state = self._jobs.get(job_id)
                if state is None:
                    continue
                state.missing_inputs.discard(dn_id)
                if not state.missing_inputs and not state.waiting_for:
                    self._evaluate(state, now)

    def _on_outcome(self, outcome: Outcome, now: datetime) -> None:
        state = self._jobs.get(outcome.job_id)
        if state is None or state.job.status is not JobStatus.RUNNING:
            return
        if outcome.ok:
            self._finish_cancel(outcome.job_id, canceled=False)
            for dn_id, value in outcome.memory_outputs.items():
                self.memory.put(dn_id, value)
            for dn_id in outcome.written:
                self._edits.append((dn_id, now, state.job.id))
            state.job.status_percent = 100.0
            self._move(state, JobStatus.COMPLETED, now, "completed")
            self._on_written(outcome.written, now, now)
            self._settle_downstream(state, now)
            return
        failure = outcome.failure
        assert failure is not None
        self._fail(state, now, failure.type, failure.message, failure.traceback)

    def _on_died(self, event: Died, now: datetime) -> None:
        state = self._jobs.get(event.job_id)
        if state is None or state.job.status is not JobStatus.RUNNING:
            return
        if event.job_id in self._canceling:
            self._move(state, JobStatus.CANCELED, now, "canceled: its worker process was stopped")
            self._finish_cancel(event.job_id, canceled=True)
            self._settle_downstream(state, now)
        elif event.job_id in self._timing_out:
            self._timing_out.discard(event.job_id)
            seconds = state.job.timeout
            self._fail(state, now, policy.TIMEOUT, f"timed out after {seconds:g}s; its worker process was killed")
        else:
            self._fail(state, now, "WorkerDied", event.reason)

    def _fail(self, state: _JobState, now: datetime, error_type: str, message: str, traceback: str = "") -> None:
        """A failed attempt: retry it if the task's policy says so, else fail the job."""
        job = state.job
        self._finish_cancel(job.id, canceled=False)
        retry = self._policy(state)
        entry = {
            "attempt": job.attempts,
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": now.isoformat(),
            "error": {"type": error_type, "message": message},
        }
        if policy.should_retry(retry, job.attempts, error_type):
            delay = policy.retry_delay(retry, job.attempts)
            job.history = [*job.history, entry]
            job.not_before = now + timedelta(seconds=delay)
            self._move(
                state,
                JobStatus.PENDING,
                now,
                f"retry {job.attempts + 1} of {retry.retries + 1} in {delay:.1f}s after {error_type}: {message}"[:1000],
            )
            heapq.heappush(self._retries, (time.monotonic() + delay, job.id))
            return
        job.history = [*job.history, entry]
        job.error = JobError(type=error_type, message=message, traceback=traceback)
        self._move(state, JobStatus.FAILED, now, f"failed: {error_type}: {message}"[:1000])
        self._settle_downstream(state, now)

    def _policy(self, state: _JobState) -> RetryPolicy:
        cfg = self.registry.tasks.get(state.task.config_id)
        return cfg.retry if cfg is not None else _NO_RETRY

    def _on_cancel(self, command: _Cancel, now: datetime) -> None:
        for job_id in command.job_ids:
            state = self._jobs.get(job_id)
            if state is None or state.job.status.is_terminal:
                continue
            if state.job.status is JobStatus.RUNNING:
                self._canceling.setdefault(job_id, []).append(command)
                self.executor.kill(job_id)
                continue
            self._move(state, JobStatus.CANCELED, now, "canceled before it ran")
            command.canceled.append(job_id)
            self._forget_waiting(state)
            self._settle_downstream(state, now)
        if not any(command in self._canceling.get(j, ()) for j in command.job_ids):
            self._answered.append(command)

    def _finish_cancel(self, job_id: str, canceled: bool) -> None:
        for command in self._canceling.pop(job_id, []):
            if canceled:
                command.canceled.append(job_id)
            if not any(command in self._canceling.get(j, ()) for j in command.job_ids):
                self._answered.append(command)

    def _on_reported(self, event: Reported) -> None:
        state = self._jobs.get(event.job_id)
        if state is None:
            return
        idx = self._log_idx.get(event.job_id, 0)
        for level, msg, percent, ts in event.entries:
            self._logs.append(
                LogEntry(
                    job_id=event.job_id,
                    idx=idx,
                    level=level,
                    msg=msg,
                    status_percent=percent,
                    timestamp=datetime.fromtimestamp(ts, UTC),
                )
            )
            idx += 1
            if percent is not None:
                state.job.status_percent = percent
                state.job.status_msg = msg
                self._dirty_jobs[state.job.id] = state.job
        self._log_idx[event.job_id] = idx

    # -- dispatch and persistence ----------------------------------------------------------

    def _pick(self, now: datetime) -> list[JobSpec]:
        picked: list[JobSpec] = []
        free = self.executor.free_slots() - len(self._to_dispatch)
        while free > 0 and self._ready:
            state = self._jobs.get(self._ready.popleft())
            if state is None or state.job.status is not JobStatus.PENDING:
                continue
            config_id = state.task.config_id
            cfg = self.registry.tasks.get(config_id)
            limit = cfg.max_concurrency if cfg is not None else None
            if limit is not None and self._running_per_config[config_id] >= limit:
                self._throttled.setdefault(config_id, deque()).append(state.job.id)
                self._move(state, JobStatus.PENDING, now, f"waiting: task {config_id} already runs {limit} job(s), its max_concurrency")
                continue
            self._move(state, JobStatus.RUNNING, now, "running")
            self._running.add(state.job.id)
            self._running_per_config[config_id] += 1
            if state.job.timeout:
                heapq.heappush(self._timeouts, (time.monotonic() + state.job.timeout, state.job.id, state.job.attempts))
            picked.append(self._spec(state))
            free -= 1
        return picked

    def _spec(self, state: _JobState) -> JobSpec:
        def ref(dn_id: str) -> DataRef:
            dn = self._dns[dn_id]
            return DataRef(id=dn.id, storage_type=dn.storage_type, path=dn.path, options=dn.options)

        task = state.task
        memory: dict[str, Any] = {
            d: self.memory.get(d) for d in task.input_ids if self._dns[d].storage_type == "in_memory"
        }
        return JobSpec(
            job_id=state.job.id,
            task_config_id=task.config_id,
            function=task.function,
            inputs=tuple(ref(d) for d in task.input_ids),
            outputs=tuple(ref(d) for d in task.output_ids),
            params=state.job.params,
            memory_inputs=memory,
        )

    def _flush(self, now: datetime) -> None:
        beat = bool(self._running) and time.monotonic() >= self._next_heartbeat
        if not (self._dirty_jobs or self._dirty_subs or self._edits or self._logs or beat):
            return
        rows = []
        finished: list[str] = []
        for sub_id in self._dirty_subs:
            sub = self._subs.get(sub_id)
            if sub is None:
                continue
            status = derive_submission_status(s for s, c in sub.counts.items() if c > 0)
            rows.append((sub_id, status, now, now if status.is_terminal else None))
            if status.is_terminal:
                finished.append(sub_id)
        with writing(self.store.engine) as conn:
            self.store.save_jobs(list(self._dirty_jobs.values()), conn)
            self.store.mark_written(self._edits, conn)
            self.store.save_submission_statuses(rows, conn)
            self.store.add_logs(self._logs, conn)
            if beat:
                self.store.heartbeat(sorted(self._running), now, conn)
                self._next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
        self._dirty_jobs.clear()
        self._dirty_subs.clear()
        self._edits = []
        self._logs = []
        for sub_id in finished:
            self._drop(sub_id)
        if finished:
            for callback in self.on_finished:
                callback(finished)

    def _drop(self, sub_id: str) -> None:
        """Forget a finished submission: the store has it all, memory keeps nothing."""
        sub = self._subs.pop(sub_id)
        for job_id in sub.job_ids:
            state = self._jobs.pop(job_id, None)
            self._log_idx.pop(job_id, None)
            if state is not None:
                self._forget_waiting(state)
        for dn_id in sub.data_node_ids:
            self._dn_refs[dn_id] -= 1
            if self._dn_refs[dn_id] <= 0:
                del self._dn_refs[dn_id]
                self._dns.pop(dn_id, None)
