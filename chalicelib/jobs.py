"""Scheduled jobs: each a thin wrapper over one service function, runnable on demand.

``JOBS`` is the one table of jobs and their schedules (``chalicelib.schedules``): the
Lambda schedules are generated from it below, one function per job, and the operator
CLI (``mentorflow run-job NAME``, ``mentorflow jobs``) and the local scheduler read it
too, so a job runs the same way everywhere. A job cannot be declared without a
schedule, and the table cannot grow at run time: a job EventBridge does not know of
would never run in AWS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from chalice import Blueprint

from chalicelib.container import Container, get_container
from chalicelib.logging import begin, log_event
from chalicelib.schedules import Cron, Rate

bp = Blueprint(__name__)

# The handler is the name with "_" for "-"; chalice names the Lambda "<app>-<stage>-<name>" (64 characters at most).
_JOB_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_MAX_NAME_LENGTH = 40


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Rate | Cron
    run: Callable[[Container], dict[str, Any]]
    description: str

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Rate | Cron):
            raise TypeError(f"job {self.name!r} needs a Rate or Cron schedule, not {self.schedule!r}")
        if not _JOB_NAME.fullmatch(self.name) or len(self.name) > _MAX_NAME_LENGTH:
            raise ValueError(
                f"job name {self.name!r} must be lower-case words joined by '-', at most {_MAX_NAME_LENGTH} characters"
            )

    @property
    def handler_name(self) -> str:
        """The Lambda handler's function name in this module."""
        return self.name.replace("-", "_")


def _retry_deliveries(container: Container) -> dict[str, Any]:
    from chalicelib.services.inbox import retry_due

    return dict(retry_due(specs=container.sources, ctx=container.processing, policy=container.inbox_policy))


# Below the Lambda's 60 s timeout: what is left waits five minutes for the next sweep.
SEND_BUDGET_SECONDS = 45.0


def _send_messages(container: Container) -> dict[str, Any]:
    from chalicelib.notify.pacing import SendPacer
    from chalicelib.services.notifications import send_pending, tenant_rates

    channel = container.channel
    max_send_rate = getattr(channel, "max_send_rate", None)
    report = send_pending(
        storage=container.storage,
        channel=channel,
        clock=container.clock,
        sender=container.settings.sender_email,
        pacer=SendPacer(
            overall_rate=max_send_rate() if callable(max_send_rate) else None,
            tenant_rate=tenant_rates(container.storage),
            budget=SEND_BUDGET_SECONDS,
        ),
    )
    return _as_dict(report)


def _run_scheduled_matching(container: Container) -> dict[str, Any]:
    from chalicelib.services.matching.runs import run_scheduled_matching

    return dict(
        run_scheduled_matching(container.storage, container.notifier, container.clock, container.matching_budgets)
    )


def _run_queued_matching(container: Container) -> dict[str, Any]:
    from chalicelib.services.matching.queue import run_queued_matching

    return run_queued_matching(container.storage, container.notifier, container.clock, container.matching_budgets)


def _expire_acceptances(container: Container) -> dict[str, Any]:
    from chalicelib.services.matching.acceptance import expire_acceptances

    return dict(expire_acceptances(container.storage, container.notifier, container.clock))


def _send_coordinator_digests(container: Container) -> dict[str, Any]:
    from chalicelib.services.digest import send_digests
    from chalicelib.services.review_links import review_links

    base_url = container.settings.public_base_url
    # Links need the address people reach the API at; without it the digest still tells, without buttons.
    links = review_links(container.link_keys, container.clock, base_url) if base_url else None
    return dict(send_digests(container.storage, container.notifier, container.clock, links=links))


def _scrub_archived_programmes(container: Container) -> dict[str, Any]:
    from chalicelib.services.archiving import scrub_due

    return scrub_due(container.storage, container.clock)


def _renew_calendar_watches(container: Container) -> dict[str, Any]:
    from chalicelib.calendars.renewal import renew_due

    return renew_due(storage=container.storage, apis=container.calendar_apis, clock=container.clock)


def _link_issuer(container: Container) -> Any:
    from chalicelib.errors import ConfigurationError
    from chalicelib.services.link_issuer import LinkIssuer

    if not container.settings.public_base_url:
        raise ConfigurationError("links in messages need the public base URL: set MENTORFLOW_PUBLIC_BASE_URL")
    return LinkIssuer(keys=container.link_keys, base_url=container.settings.public_base_url)


def _send_surveys(container: Container) -> dict[str, Any]:
    from chalicelib.services.feedback import sweep_surveys

    links = _link_issuer(container)
    report = sweep_surveys(storage=container.storage, notifier=container.notifier, clock=container.clock, links=links)
    return _as_dict(report)


def _remind_event_attendees(container: Container) -> dict[str, Any]:
    from chalicelib.services.events import remind_attendees

    links = _link_issuer(container)
    return remind_attendees(storage=container.storage, notifier=container.notifier, clock=container.clock, links=links)


def _check_meeting_health(container: Container) -> dict[str, Any]:
    from chalicelib.errors import ConfigurationError
    from chalicelib.services.meetings import ConfirmationLinks, check_due_health

    # A schedule has no request to build URLs from: "did you meet?" links need the configured public URL.
    base_url = container.settings.public_base_url
    if not base_url and container.settings.stage != "local":
        # A deployment would otherwise keep health but silently never ask anyone; failing names the fix.
        raise ConfigurationError('"did you meet?" links need the public base URL: set MENTORFLOW_PUBLIC_BASE_URL')
    links = ConfirmationLinks(keys=container.link_keys, base_url=base_url) if base_url else None
    return check_due_health(storage=container.storage, clock=container.clock, notifier=container.notifier, links=links)


def _sync_people(container: Container) -> dict[str, Any]:
    from chalicelib.registry import sync_tools
    from chalicelib.sync.service import sync_all

    return sync_all(container.storage, container.notifier, container.clock, tools=sync_tools(container))


def _sweep_sync_invitations(container: Container) -> dict[str, Any]:
    from chalicelib.registry import sync_tools
    from chalicelib.sync.invitations import sweep_invitations

    inviter = sync_tools(container).inviter
    assert inviter is not None  # the deployment's tools always carry one
    return sweep_invitations(
        storage=container.storage, notifier=container.notifier, clock=container.clock, inviter=inviter
    )


def _as_dict(report: Any) -> dict[str, Any]:
    if hasattr(report, "model_dump"):
        return dict(report.model_dump(mode="json"))
    if hasattr(report, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(report)
    return dict(report)


def _table(*jobs: Job) -> Mapping[str, Job]:
    table = {job.name: job for job in jobs}
    if len(table) != len(jobs):
        raise ValueError("two jobs share a name; each name is one Lambda function")
    return MappingProxyType(table)


JOBS: Mapping[str, Job] = _table(
    Job(
        "retry-deliveries",
        Rate(minutes=5),
        _retry_deliveries,
        "Retry failed webhook deliveries whose back-off has passed.",
    ),
    Job("send-messages", Rate(minutes=5), _send_messages, "Send queued messages whose time has come."),
    Job(
        "run-scheduled-matching",
        Rate(minutes=24 * 60),
        _run_scheduled_matching,
        "Match every programme whose matching date has come, once per programme and date.",
    ),
    Job(
        "run-queued-matching",
        Rate(minutes=5),
        _run_queued_matching,
        "Run the matching runs too large for an API call, oldest first, each once.",
    ),
    Job(
        "expire-acceptances",
        Rate(minutes=60),
        _expire_acceptances,
        "Expire pairs whose mentor did not accept in time and propose each mentee's next best fit.",
    ),
    Job(
        "send-surveys",
        Rate(minutes=60),
        _send_surveys,
        "Ask each pair's feedback surveys when due and remind those who have not answered after 7, 14 and 21 days.",
    ),
    Job(
        "remind-event-attendees",
        Rate(minutes=60),
        _remind_event_attendees,
        "Remind those who said yes to a programme event the configured number of days before it.",
    ),
    Job(
        "send-coordinator-digests",
        Cron("0", "6", "*", "*", "?"),
        _send_coordinator_digests,
        "Queue each coordinator's daily digest: signups, problems, proposals to review, declines, early ends.",
    ),
    Job(
        "check-meeting-health",
        Rate(minutes=15),
        _check_meeting_health,
        "Recompute the meeting health of pairs whose check time has come (a meeting ended, a cadence passed).",
    ),
    Job(
        "renew-calendar-watches",
        Rate(minutes=15),
        _renew_calendar_watches,
        "Renew Google channels and Graph subscriptions a day before they lapse; open missing ones.",
    ),
    Job(
        "sync-people",
        Cron("0", "2", "*", "*", "?", "*"),
        _sync_people,
        "Sync every enabled HR or CRM connector from its cursor, nightly; one vendor failing stops no other.",
    ),
    Job(
        "sweep-sync-invitations",
        Rate(minutes=60),
        _sweep_sync_invitations,
        "Remind synced people who left an invitation unanswered for 14 days, once; close it after 30 days.",
    ),
    Job(
        "scrub-archived-programmes",
        Cron("30", "3", "*", "*", "?", "*"),
        _scrub_archived_programmes,
        "Scrub the people of archived programmes whose retention has passed, leaving only their counts.",
    ),
)


def run_job(name: str, container: Container | None = None) -> dict[str, Any]:
    """Run one job now and return its counts."""
    job = JOBS[name]
    container = container or get_container()
    begin(job=name)
    result = job.run(container)
    log_event("job finished", job=name, **{k: v for k, v in result.items() if isinstance(v, int)})
    return result


def _schedule_handler(job: Job) -> Callable[[Any], dict[str, Any]]:
    def handler(event: Any) -> dict[str, Any]:
        return run_job(job.name)

    # Chalice writes "<module>.<__name__>" into the template as the Lambda handler.
    handler.__name__ = handler.__qualname__ = job.handler_name
    return handler


def _register_schedules() -> None:
    module = globals()
    for job in JOBS.values():
        if job.handler_name in module:
            raise ValueError(f"job {job.name!r} would replace {job.handler_name!r} of {__name__}")
        schedule = bp.schedule(job.schedule.expression(), name=job.name, description=job.description)
        module[job.handler_name] = schedule(_schedule_handler(job))


_register_schedules()
