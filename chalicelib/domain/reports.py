"""A programme's figures: how many were matched, how soon and how often pairs meet, who fell silent, feedback, events.

Pure: computed from lists the reports service loads. Figures hold counts, shares and
scores only (no names, no comments), so they may leave the tenant (a digest, a
dashboard). Shares are fractions from 0 to 1, rounded to four places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from statistics import median

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.events import Invitation, ProgrammeEvent, attendance_figures
from chalicelib.domain.feedback import FeedbackFigures, SurveyRequest, feedback_figures
from chalicelib.domain.meetings import Meeting
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import Participant, Role

RUNNING = frozenset({PairStatus.APPROVED, PairStatus.ACTIVE})
STARTED = RUNNING | {PairStatus.COMPLETED, PairStatus.ENDED_EARLY}
DAY_SECONDS = 86_400


class EventFigures(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str
    kind: str
    starts_at: datetime
    invited: int
    yes: int
    no: int
    attended: int


class ProgrammeFigures(BaseModel):
    """Everything a coordinator's dashboard shows about one programme, at one moment."""

    model_config = ConfigDict(extra="forbid")

    at: datetime
    participants_by_status: dict[str, int]
    mentees: int
    mentors: int
    matched_mentees: int
    matched_share: float | None
    pairs_running: int
    pairs_ended: int
    median_days_to_first_meeting: float | None
    meetings_held: int
    meetings_per_pair: float | None
    meetings_against_cadence: float | None
    silent_pairs: int
    feedback: FeedbackFigures
    events: list[EventFigures]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def programme_figures(
    *,
    now: datetime,
    cadence_days: int,
    participants: Sequence[Participant],
    pairs: Sequence[Pair],
    meetings: Mapping[str, Sequence[Meeting]],
    surveys: Sequence[SurveyRequest],
    events: Sequence[ProgrammeEvent],
    invitations: Mapping[str, Sequence[Invitation]],
) -> ProgrammeFigures:
    by_status: dict[str, int] = {}
    for person in participants:
        by_status[person.status.value] = by_status.get(person.status.value, 0) + 1
    mentees = [p for p in participants if p.role is Role.MENTEE]
    started = [p for p in pairs if p.status in STARTED and not p.awaiting_mentor]
    matched_ids = {p.mentee_id for p in started}

    first_meeting_days: list[float] = []
    held_counts: list[int] = []
    against_cadence: list[float] = []
    silent = 0
    for pair in started:
        taken = sorted(m.starts_at for m in meetings.get(pair.pair_id, ()) if m.held(now))
        start = pair.started_at
        if taken:
            first_meeting_days.append((taken[0] - start).total_seconds() / DAY_SECONDS)
        held_counts.append(len(taken))
        end = now if pair.status in RUNNING else pair.updated_at
        expected = (end - start).total_seconds() / DAY_SECONDS / cadence_days
        if expected >= 1:
            against_cadence.append(len(taken) / expected)
        last = taken[-1] if taken else start
        if pair.status in RUNNING and (now - last).total_seconds() > cadence_days * DAY_SECONDS:
            silent += 1

    return ProgrammeFigures(
        at=now,
        participants_by_status=dict(sorted(by_status.items())),
        mentees=len(mentees),
        mentors=sum(1 for p in participants if p.role is Role.MENTOR),
        matched_mentees=len(matched_ids),
        matched_share=_share(len(matched_ids), len(mentees)),
        pairs_running=sum(1 for p in started if p.status in RUNNING),
        pairs_ended=sum(1 for p in started if p.status not in RUNNING),
        median_days_to_first_meeting=round(median(first_meeting_days), 1) if first_meeting_days else None,
        meetings_held=sum(held_counts),
        meetings_per_pair=round(sum(held_counts) / len(held_counts), 2) if held_counts else None,
        meetings_against_cadence=round(sum(against_cadence) / len(against_cadence), 2) if against_cadence else None,
        silent_pairs=silent,
        feedback=feedback_figures(surveys),
        events=[
            EventFigures(
                event_id=event.event_id,
                kind=event.kind.value,
                starts_at=event.starts_at,
                **attendance_figures(list(invitations.get(event.event_id, ()))),
            )
            for event in sorted(events, key=lambda e: e.starts_at)
        ],
    )
