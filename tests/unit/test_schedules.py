"""Job schedules: EventBridge expressions, AWS cron evaluation, and a job table that every schedule comes from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib import jobs
from chalicelib.jobs import JOBS, Job
from chalicelib.schedules import Cron, Rate


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def no_op(container: Any) -> dict[str, Any]:
    return {}


@pytest.mark.parametrize(
    ("schedule", "expression"),
    [
        (Rate(minutes=1), "rate(1 minute)"),
        (Rate(minutes=5), "rate(5 minutes)"),
        (Cron("0", "5", "*", "*", "?", "*"), "cron(0 5 * * ? *)"),
        (Cron("15", "8", "?", "*", "MON-FRI"), "cron(15 8 ? * MON-FRI *)"),
    ],
)
def test_schedules_give_eventbridge_expressions(schedule: Rate | Cron, expression: str) -> None:
    assert schedule.expression() == expression


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        (Cron("0", "5", "*", "*", "?"), "2026-03-02T04:59:30", "2026-03-02T05:00:00"),
        (Cron("0", "5", "*", "*", "?"), "2026-03-02T05:00:00", "2026-03-03T05:00:00"),
        (Cron("*/15", "*", "*", "*", "?"), "2026-03-02T10:16:00", "2026-03-02T10:30:00"),
        (Cron("0", "9", "?", "*", "MON-FRI"), "2026-03-06T09:00:00", "2026-03-09T09:00:00"),
        (Cron("0", "0", "?", "*", "1"), "2026-03-02T00:00:00", "2026-03-08T00:00:00"),
        (Cron("30", "23", "31", "*", "?"), "2026-04-01T00:00:00", "2026-05-31T23:30:00"),
        (Cron("0", "12", "29", "FEB", "?"), "2026-03-01T00:00:00", "2028-02-29T12:00:00"),
        (Cron("0", "6", "1", "JAN,JUL", "?", "2027"), "2026-08-01T00:00:00", "2027-01-01T06:00:00"),
        (Cron("5-10/5", "8-9", "*", "*", "?"), "2026-03-02T08:10:00", "2026-03-02T09:05:00"),
    ],
)
def test_cron_finds_the_next_utc_firing_time(cron: Cron, after: str, expected: str) -> None:
    assert cron.next_after(utc(after)) == utc(expected)


def test_cron_reads_other_time_zones_as_the_same_instant() -> None:
    # GIVEN 06:30 in Belgrade in winter (05:30 UTC)
    belgrade_morning = datetime(2026, 1, 5, 6, 30, tzinfo=timezone(timedelta(hours=1)))

    # WHEN the next 06:00 UTC is asked for
    following = Cron("0", "6", "*", "*", "?").next_after(belgrade_morning)

    # THEN it is the same day, 06:00 UTC
    assert following == utc("2026-01-05T06:00:00")


def test_a_cron_whose_years_have_passed_never_fires_again() -> None:
    assert Cron("0", "0", "1", "1", "?", "2020").next_after(utc("2026-01-01T00:00:00")) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("0", "5", "*", "*", "*"), "exactly one of day of month and day of week"),
        (("0", "5", "?", "*", "?"), "exactly one of day of month and day of week"),
        (("60", "5", "*", "*", "?"), "outside 0-59"),
        (("0", "24", "*", "*", "?"), "outside 0-23"),
        (("0", "5", "L", "*", "?"), "not supported"),
        (("0", "5", "?", "*", "MON#2"), "not supported"),
        (("0", "5", "*", "SMARCH", "?"), "not a number or name"),
        (("0", "?", "*", "*", "?"), "only for day of month or day of week"),
        (("*/0", "5", "*", "*", "?"), "bad step"),
        (("0", "9-5", "*", "*", "?"), "empty range"),
    ],
)
def test_a_cron_aws_would_reject_or_we_cannot_evaluate_is_refused(fields: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Cron(*fields)


def test_a_rate_below_one_minute_is_refused_by_the_spec() -> None:
    with pytest.raises(ValueError, match="below one minute"):
        Rate(minutes=0)


def test_a_job_cannot_be_declared_without_a_schedule() -> None:
    # GIVEN / WHEN a job declared with no schedule, or a bare number of minutes
    # THEN it is refused at declaration
    with pytest.raises(TypeError, match="needs a Rate or Cron schedule"):
        Job("nightly-sync", None, no_op, "Sync people from the HR system.")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Rate or Cron schedule"):
        Job("nightly-sync", 1440, no_op, "Sync people from the HR system.")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Nightly", "nightly_sync", "nightly--sync", "-sync", "x" * 41])
def test_a_job_name_that_cannot_name_a_lambda_handler_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="job name"):
        Job(name, Rate(minutes=5), no_op, "A job.")


def test_two_jobs_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="share a name"):
        jobs._table(
            Job("send-messages", Rate(minutes=5), no_op, "Send queued messages."),
            Job("send-messages", Cron("0", "5", "*", "*", "?"), no_op, "Send queued messages at dawn."),
        )


def test_the_job_table_cannot_grow_at_run_time() -> None:
    # GIVEN the job table WHEN a module tries to add a job THEN it is refused: EventBridge would never run it
    with pytest.raises(TypeError):
        JOBS["nightly-sync"] = Job("nightly-sync", Rate(minutes=5), no_op, "A job.")  # type: ignore[index]
    assert not hasattr(jobs, "register")


def test_every_job_has_a_schedule_handler_named_after_it() -> None:
    # GIVEN the job table WHEN the module was imported THEN each job's handler is a module attribute by its name
    for job in JOBS.values():
        assert callable(getattr(jobs, job.handler_name)), job.name
        assert job.handler_name == job.name.replace("-", "_")
