"""Programme reports: the figures (``domain.reports``) from what is stored, and CSV downloads for coordinators.

The CSV files are for the tenant's own coordinators (through its API key) and may hold
names, addresses and survey comments; the figures hold neither. Every cell that a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return
at its start) is prefixed with ``'``, so a name or comment typed as ``=HYPERLINK(...)``
stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.domain.reports import ProgrammeFigures, programme_figures
from chalicelib.errors import NotFound
from chalicelib.services.matching.people import all_participants
from chalicelib.services.programmes import get_programme

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.storage.repositories import Storage

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def figures(storage: Storage, tenant_id: str, programme_id: str, now: datetime) -> ProgrammeFigures:
    """The programme's figures now.

    Raises
    ------
    NotFound
        No such programme for this tenant.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    pairs = storage.pairs.list(tenant_id, programme_id)
    events = storage.events.list(tenant_id, programme_id)
    return programme_figures(
        now=now,
        cadence_days=programme.meeting_cadence_days,
        participants=all_participants(storage, tenant_id, programme_id),
        pairs=pairs,
        meetings={p.pair_id: storage.meetings.for_pair(tenant_id, programme_id, p.pair_id) for p in pairs},
        surveys=storage.surveys.requests(tenant_id, programme_id),
        events=events,
        invitations={e.event_id: storage.events.invitations(tenant_id, programme_id, e.event_id) for e in events},
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(getattr(value, "value", value))
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _participants(storage: Storage, tenant_id: str, programme_id: str, now: datetime) -> str:
    people = all_participants(storage, tenant_id, programme_id)
    return _csv(
        ("participant_id", "role", "status", "name", "email", "language", "timezone", "created_at"),
        (
            (
                p.participant_id,
                p.role,
                p.status,
                p.profile.name,
                p.email,
                p.profile.language,
                p.profile.timezone,
                p.created_at,
            )
            for p in people
        ),
    )


def _pairs(storage: Storage, tenant_id: str, programme_id: str, now: datetime) -> str:
    return _csv(
        (
            "pair_id",
            "mentor_id",
            "mentee_id",
            "status",
            "score",
            "meetings_held",
            "last_met_at",
            "created_at",
            "end_reason",
        ),
        (
            (
                p.pair_id,
                p.mentor_id,
                p.mentee_id,
                p.status,
                p.score,
                p.meetings_held,
                p.last_met_at,
                p.created_at,
                p.end_reason,
            )
            for p in storage.pairs.list(tenant_id, programme_id)
        ),
    )


def _meetings(storage: Storage, tenant_id: str, programme_id: str, now: datetime) -> str:
    rows = []
    for pair in storage.pairs.list(tenant_id, programme_id):
        for m in storage.meetings.for_pair(tenant_id, programme_id, pair.pair_id):
            rows.append((m.meeting_id, m.pair_id, m.source, m.status, m.starts_at, m.ends_at, m.held(now)))
    return _csv(("meeting_id", "pair_id", "source", "status", "starts_at", "ends_at", "held"), rows)


def _answers(storage: Storage, tenant_id: str, programme_id: str, now: datetime) -> str:
    return _csv(
        ("survey_id", "pair_id", "participant_id", "respondent", "kind", "round", "asked_at", "answered_at",
         "channel", "rating", "good_fit", "comment", "goals", "goal_progress"),
        (
            (r.survey_id, r.pair_id, r.participant_id, r.respondent, r.kind, r.number, r.asked_at, r.answered_at,
             r.channel, r.rating, r.good_fit, r.comment, _numbered(r.goals),
             "; ".join(f"{n}: {p.value}" for n, p in sorted(r.goal_progress.items(), key=lambda i: int(i[0]))))
            for r in storage.surveys.requests(tenant_id, programme_id)
        ),
    )  # fmt: skip


def _numbered(goals: Sequence[str]) -> str:
    return "; ".join(f"{n}: {goal}" for n, goal in enumerate(goals, start=1))


def _attendance(storage: Storage, tenant_id: str, programme_id: str, now: datetime) -> str:
    rows = []
    for event in storage.events.list(tenant_id, programme_id):
        for i in storage.events.invitations(tenant_id, programme_id, event.event_id):
            rows.append(
                (
                    event.event_id,
                    event.kind,
                    event.title,
                    event.starts_at,
                    i.participant_id,
                    i.rsvp,
                    i.attended,
                    i.attendance_by,
                )
            )
    return _csv(("event_id", "kind", "title", "starts_at", "participant_id", "rsvp", "attended", "attendance_by"), rows)


EXPORTS: dict[str, Callable[[Storage, str, str, datetime], str]] = {
    "participants": _participants,
    "pairs": _pairs,
    "meetings": _meetings,
    "answers": _answers,
    "attendance": _attendance,
}


def export_csv(storage: Storage, tenant_id: str, programme_id: str, kind: str, now: datetime) -> str:
    """One of ``EXPORTS`` as CSV text (RFC 4180, CRLF lines, a header row).

    Raises
    ------
    NotFound
        No such programme, or no such export.
    """
    get_programme(storage, tenant_id, programme_id)
    build = EXPORTS.get(kind)
    if build is None:
        raise NotFound("no such export", details={"exports": sorted(EXPORTS)})
    return build(storage, tenant_id, programme_id, now)
