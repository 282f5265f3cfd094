"""The local scheduler: jobs run once at start, then at their own rates or cron times; a failing job stops no other."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.schedules import Cron, Rate
from devtools.scheduler import MAX_WAIT_SECONDS, JobOutcome, LocalScheduler

MINUTE = 60.0
HOUR = 60 * MINUTE


@dataclass(frozen=True)
class FakeJob:
    schedule: Rate | Cron


class Recorder:
    """Runs jobs by name, remembering each call; named jobs raise instead."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.failing = failing

    def __call__(self, name: str) -> Mapping[str, Any]:
        self.calls.append(name)
        if name in self.failing:
            raise RuntimeError("secret detail of participant ana@example.org")
        return {"sent": 2, "skipped": 0, "dry_run": False, "note": "text"}


def scheduler(jobs: dict[str, int], run: Recorder) -> LocalScheduler:
    return LocalScheduler({name: FakeJob(Rate(minutes=rate)) for name, rate in jobs.items()}, run)


def run_until(sched: LocalScheduler, end: float, step: float = MINUTE) -> None:
    now = 0.0
    while now <= end:
        sched.tick(now)
        now += step


def test_every_job_runs_once_at_start() -> None:
    run = Recorder()
    sched = scheduler({"send-messages": 5, "retry-deliveries": 5, "nightly-sync": 1440}, run)

    sched.tick(0.0)

    assert run.calls == ["send-messages", "retry-deliveries", "nightly-sync"]


def test_jobs_fire_at_their_own_rates() -> None:
    run = Recorder()
    sched = scheduler({"fast": 5, "slow": 15}, run)

    run_until(sched, end=60 * MINUTE)

    # At 0, 5, 10, ..., 60 minutes and at 0, 15, 30, 45, 60 minutes.
    assert run.calls.count("fast") == 13
    assert run.calls.count("slow") == 5


def test_a_job_is_not_due_before_its_interval_has_passed() -> None:
    run = Recorder()
    sched = scheduler({"fast": 5}, run)
    sched.tick(0.0)

    assert sched.due(5 * MINUTE - 1) == []
    assert sched.due(5 * MINUTE) == ["fast"]
    assert sched.seconds_until_next(2 * MINUTE) == pytest.approx(3 * MINUTE)


def test_due_changes_nothing() -> None:
    run = Recorder()
    sched = scheduler({"fast": 5}, run)

    assert sched.due(0.0) == ["fast"]
    assert sched.due(0.0) == ["fast"]
    assert run.calls == []


def test_a_late_tick_keeps_the_rate_anchored_to_the_start() -> None:
    run = Recorder()
    sched = scheduler({"fast": 5}, run)
    sched.tick(0.0)
    sched.tick(5 * MINUTE + 40)

    assert sched.due(10 * MINUTE) == ["fast"]


def test_after_a_long_stall_a_job_runs_once_not_once_per_missed_interval() -> None:
    run = Recorder()
    sched = scheduler({"fast": 5}, run)
    sched.tick(0.0)

    sched.tick(120 * MINUTE)
    sched.tick(120 * MINUTE + 1)

    assert run.calls == ["fast", "fast"]
    assert sched.due(125 * MINUTE) == ["fast"]


def test_a_failing_job_does_not_stop_the_others_and_keeps_its_schedule(
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = Recorder(failing=frozenset({"broken"}))
    sched = scheduler({"broken": 5, "healthy": 5}, run)

    outcomes = sched.tick(0.0)
    run_until(sched, end=10 * MINUTE)

    assert outcomes == [
        JobOutcome(name="broken", ok=False, error_type="RuntimeError"),
        JobOutcome(name="healthy", ok=True, counts={"sent": 2, "skipped": 0}),
    ]
    assert run.calls.count("healthy") == run.calls.count("broken") == 3
    assert "RuntimeError" in caplog.text
    assert "example.org" not in caplog.text


def test_outcomes_report_integer_counts_only() -> None:
    outcome = scheduler({"job": 5}, Recorder()).tick(0.0)[0]

    assert outcome.describe() == "job ok (sent=2, skipped=0)"


def test_run_forever_ticks_until_stopped() -> None:
    clock = [0.0]
    stop = threading.Event()
    run = Recorder()
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds
        if clock[0] >= 10 * MINUTE:
            stop.set()

    sched = LocalScheduler({"fast": FakeJob(Rate(minutes=5))}, run, clock=lambda: clock[0], sleep=fake_sleep)
    sched.run_forever(stop)

    assert run.calls == ["fast", "fast"]
    assert sum(waits) == 10 * MINUTE
    assert max(waits) <= MAX_WAIT_SECONDS


def test_run_forever_returns_at_once_when_already_stopped() -> None:
    stop = threading.Event()
    stop.set()
    run = Recorder()

    scheduler({"fast": 5}, run).run_forever(stop)

    assert run.calls == []


def test_a_rate_below_one_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="below one minute"):
        scheduler({"busy": 0}, Recorder())


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_cron_job_runs_at_start_then_at_its_next_utc_time() -> None:
    # GIVEN a job at 05:00 UTC every day, started at 22:10 UTC
    run = Recorder()
    sched = LocalScheduler({"nightly": FakeJob(Cron("0", "5", "*", "*", "?", "*"))}, run)
    sched.tick(at("2026-03-02T22:10:00"))

    # WHEN the clock reaches the next morning
    # THEN it is not due a minute before 05:00, and due at 05:00
    assert sched.due(at("2026-03-03T04:59:00")) == []
    assert sched.due(at("2026-03-03T05:00:00")) == ["nightly"]
    assert sched.seconds_until_next(at("2026-03-03T04:00:00")) == pytest.approx(HOUR)
    assert run.calls == ["nightly"]


def test_cron_and_rate_jobs_run_side_by_side() -> None:
    # GIVEN a weekday-morning cron job and a 30-minute rate job, started on Friday 2026-03-06 at 08:00 UTC
    run = Recorder()
    sched = LocalScheduler(
        {
            "weekday-digest": FakeJob(Cron("0", "9", "?", "*", "MON-FRI", "*")),
            "sweep": FakeJob(Rate(minutes=30)),
        },
        run,
    )
    start = at("2026-03-06T08:00:00")

    # WHEN the clock runs to Monday 10:00, ticking every minute
    now = start
    while now <= start + 74 * HOUR:
        sched.tick(now)
        now += MINUTE

    # THEN the digest ran at start, on Friday 09:00 and on Monday 09:00 (not on the weekend)
    assert run.calls.count("weekday-digest") == 3
    assert run.calls.count("sweep") == 74 * 2 + 1


def test_after_a_long_stall_a_cron_job_runs_once_then_at_its_next_time() -> None:
    # GIVEN an hourly cron job that last ran at 10:00
    run = Recorder()
    sched = LocalScheduler({"hourly": FakeJob(Cron("0", "*", "*", "*", "?", "*"))}, run)
    sched.tick(at("2026-03-02T10:00:00"))

    # WHEN the machine wakes at 15:20
    sched.tick(at("2026-03-02T15:20:00"))

    # THEN it ran once for the missed hours and is next due at 16:00
    assert run.calls == ["hourly", "hourly"]
    assert sched.due(at("2026-03-02T15:59:00")) == []
    assert sched.due(at("2026-03-02T16:00:00")) == ["hourly"]
