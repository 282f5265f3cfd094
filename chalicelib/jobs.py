"""Scheduled jobs: each a thin wrapper over one service function, runnable on demand.

``JOBS`` is the one list of jobs and their rates; the Chalice schedules below, the
operator CLI (``mentorflow run-job NAME``) and the local scheduler all read it, so a
job runs the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Rate

from chalicelib.container import Container, get_container
from chalicelib.logging import begin, log_event

bp = Blueprint(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_minutes: int
    run: Callable[[Container], dict[str, Any]]
    description: str


def _retry_deliveries(container: Container) -> dict[str, Any]:
    from chalicelib.services.inbox import retry_due

    return dict(retry_due(specs=container.sources, ctx=container.processing, policy=container.inbox_policy))


def _send_messages(container: Container) -> dict[str, Any]:
    from chalicelib.services.notifications import send_pending

    report = send_pending(
        storage=container.storage,
        channel=container.channel,
        clock=container.clock,
        sender=container.settings.sender_email,
    )
    return _as_dict(report)


def _run_scheduled_matching(container: Container) -> dict[str, Any]:
    from chalicelib.services.matching.runs import run_scheduled_matching

    return dict(run_scheduled_matching(container.storage, container.notifier, container.clock))


def _expire_acceptances(container: Container) -> dict[str, Any]:
    from chalicelib.services.matching.acceptance import expire_acceptances

    return dict(expire_acceptances(container.storage, container.notifier, container.clock))


def _as_dict(report: Any) -> dict[str, Any]:
    if hasattr(report, "model_dump"):
        return dict(report.model_dump(mode="json"))
    if hasattr(report, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(report)
    return dict(report)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "retry-deliveries",
            5,
            _retry_deliveries,
            "Retry failed webhook deliveries whose back-off has passed.",
        ),
        Job("send-messages", 5, _send_messages, "Send queued messages whose time has come."),
        Job(
            "run-scheduled-matching",
            24 * 60,
            _run_scheduled_matching,
            "Match every programme whose matching date has come, once per programme and date.",
        ),
        Job(
            "expire-acceptances",
            60,
            _expire_acceptances,
            "Expire pairs whose mentor did not accept in time and propose each mentee's next best fit.",
        ),
    )
}


def register(job: Job) -> None:
    """Add a job contributed by a feature module (matching, reminders, feedback, sync)."""
    JOBS[job.name] = job


def run_job(name: str, container: Container | None = None) -> dict[str, Any]:
    """Run one job now and return its counts."""
    job = JOBS[name]
    container = container or get_container()
    begin(job=name)
    result = job.run(container)
    log_event("job finished", job=name, **{k: v for k, v in result.items() if isinstance(v, int)})
    return result


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="retry-deliveries")
def retry_deliveries(event: Any) -> dict[str, Any]:
    return run_job("retry-deliveries")


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="send-messages")
def send_messages(event: Any) -> dict[str, Any]:
    return run_job("send-messages")


@bp.schedule(Rate(24 * 60, unit=Rate.MINUTES), name="run-scheduled-matching")
def run_scheduled_matching(event: Any) -> dict[str, Any]:
    return run_job("run-scheduled-matching")


@bp.schedule(Rate(60, unit=Rate.MINUTES), name="expire-acceptances")
def expire_acceptances(event: Any) -> dict[str, Any]:
    return run_job("expire-acceptances")
