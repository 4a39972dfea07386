"""Firing times of every trigger kind, time zones and both DST transitions (pure, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runner.domain.schedule import (
    ScheduleState,
    TriggerType,
    fires_between,
    next_fire,
    parse_spec,
    quartz_to_croniter,
    run_interval_seconds,
)
from runner.errors import InvalidInput

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def spec(**data):
    return parse_spec({"task": "copy", **data})[0]


def test_periodic_with_offset() -> None:
    s = spec(period=60, offset=10)
    assert s.type is TriggerType.PERIODIC
    assert next_fire(s, T0, T0) == T0 + timedelta(seconds=10)
    assert next_fire(s, T0, T0 + timedelta(seconds=10)) == T0 + timedelta(seconds=70)
    assert next_fire(s, T0, T0 + timedelta(hours=1, seconds=15)) == T0 + timedelta(hours=1, seconds=70)


def test_timed_by_run_at_or_by_offset_runs_once() -> None:
    at = spec(run_at="2026-01-02T08:00:00Z")
    assert at.type is TriggerType.TIMED
    assert next_fire(at, T0, T0) == datetime(2026, 1, 2, 8, tzinfo=UTC)
    assert next_fire(at, T0, datetime(2026, 1, 2, 8, tzinfo=UTC)) is None
    delay = spec(offset=90)
    assert delay.type is TriggerType.TIMED
    assert next_fire(delay, T0, T0) == T0 + timedelta(seconds=90)


def test_cron_in_a_time_zone() -> None:
    s = spec(cron="30 2 * * *", timezone="Europe/Paris")
    # 02:30 in Paris in January is 01:30 UTC.
    assert next_fire(s, T0, T0) == datetime(2026, 1, 2, 1, 30, tzinfo=UTC)


def test_quartz_cron_as_arcgis_writes_it() -> None:
    assert quartz_to_croniter("0 0 4 ? * 7") == "0 4 * * 6 0"
    s = spec(cron="0 0 4 ? * 7")
    nxt = next_fire(s, T0, T0)
    assert nxt == datetime(2026, 1, 3, 4, 0, tzinfo=UTC)
    assert nxt.weekday() == 5  # Saturday
    assert run_interval_seconds(s) == 604800


def test_cron_with_seconds() -> None:
    s = spec(cron="15 * * * * *")
    assert next_fire(s, T0, T0) == T0 + timedelta(seconds=15)
    assert run_interval_seconds(s) == 60


def test_calendar_with_weekday_names_in_a_time_zone() -> None:
    s = spec(minutes=[30], hours=[9], weekdays=["monday"], timezone="America/New_York")
    assert s.type is TriggerType.CALENDAR
    # 2026-01-05 is a Monday; 09:30 EST is 14:30 UTC.
    assert next_fire(s, T0, T0) == datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


def test_calendar_fields_must_all_match() -> None:
    s = spec(days_of_month=[1], weekdays=["monday"], hours=[0])
    # The first Monday that is the 1st of a month after 2026-01-01 is 2026-06-01.
    assert next_fire(s, T0, T0) == datetime(2026, 6, 1, tzinfo=UTC)


NY = "America/New_York"


def test_spring_forward_a_missing_time_runs_once_right_after_the_change() -> None:
    s = spec(cron="30 2 * * *", timezone=NY)
    start = datetime(2026, 3, 6, 12, tzinfo=UTC)
    fires = fires_between(s, start, start, start + timedelta(days=3), cap=10)
    assert fires == [
        datetime(2026, 3, 7, 7, 30, tzinfo=UTC),  # 02:30 EST
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # 02:30 does not exist: 03:00 EDT, the change
        datetime(2026, 3, 9, 6, 30, tzinfo=UTC),  # 02:30 EDT
    ]


def test_spring_forward_several_missing_times_make_one_run() -> None:
    s = spec(cron="*/20 2 * * *", timezone=NY)
    start = datetime(2026, 3, 8, 0, tzinfo=UTC)
    fires = fires_between(s, start, start, datetime(2026, 3, 8, 12, tzinfo=UTC), cap=10)
    assert fires == [datetime(2026, 3, 8, 7, 0, tzinfo=UTC)]


def test_fall_back_a_time_that_happens_twice_runs_once() -> None:
    s = spec(cron="30 1 * * *", timezone=NY)
    start = datetime(2026, 10, 31, 12, tzinfo=UTC)
    fires = fires_between(s, start, start, start + timedelta(days=2), cap=10)
    assert fires == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT, the first of the two
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),  # 01:30 EST
    ]


def test_start_and_end_bound_the_runs() -> None:
    s = spec(period=3600, start_at="2026-01-01T15:00:00Z", end_at="2026-01-01T17:00:00Z")
    fires = fires_between(s, T0, T0, T0 + timedelta(days=1), cap=10)
    assert fires == [datetime(2026, 1, 1, h, tzinfo=UTC) for h in (15, 16, 17)]


def test_run_interval_is_shown_only_when_constant() -> None:
    assert run_interval_seconds(spec(cron="*/5 * * * *")) == 300
    assert run_interval_seconds(spec(period=42)) == 42
    assert run_interval_seconds(spec(cron="0 0 1 * *")) is None
    assert run_interval_seconds(spec(offset=5)) is None


def test_paused_state_is_read() -> None:
    assert parse_spec({"task": "copy", "period": 5, "state": "paused"})[1] is ScheduleState.PAUSED


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"task": "copy", "cron": "61 * * * *"}, "cron", "invalid cron expression"),
        ({"task": "copy", "cron": "* * *"}, "cron", "5 fields"),
        ({"task": "copy", "period": 5, "timezone": "Mars/Olympus"}, "timezone", "unknown IANA time zone"),
        ({"task": "copy", "period": 5, "cron": "* * * * *"}, "cron", "exactly one trigger"),
        ({"period": 5}, "task", "exactly one of task"),
        ({"task": "copy", "scenario": "s", "period": 5}, "task", "exactly one of task"),
        ({"task": "copy"}, "period", "give a trigger"),
        ({"task": "copy", "period": 0}, "period", "must be > 0"),
        ({"task": "copy", "period": 5, "colour": "red"}, "colour", "unknown field"),
        ({"task": "copy", "weekdays": ["funday"]}, "weekdays", "unknown day name"),
        ({"task": "copy", "hours": [24]}, "hours", "out of range"),
        ({"task": "copy", "run_at": "tomorrow"}, "run_at", "not an ISO-8601"),
        ({"task": "copy", "period": 5, "max_occurrences": 0}, "max_occurrences", "positive integer"),
        ({"task": "copy", "period": 5, "overlap": "maybe"}, "overlap", "skip, allow, queue"),
        ({"task": "copy", "period": 5, "catchup": "some"}, "catchup", "one, all, none"),
        ({"task": "copy", "cron": "* * * * *", "offset": 3}, "offset", "offset goes with period"),
    ],
)
def test_every_bad_definition_says_which_field_and_why(data, field, text) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_spec(data)
    errors = caught.value.extra["errors"]
    assert field in errors, errors
    assert any(text in m for m in errors[field]), errors[field]
