"""The scheduler against a real SQLite file, with a controllable clock (time-machine)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask

from runner import shutdown
from runner.scheduler.service import Scheduler
from tests.conftest import make_tokens

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


class Settling(Scheduler):
    """A scheduler whose tick also waits for the runs it made to finish, for determinism."""

    settle = True

    def tick(self, now: datetime | None = None) -> list:
        made = super().tick(now)
        if self.settle:
            assert self.ctx.orchestrator.wait_idle(20)
        return made


@pytest.fixture
def world(make_app: Callable[..., Flask], clock):
    app = make_app(scheduler=False)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(app)['admin']}"}
    return app, client, headers, Settling(app.extensions["runner"], name="test")


def create(client, headers, **body: Any) -> dict:
    response = client.post("/api/v1/schedules", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["schedule"]


def get(client, headers, schedule_id: str) -> dict:
    return client.get(f"/api/v1/schedules/{schedule_id}", headers=headers).get_json()["schedule"]


def runs(client, headers, schedule_id: str) -> list[dict]:
    return client.get(f"/api/v1/schedules/{schedule_id}/runs", headers=headers).get_json()["results"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_periodic_schedule_runs_once_per_due_time(world, clock) -> None:
    app, client, headers, scheduler = world
    schedule = create(client, headers, task="double", period=60, offset=10)
    assert schedule["type"] == "periodic"
    assert at(schedule["next_run_at"]) == START + timedelta(seconds=10)
    assert schedule["run_interval_seconds"] == 60
    assert scheduler.tick() == []  # not due yet
    clock.move_to(START + timedelta(seconds=10))
    [made] = scheduler.tick()
    assert made.schedule_id == schedule["id"]
    assert scheduler.tick() == []  # the same due time never runs twice
    clock.move_to(START + timedelta(seconds=75))
    assert len(scheduler.tick()) == 1
    got = get(client, headers, schedule["id"])
    assert got["occurrences"] == 2
    assert at(got["last_run_at"]) == START + timedelta(seconds=75)
    assert at(got["next_run_at"]) == START + timedelta(seconds=130)
    history = runs(client, headers, schedule["id"])
    assert [at(r["scheduled_for"]) for r in history] == [START + timedelta(seconds=70), START + timedelta(seconds=10)]
    assert all(r["entity_type"] == "TASK" for r in history)
    # A new task per run: the runs are ordinary submissions of distinct tasks.
    assert len({r["entity_id"] for r in history}) == 2


def test_a_timed_schedule_runs_once_then_is_inactive(world, clock) -> None:
    app, client, headers, scheduler = world
    schedule = create(client, headers, task="double", run_at=(START + timedelta(minutes=5)).isoformat())
    assert schedule["type"] == "timed"
    clock.move_to(START + timedelta(minutes=5))
    assert len(scheduler.tick()) == 1
    got = get(client, headers, schedule["id"])
    assert got["state"] == "inactive" and got["next_run_at"] is None
    assert "no run is due any more" in got["status_msg"]
    clock.move_to(START + timedelta(days=1))
    assert scheduler.tick() == []


def test_cron_and_calendar_schedules_fire_at_their_wall_clock_time(world, clock) -> None:
    app, client, headers, scheduler = world
    clock.move_to(START + timedelta(minutes=1))
    cron = create(client, headers, task="double", cron="0 14 * * *", timezone="Europe/Paris")
    calendar = create(client, headers, task="double", hours=[9], minutes=[15], weekdays=["tuesday"], timezone="Asia/Tokyo")
    # 14:00 in Paris in June is 12:00 UTC: it is 12:01 UTC, so the next one is tomorrow.
    assert at(cron["next_run_at"]) == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    # Tuesday 2026-06-02 09:15 in Tokyo is 00:15 UTC.
    assert at(calendar["next_run_at"]) == datetime(2026, 6, 2, 0, 15, tzinfo=UTC)
    clock.move_to(datetime(2026, 6, 2, 0, 15, tzinfo=UTC))
    assert [s.schedule_id for s in scheduler.tick()] == [calendar["id"]]
    clock.move_to(datetime(2026, 6, 2, 12, 0, 30, tzinfo=UTC))
    assert [s.schedule_id for s in scheduler.tick()] == [cron["id"]]


def test_a_scenario_schedule_makes_scenario_runs(world, clock) -> None:
    app, client, headers, scheduler = world
    schedule = create(client, headers, scenario="diamond", period=3600)
    clock.move_to(at(schedule["next_run_at"]))
    [made] = scheduler.tick()
    assert made.entity_type == "SCENARIO"
    assert len(made.jobs) == 4


def test_a_fixed_task_instance_runs_each_time(world, clock) -> None:
    app, client, headers, scheduler = world
    task = client.post("/api/v1/tasks?config_id=greet", headers=headers).get_json()["task"]
    schedule = create(client, headers, task_id=task["id"], period=60, params={"times": 2})
    for step in (0, 60):
        clock.move_to(at(schedule["next_run_at"]) + timedelta(seconds=step))
        [made] = scheduler.tick()
        assert made.entity_id == task["id"]
        assert made.jobs[0].params["times"] == 2


@pytest.mark.parametrize(("catchup", "expected"), [("one", 1), ("all", 3), ("none", 0)])
def test_misfires_after_downtime_follow_the_catchup_policy(world, clock, catchup: str, expected: int) -> None:
    app, client, headers, scheduler = world
    schedule = create(client, headers, task="double", period=60, catchup=catchup, catchup_max=3, misfire_grace=10)
    # Ten minutes with no scheduler running: eleven due times passed.
    clock.move_to(START + timedelta(minutes=10, seconds=30))
    made = scheduler.tick()
    assert len(made) == expected
    got = get(client, headers, schedule["id"])
    assert at(got["next_run_at"]) == START + timedelta(minutes=11)
    assert "missed" in got["status_msg"]
    if catchup == "all":
        assert [m.scheduled_for for m in made] == [START + timedelta(minutes=m) for m in (8, 9, 10)]
    if catchup == "one":
        assert made[0].scheduled_for == START + timedelta(minutes=10)


def test_a_run_late_by_less_than_misfire_grace_is_on_time(world, clock) -> None:
    app, client, headers, scheduler = world
    create(client, headers, task="double", period=600, catchup="none", misfire_grace=30)
    clock.move_to(START + timedelta(seconds=620))
    assert len(scheduler.tick()) == 1


def test_pause_stops_runs_and_resume_does_not_burst(world, clock) -> None:
    app, client, headers, scheduler = world
    schedule = create(client, headers, task="double", period=60)
    paused = client.post(f"/api/v1/schedules/{schedule['id']}/pause", headers=headers).get_json()["schedule"]
    assert paused["state"] == "paused" and paused["next_run_at"] is None
    clock.move_to(START + timedelta(minutes=30, seconds=10))
    assert scheduler.tick() == []
    resumed = client.post(f"/api/v1/schedules/{schedule['id']}/resume", headers=headers).get_json()["schedule"]
    assert resumed["state"] == "active"
    assert at(resumed["next_run_at"]) == START + timedelta(minutes=31)
    assert scheduler.tick() == []  # nothing of the paused half hour is made up
    clock.move_to(START + timedelta(minutes=31))
    assert len(scheduler.tick()) == 1


def test_max_occurrences_makes_the_schedule_inactive_and_it_says_so(world, clock) -> None:
    app, client, headers, scheduler = world
    schedule = create(client, headers, task="double", period=60, max_occurrences=2)
    for minute in (1, 2, 3):
        clock.move_to(START + timedelta(minutes=minute))
        scheduler.tick()
    got = get(client, headers, schedule["id"])
    assert got["occurrences"] == 2
    assert got["state"] == "inactive"
    assert "max_occurrences (2) reached" in got["status_msg"]
    assert len(runs(client, headers, schedule["id"])) == 2
    assert client.post(f"/api/v1/schedules/{schedule['id']}/resume", headers=headers).status_code == 409


@pytest.mark.parametrize("overlap", ["skip", "allow", "queue"])
def test_overlap_when_the_previous_run_still_goes(world, clock, overlap: str) -> None:
    app, client, headers, scheduler = world
    scheduler.settle = False
    # double_blocked waits forever for an input nobody writes: its run never ends by itself.
    schedule = create(client, headers, task="double_blocked", period=60, offset=60, overlap=overlap)
    clock.move_to(START + timedelta(minutes=1))
    [first] = scheduler.tick()
    clock.move_to(START + timedelta(minutes=2))
    second = scheduler.tick()
    got = get(client, headers, schedule["id"])
    if overlap == "allow":
        assert len(second) == 1
    elif overlap == "skip":
        assert second == []
        assert "previous run is still going" in got["status_msg"]
        assert at(got["next_run_at"]) == START + timedelta(minutes=3)
    else:
        assert second == []
        assert "queued" in got["status_msg"]
        assert at(got["next_run_at"]) == START + timedelta(minutes=2)
        # The previous run ends (canceled): the queued run starts at the next tick.
        client.post(f"/api/v1/submissions/{first.id}/cancel", headers=headers)
        clock.move_to(START + timedelta(minutes=2, seconds=20))
        [queued] = scheduler.tick()
        assert queued.scheduled_for == START + timedelta(minutes=2)


def test_a_restart_right_after_a_due_time_runs_it_exactly_once(make_app, clock, tmp_path) -> None:
    first = make_app(scheduler=False)
    client = first.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(first)['admin']}"}
    schedule = create(client, headers, task="double", period=60)
    clock.move_to(START + timedelta(minutes=1, seconds=1))
    # The server dies after it submitted the run but before it recorded it on the schedule.
    stored = first.extensions["runner"].store.get_schedule(schedule["id"])
    Scheduler(first.extensions["runner"], name="dying")._submit(stored, START + timedelta(minutes=1))
    shutdown(first)

    second = make_app(scheduler=False)
    scheduler = Settling(second.extensions["runner"], name="restarted")
    assert scheduler.tick() == []  # the due time already has its run
    client = second.test_client()
    got = get(client, headers, schedule["id"])
    assert got["occurrences"] == 1
    assert at(got["next_run_at"]) == START + timedelta(minutes=2)
    assert len(runs(client, headers, schedule["id"])) == 1


def test_two_schedulers_on_one_database_never_double_run(make_app, clock) -> None:
    one = make_app(scheduler=False)
    two = make_app(scheduler=False)  # a second process would look the same: its own engine
    client = one.test_client()
    headers = {"Authorization": f"Bearer {make_tokens(one)['admin']}"}
    schedules = [create(client, headers, task="double", period=60, offset=60) for _ in range(5)]
    schedulers = [Settling(one.extensions["runner"], name="one"), Settling(two.extensions["runner"], name="two")]
    for minute in range(1, 6):
        clock.move_to(START + timedelta(minutes=minute))
        results: list[list] = [[], []]
        barrier = threading.Barrier(2)

        def run(i: int) -> None:
            barrier.wait()
            results[i] = schedulers[i].tick()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results[0]) + len(results[1]) == 5
    for schedule in schedules:
        history = runs(client, headers, schedule["id"])
        assert sorted(at(r["scheduled_for"]) for r in history) == [START + timedelta(minutes=m) for m in range(1, 6)]


def test_a_fall_back_day_runs_an_ambiguous_time_once(world, clock) -> None:
    app, client, headers, scheduler = world
    clock.move_to(datetime(2026, 10, 31, 12, tzinfo=UTC))
    schedule = create(client, headers, task="double", cron="30 1 * * *", timezone="America/New_York")
    fired = []
    moment = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    while moment < datetime(2026, 11, 1, 8, 0, tzinfo=UTC):  # 00:00 EDT .. 03:00 EST, minute by minute
        clock.move_to(moment)
        fired += scheduler.tick()
        moment += timedelta(minutes=1)
    assert [f.scheduled_for for f in fired] == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]
    assert get(client, headers, schedule["id"])["occurrences"] == 1


def test_a_spring_forward_day_runs_a_missing_time_once_after_the_change(world, clock) -> None:
    app, client, headers, scheduler = world
    clock.move_to(datetime(2026, 3, 7, 12, tzinfo=UTC))
    create(client, headers, task="double", cron="30 2 * * *", timezone="America/New_York")
    fired = []
    moment = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    while moment < datetime(2026, 3, 8, 9, 0, tzinfo=UTC):
        clock.move_to(moment)
        fired += scheduler.tick()
        moment += timedelta(minutes=1)
    assert [f.scheduled_for for f in fired] == [datetime(2026, 3, 8, 7, 0, tzinfo=UTC)]
