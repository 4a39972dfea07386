"""Schedules: when to run a task or a scenario. One model for every trigger kind.

- periodic: every `period` seconds, starting `offset` seconds after creation (ArangoDB);
- timed: once, at `run_at`, or `offset` seconds after creation (ArangoDB);
- cron: a 5-field expression, or a 6/7-field Quartz one with seconds first (ArcGIS);
- calendar: lists of `minutes`, `hours`, `days_of_month`, `months`, `weekdays` (all must match).

Cron and calendar times are wall-clock times in the schedule's `timezone`. On a
spring-forward day a time that does not exist runs once, right after the change; on a
fall-back day a time that happens twice runs once, the first time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from runner.errors import InvalidInput


class TriggerType(StrEnum):
    PERIODIC = "periodic"
    TIMED = "timed"
    CRON = "cron"
    CALENDAR = "calendar"


class ScheduleState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    INACTIVE = "inactive"
    """Will never run again (max_occurrences reached, end_at passed, one-shot done)."""


class Catchup(StrEnum):
    ONE = "one"
    ALL = "all"
    NONE = "none"


class Overlap(StrEnum):
    SKIP = "skip"
    ALLOW = "allow"
    QUEUE = "queue"


WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
CALENDAR_FIELDS = ("minutes", "hours", "days_of_month", "months", "weekdays")
_RANGES = {"minutes": (0, 59), "hours": (0, 23), "days_of_month": (1, 31), "months": (1, 12)}


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleSpec:
    """What a user declares (TOML or JSON), checked."""

    task: str | None = None
    scenario: str | None = None
    task_id: str | None = None
    scenario_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    period: float | None = None
    offset: float | None = None
    run_at: datetime | None = None
    cron: str | None = None
    minutes: tuple[int, ...] | None = None
    hours: tuple[int, ...] | None = None
    days_of_month: tuple[int, ...] | None = None
    months: tuple[int, ...] | None = None
    weekdays: tuple[str, ...] | None = None
    timezone: str = "UTC"
    start_at: datetime | None = None
    end_at: datetime | None = None
    max_occurrences: int | None = None
    catchup: Catchup = Catchup.ONE
    catchup_max: int = 100
    misfire_grace: float = 60.0
    overlap: Overlap = Overlap.SKIP
    description: str = ""

    @property
    def type(self) -> TriggerType:
        if self.period is not None:
            return TriggerType.PERIODIC
        if self.cron is not None:
            return TriggerType.CRON
        if any(getattr(self, f) is not None for f in CALENDAR_FIELDS):
            return TriggerType.CALENDAR
        return TriggerType.TIMED

    @property
    def target(self) -> tuple[str, str]:
        """("task" | "scenario" | "task_id" | "scenario_id", value)."""
        for name in ("task", "scenario", "task_id", "scenario_id"):
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("a checked spec has a target")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = value.value
            out[f.name] = value
        return out


SPEC_KEYS = frozenset(f.name for f in fields(ScheduleSpec)) | {"state"}


def _problem(problems: dict[str, list[str]], key: str, message: str) -> None:
    problems.setdefault(key, []).append(message)


def _aware(value: Any, key: str, problems: dict[str, list[str]]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            _problem(problems, key, f"not an ISO-8601 date-time: {value!r}")
            return None
    else:
        _problem(problems, key, f"expected an ISO-8601 date-time, got {type(value).__name__}")
        return None
    # A naive time means UTC, as every time of the API is.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _number(value: Any, key: str, problems: dict[str, list[str]], minimum: float, strict: bool) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _problem(problems, key, f"expected a number of seconds, got {value!r}")
        return None
    if value < minimum or (strict and value == minimum):
        _problem(problems, key, f"must be {'>' if strict else '>='} {minimum:g}, got {value:g}")
        return None
    return float(value)


def _int_list(value: Any, key: str, problems: dict[str, list[str]]) -> tuple[int, ...] | None:
    if value is None:
        return None
    low, high = _RANGES[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        _problem(problems, key, f"expected a non-empty list of integers from {low} to {high}")
        return None
    bad = [v for v in value if not low <= v <= high]
    if bad:
        _problem(problems, key, f"out of range {low}..{high}: {bad}")
        return None
    return tuple(sorted(set(value)))


def _weekdays(value: Any, problems: dict[str, list[str]]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        _problem(problems, "weekdays", 'expected a non-empty list of day names, "sunday" to "saturday"')
        return None
    bad = [v for v in value if v.lower() not in WEEKDAYS]
    if bad:
        _problem(problems, "weekdays", f'unknown day name(s) {bad}: use "sunday" to "saturday"')
        return None
    return tuple(sorted({v.lower() for v in value}, key=WEEKDAYS.index))


def quartz_to_croniter(expression: str) -> str:
    """A Quartz expression (seconds first, optional year, 1=Sunday) as croniter reads it."""
    parts = expression.split()
    if len(parts) == 7:
        if parts[6] not in ("*", "?"):
            raise ValueError("a year field other than * is not supported")
        parts = parts[:6]
    seconds, minute, hour, dom, month, dow = parts
    dom = "*" if dom == "?" else dom
    if dow == "?":
        dow = "*"
    else:
        # Quartz numbers days 1 (Sunday) to 7 (Saturday); cron numbers them 0 to 6.
        def shift(token: str) -> str:
            return str(int(token) - 1) if token.isdigit() else token

        dow = ",".join("-".join(shift(p) for p in item.split("-")) for item in dow.split(","))
    return f"{minute} {hour} {dom} {month} {dow} {seconds}"


def cron_for(spec: ScheduleSpec) -> tuple[str, bool]:
    """The croniter expression and its day_or flag for a cron or calendar spec."""
    if spec.cron is not None:
        parts = spec.cron.split()
        if len(parts) == 5:
            return spec.cron.replace("?", "*"), True
        if len(parts) in (6, 7):
            return quartz_to_croniter(spec.cron), True
        raise ValueError(f"a cron expression has 5 fields (or 6-7 with seconds first), not {len(parts)}")

    def join(values: tuple[Any, ...] | None) -> str:
        return ",".join(str(v) for v in values) if values else "*"

    weekdays = ",".join(str(WEEKDAYS.index(d)) for d in spec.weekdays) if spec.weekdays else "*"
    minutes = join(spec.minutes) if spec.minutes else "0"
    expression = f"{minutes} {join(spec.hours)} {join(spec.days_of_month)} {join(spec.months)} {weekdays}"
    # A calendar means every listed field at once (the 1st of the month AND a Monday).
    return expression, False


def parse_spec(data: dict[str, Any]) -> tuple[ScheduleSpec, ScheduleState]:
    """Check a schedule definition; raise InvalidInput with every problem, by field."""
    problems: dict[str, list[str]] = {}
    for key in data:
        if key not in SPEC_KEYS:
            _problem(problems, key, f"unknown field; known fields: {', '.join(sorted(SPEC_KEYS))}")

    targets = {k: data.get(k) for k in ("task", "scenario", "task_id", "scenario_id") if data.get(k) is not None}
    if len(targets) != 1:
        _problem(problems, "task", "give exactly one of task, scenario (config ids), task_id or scenario_id")
    for key, value in targets.items():
        if not isinstance(value, str) or not value:
            _problem(problems, key, "expected a non-empty string")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        _problem(problems, "params", "expected an object of parameter names to values")
        params = {}

    period = _number(data.get("period"), "period", problems, 0, strict=True)
    offset = _number(data.get("offset"), "offset", problems, 0, strict=False)
    run_at = _aware(data.get("run_at"), "run_at", problems)
    cron = data.get("cron")
    if cron is not None and not isinstance(cron, str):
        _problem(problems, "cron", "expected a cron expression string")
        cron = None
    calendar = {
        "minutes": _int_list(data.get("minutes"), "minutes", problems),
        "hours": _int_list(data.get("hours"), "hours", problems),
        "days_of_month": _int_list(data.get("days_of_month"), "days_of_month", problems),
        "months": _int_list(data.get("months"), "months", problems),
        "weekdays": _weekdays(data.get("weekdays"), problems),
    }
    kinds = [
        name
        for name, present in (
            ("period", data.get("period") is not None),
            ("run_at", data.get("run_at") is not None),
            ("cron", data.get("cron") is not None),
            ("calendar", any(data.get(f) is not None for f in CALENDAR_FIELDS)),
        )
        if present
    ]
    if not kinds and data.get("offset") is None:
        _problem(problems, "period", "give a trigger: period, offset or run_at, cron, or calendar lists")
    elif len(kinds) > 1:
        _problem(problems, kinds[1], f"give exactly one trigger; got {' and '.join(kinds)}")
    if offset is not None and kinds and kinds[0] not in ("period",):
        _problem(problems, "offset", "offset goes with period (a first run delay) or alone (a one-shot delay)")

    timezone = data.get("timezone", "UTC")
    try:
        if not isinstance(timezone, str):
            raise ZoneInfoNotFoundError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        _problem(problems, "timezone", f"unknown IANA time zone: {timezone!r}")
        timezone = "UTC"

    def enum(key: str, cls: type[StrEnum], default: StrEnum) -> Any:
        value = data.get(key, default.value)
        try:
            return cls(value)
        except ValueError:
            _problem(problems, key, f"expected one of {', '.join(m.value for m in cls)}, got {value!r}")
            return default

    state = enum("state", ScheduleState, ScheduleState.ACTIVE)
    if state is ScheduleState.INACTIVE:
        _problem(problems, "state", "a schedule is declared active or paused")
    max_occurrences = data.get("max_occurrences")
    if max_occurrences is not None:
        if isinstance(max_occurrences, bool) or not isinstance(max_occurrences, int) or max_occurrences < -1 or max_occurrences == 0:
            _problem(problems, "max_occurrences", "expected a positive integer, or -1 for unlimited")
        elif max_occurrences == -1:
            max_occurrences = None
    catchup_max = data.get("catchup_max", 100)
    if isinstance(catchup_max, bool) or not isinstance(catchup_max, int) or catchup_max < 1:
        _problem(problems, "catchup_max", "expected a positive integer")
        catchup_max = 100
    grace = _number(data.get("misfire_grace", 60.0), "misfire_grace", problems, 0, strict=False)
    description = data.get("description", "")
    if not isinstance(description, str):
        _problem(problems, "description", "expected a string")
        description = ""

    spec = ScheduleSpec(
        **{k: v for k, v in targets.items() if isinstance(v, str)},
        params=params,
        period=period,
        offset=offset,
        run_at=run_at,
        cron=cron,
        **calendar,
        timezone=timezone,
        start_at=_aware(data.get("start_at"), "start_at", problems),
        end_at=_aware(data.get("end_at"), "end_at", problems),
        max_occurrences=max_occurrences if isinstance(max_occurrences, int) else None,
        catchup=enum("catchup", Catchup, Catchup.ONE),
        catchup_max=catchup_max,
        misfire_grace=grace if grace is not None else 60.0,
        overlap=enum("overlap", Overlap, Overlap.SKIP),
        description=description,
    )
    if spec.type in (TriggerType.CRON, TriggerType.CALENDAR) and "cron" not in problems:
        try:
            expression, day_or = cron_for(spec)
            if not croniter.is_valid(expression):
                raise ValueError("croniter cannot read it")
            croniter(expression, datetime(2026, 1, 1), day_or=day_or).get_next(datetime)
        except (ValueError, KeyError) as exc:
            key = "cron" if spec.cron is not None else "minutes"
            _problem(problems, key, f"invalid {'cron expression' if spec.cron else 'calendar'}: {exc}")
    if spec.start_at and spec.end_at and spec.end_at <= spec.start_at:
        _problem(problems, "end_at", "must be after start_at")
    if problems:
        raise InvalidInput("invalid schedule", errors=problems)
    return spec, state


# -- firing times ------------------------------------------------------------------------


def _resolve_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time as an instant: the first of two on fall-back, the change itself in a gap."""
    candidate = naive.replace(tzinfo=zone, fold=0)
    if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return candidate.astimezone(UTC)
    # In the spring-forward gap: the first minute that exists is the moment of the change.
    probe = naive.replace(second=0, microsecond=0)
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        local = probe.replace(tzinfo=zone)
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == probe:
            return local.astimezone(UTC)
    raise AssertionError("no DST gap lasts a day")  # pragma: no cover


def _cron_times(spec: ScheduleSpec, after: datetime) -> Iterator[datetime]:
    """Instants strictly after `after`, in order, each once."""
    zone = ZoneInfo(spec.timezone)
    expression, day_or = cron_for(spec)
    # Start a little before, in local wall-clock time, so that a gap's mapped instant is found.
    local_start = after.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)
    it = croniter(expression, local_start, day_or=day_or)
    last: datetime | None = None
    while True:
        naive = it.get_next(datetime)
        if naive.tzinfo is None:
            instant = _resolve_local(naive, zone)
        else:  # pragma: no cover - croniter gives naive times for a naive start
            instant = naive.astimezone(UTC)
        if instant > after and instant != last:
            last = instant
            yield instant


def next_fire(spec: ScheduleSpec, created_at: datetime, after: datetime) -> datetime | None:
    """The first firing time strictly after `after`, or None when there is none any more."""
    if spec.start_at is not None and after < spec.start_at:
        after = spec.start_at - timedelta(microseconds=1)
    kind = spec.type
    result: datetime | None
    if kind is TriggerType.TIMED:
        at = spec.run_at or created_at + timedelta(seconds=spec.offset or 0.0)
        result = at if at > after else None
    elif kind is TriggerType.PERIODIC:
        assert spec.period is not None
        anchor = (spec.start_at or created_at) + timedelta(seconds=spec.offset or 0.0)
        if after < anchor:
            result = anchor
        else:
            steps = math.floor((after - anchor).total_seconds() / spec.period) + 1
            result = anchor + timedelta(seconds=steps * spec.period)
            if result <= after:  # float rounding
                result += timedelta(seconds=spec.period)
    else:
        result = next(_cron_times(spec, after))
    if result is not None and spec.end_at is not None and result > spec.end_at:
        return None
    return result


def fires_between(spec: ScheduleSpec, created_at: datetime, after: datetime, until: datetime, cap: int) -> list[datetime]:
    """Firing times in (after, until], the last `cap` of them at most, oldest first."""
    out: list[datetime] = []
    cursor = after
    while True:
        nxt = next_fire(spec, created_at, cursor)
        if nxt is None or nxt > until:
            return out
        out.append(nxt)
        if len(out) > cap:
            out.pop(0)
        cursor = nxt


def run_interval_seconds(spec: ScheduleSpec) -> float | None:
    """The constant gap between runs, when there is one (ArcGIS's runIntervalSeconds)."""
    if spec.type is TriggerType.PERIODIC:
        return spec.period
    if spec.type is TriggerType.TIMED:
        return None
    expression, day_or = cron_for(spec)
    it = croniter(expression, datetime(2026, 1, 1), day_or=day_or)
    times = [it.get_next(datetime) for _ in range(60)]
    gaps = {(b - a).total_seconds() for a, b in zip(times, times[1:])}
    return gaps.pop() if len(gaps) == 1 else None


@dataclass(kw_only=True, slots=True)
class Schedule:
    id: str
    source: str
    spec: ScheduleSpec
    state: ScheduleState
    status_msg: str = ""
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    occurrences: int = 0
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def type(self) -> TriggerType:
        return self.spec.type

    @property
    def run_interval_seconds(self) -> float | None:
        return run_interval_seconds(self.spec)
