"""Feedback: when a pair's surveys fall due, what one person's answer is, and what the answers add up to.

A pair gets a ``SurveyPlan`` when it is approved. The plan says which survey rounds it
has had; ``due_rounds`` says which it should have by now (a fit check and pulses counted
from the match, a closing survey counted from the pair's end). Each round asks both
people, one ``SurveyRequest`` each, with reminders 7, 14 and 21 days later to those who
have not answered. Figures (``feedback_figures``) count ratings and fit only: a
free-text comment is for the programme's coordinators and never enters a figure.
Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import DomainModel, stable_id
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Pair, PairStatus
from chalicelib.domain.programme import SurveyKind, SurveySpec

# Days after a survey request at which those who have not answered are reminded.
REMINDER_DAYS: tuple[int, ...] = (7, 14, 21)
# A sweep looks at an open pair at least this often, so a pair that ends gets its closing survey soon after.
PLAN_CHECK_INTERVAL = timedelta(days=7)
# Pulses repeat while the pair runs; a pair that runs for years is not surveyed without bound.
MAX_PULSE_ROUNDS = 24
# Stored comments are cut to this; a form that lets someone paste 100 KB still gets stored.
MAX_COMMENT_CHARS = 2000
# Answers and plans are kept this long after their last change; erasure of a person removes them sooner.
FEEDBACK_RETENTION = timedelta(days=2 * 365)
# A rating below this (0–10) tells the coordinator when the survey sets no threshold of its own.
DEFAULT_ALERT_BELOW = 5
MAX_RATING = 10

ENDED_PAIR_STATUSES = frozenset({PairStatus.COMPLETED, PairStatus.ENDED_EARLY})
# The mid-point pulse and the closing survey ask how far each of the mentee's goals got.
GOAL_KINDS = frozenset({SurveyKind.PULSE, SurveyKind.CLOSING})
MAX_GOALS = 8
MAX_GOAL_CHARS = 200


class GoalProgress(StrEnum):
    NOT_STARTED = "not_started"
    SOME_PROGRESS = "some_progress"
    ACHIEVED = "achieved"


def pair_goals(free_text: str | None, topics: Sequence[str]) -> list[str]:
    """A mentee's goals as a pair carries them: each chosen topic, then each line of their own words.

    Duplicates (ignoring case) are dropped, each goal is cut to ``MAX_GOAL_CHARS`` and at
    most ``MAX_GOALS`` are kept, so a survey page stays short whatever the signup said.
    """
    lines = [line.strip(" \t-•*") for line in (free_text or "").replace(";", "\n").splitlines()]
    goals: dict[str, str] = {}
    for goal in [*topics, *lines]:
        text = " ".join(goal.split())[:MAX_GOAL_CHARS].strip()
        if text:
            goals.setdefault(text.casefold(), text)
    return list(goals.values())[:MAX_GOALS]


class Respondent(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class AnswerChannel(StrEnum):
    LINK = "link"
    FORM = "form"


@dataclass(frozen=True, order=True)
class Round:
    """One survey of a pair: its kind and, for repeating pulses, which repetition (0-based)."""

    kind: SurveyKind
    number: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.number}"


class SurveyPlan(DomainModel):
    """Which survey rounds a pair has had, and when a sweep should look at it next (None: never again)."""

    tenant_id: str
    programme_id: str
    pair_id: str
    matched_at: datetime
    first_met_at: datetime | None = Field(default=None, description="When the pair's first meeting was held.")
    sent: list[str] = Field(default_factory=list, description="Keys of the rounds already asked.")
    next_at: datetime | None = None
    expires_at: datetime


class SurveyRequest(DomainModel):
    """One person asked one survey round, and their answer once it came."""

    survey_id: str
    tenant_id: str
    programme_id: str
    pair_id: str
    participant_id: str
    respondent: Respondent
    kind: SurveyKind
    number: int = 0
    asked_at: datetime
    reminders_sent: int = Field(default=0, ge=0)
    remind_at: datetime | None = Field(default=None, description="The next reminder; None when answered or done.")
    answered_at: datetime | None = None
    channel: AnswerChannel | None = None
    rating: int | None = Field(default=None, ge=0, le=MAX_RATING)
    good_fit: bool | None = None
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)
    alert_below: int | None = Field(default=None, ge=0, le=MAX_RATING)
    goals: list[str] = Field(
        default_factory=list, max_length=MAX_GOALS, description="The goals this survey asks about."
    )
    goal_progress: dict[str, GoalProgress] = Field(
        default_factory=dict, description="How far each goal got, by its number in ``goals`` (from 1)."
    )
    expires_at: datetime

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def concerning(self) -> bool:
        """A low rating or "not a good fit": the coordinator should hear of it."""
        threshold = DEFAULT_ALERT_BELOW if self.alert_below is None else self.alert_below
        return self.good_fit is False or (self.rating is not None and self.rating < threshold)


def survey_id_for(tenant_id: str, programme_id: str, pair_id: str, round_: Round, participant_id: str) -> str:
    """The same round asked of the same person always has the same id: a re-run sweep finds it stored."""
    return stable_id("srv", tenant_id, programme_id, pair_id, round_.key, participant_id)


class SurveyAnswer(BaseModel):
    """An answer as given through a page or a form, before it is stored."""

    model_config = ConfigDict(extra="forbid")

    rating: int | None = Field(default=None, ge=0, le=MAX_RATING)
    good_fit: bool | None = None
    comment: str | None = None
    goal_progress: dict[str, GoalProgress] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.rating is None and self.good_fit is None and not self.comment and not self.goal_progress


def clean_comment(text: str | None) -> str | None:
    """A comment as stored: NFC, control characters out, trimmed and cut to ``MAX_COMMENT_CHARS``."""
    if text is None:
        return None
    normal = unicodedata.normalize("NFC", text)
    kept = "".join(ch for ch in normal if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    stripped = kept.strip()[:MAX_COMMENT_CHARS].strip()
    return stripped or None


def apply_answer(request: SurveyRequest, answer: SurveyAnswer, channel: AnswerChannel, at: datetime) -> bool:
    """Record ``answer`` on ``request``; False, changing nothing, when it was answered already (the first stands)."""
    if request.answered:
        return False
    request.rating = answer.rating
    request.good_fit = answer.good_fit
    request.comment = clean_comment(answer.comment)
    asked = {str(number) for number in range(1, len(request.goals) + 1)}
    request.goal_progress = {number: progress for number, progress in answer.goal_progress.items() if number in asked}
    request.channel = channel
    request.answered_at = at
    request.remind_at = None
    request.expires_at = at + FEEDBACK_RETENTION
    return True


def next_reminder(request: SurveyRequest) -> datetime | None:
    """When the next reminder is due for an unanswered request, counting from when it was asked."""
    if request.answered or request.reminders_sent >= len(REMINDER_DAYS):
        return None
    return request.asked_at + timedelta(days=REMINDER_DAYS[request.reminders_sent])


def ended_at(pair: Pair) -> datetime | None:
    if pair.status not in ENDED_PAIR_STATUSES:
        return None
    for change in reversed(pair.history):
        if change.status == pair.status.value:
            return change.at
    return pair.updated_at


def counts_from_first_meeting(surveys: Sequence[SurveySpec]) -> bool:
    return any(spec.count_from == "after_first_meeting" for spec in surveys if spec.kind is not SurveyKind.CLOSING)


def _schedule(plan: SurveyPlan, pair: Pair, surveys: Sequence[SurveySpec]) -> Iterable[tuple[Round, datetime]]:
    """Every round the programme's surveys give this pair, with the time each falls due.

    A survey counted from the first meeting has no rounds until that meeting is held.
    """
    end = ended_at(pair)
    for spec in surveys:
        if spec.kind is SurveyKind.CLOSING:
            if end is not None:
                yield Round(spec.kind), end + timedelta(days=spec.offset_days)
            continue
        start = plan.first_met_at if spec.count_from == "after_first_meeting" else plan.matched_at
        if start is None:
            continue
        first = start + timedelta(days=spec.offset_days)
        if spec.repeat_every_days is None:
            yield Round(spec.kind), first
            continue
        for number in range(MAX_PULSE_ROUNDS):
            yield Round(spec.kind, number), first + timedelta(days=number * spec.repeat_every_days)


def due_rounds(plan: SurveyPlan, pair: Pair, surveys: Sequence[SurveySpec], now: datetime) -> list[Round]:
    """The rounds due by ``now`` and not yet asked.

    A running pair's fit check and pulses fall due while it runs; once it has ended
    only its closing survey is asked (the others would ask about a pair that is over).
    A pair that never ran (rejected, declined, expired) is not surveyed.
    """
    if pair.status not in OPEN_PAIR_STATUSES | ENDED_PAIR_STATUSES or pair.status is PairStatus.PROPOSED:
        return []
    end = ended_at(pair)
    due = []
    for round_, at in _schedule(plan, pair, surveys):
        if round_.key in plan.sent or at > now:
            continue
        if end is not None and round_.kind is not SurveyKind.CLOSING:
            # Once the pair is over only the closing survey asks about it, even of a round missed while it ran.
            continue
        due.append(round_)
    return sorted(due)


def next_check(plan: SurveyPlan, pair: Pair, surveys: Sequence[SurveySpec], now: datetime) -> datetime | None:
    """When a sweep should next look at the pair: its next round, or a week on while it runs; None when done."""
    if pair.status not in OPEN_PAIR_STATUSES | ENDED_PAIR_STATUSES:
        return None
    upcoming = [
        at
        for round_, at in _schedule(plan, pair, surveys)
        if round_.key not in plan.sent and at > now and (ended_at(pair) is None or round_.kind is SurveyKind.CLOSING)
    ]
    if pair.status in ENDED_PAIR_STATUSES:
        return min(upcoming, default=None)
    return min([*upcoming, now + PLAN_CHECK_INTERVAL])


class KindFigures(BaseModel):
    """Response and scores of one survey kind."""

    model_config = ConfigDict(extra="forbid")

    asked: int = 0
    answered: int = 0
    response_rate: float | None = None
    mean_rating: float | None = None
    nps: float | None = Field(default=None, description="Promoters (9–10) minus detractors (0–6), in % of ratings.")
    not_a_good_fit: int = 0


class GoalFigures(BaseModel):
    """How far the pairs' goals got, by the latest answer about each goal of each pair."""

    model_config = ConfigDict(extra="forbid")

    goals: int = Field(default=0, description="Goals someone said something about.")
    with_progress: int = Field(default=0, description="Of those, goals with some progress or achieved.")
    achieved: int = 0
    progress_share: float | None = None
    achieved_share: float | None = None


class FeedbackFigures(BaseModel):
    """A programme's feedback in figures: counts and scores, never a comment."""

    model_config = ConfigDict(extra="forbid")

    total: KindFigures
    by_kind: dict[str, KindFigures]
    goals: GoalFigures = Field(default_factory=GoalFigures)


def _figures(requests: Sequence[SurveyRequest]) -> KindFigures:
    answered = [r for r in requests if r.answered]
    ratings = [r.rating for r in answered if r.rating is not None]
    promoters = sum(1 for rating in ratings if rating >= 9)
    detractors = sum(1 for rating in ratings if rating <= 6)
    return KindFigures(
        asked=len(requests),
        answered=len(answered),
        response_rate=round(len(answered) / len(requests), 4) if requests else None,
        mean_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        nps=round(100 * (promoters - detractors) / len(ratings), 1) if ratings else None,
        not_a_good_fit=sum(1 for r in answered if r.good_fit is False),
    )


def goal_figures(requests: Sequence[SurveyRequest]) -> GoalFigures:
    """Goal progress over every pair's goals, each counted once at its latest answer (mentor's or mentee's)."""
    latest: dict[tuple[str, str], tuple[datetime, GoalProgress]] = {}
    for request in requests:
        if request.answered_at is None:
            continue
        for number, progress in request.goal_progress.items():
            key = (request.pair_id, number)
            if key not in latest or latest[key][0] <= request.answered_at:
                latest[key] = (request.answered_at, progress)
    states = [progress for _, progress in latest.values()]
    moved = sum(1 for s in states if s is not GoalProgress.NOT_STARTED)
    achieved = sum(1 for s in states if s is GoalProgress.ACHIEVED)
    return GoalFigures(
        goals=len(states),
        with_progress=moved,
        achieved=achieved,
        progress_share=round(moved / len(states), 4) if states else None,
        achieved_share=round(achieved / len(states), 4) if states else None,
    )


def feedback_figures(requests: Sequence[SurveyRequest]) -> FeedbackFigures:
    kinds = sorted({r.kind for r in requests})
    return FeedbackFigures(
        total=_figures(requests),
        by_kind={kind.value: _figures([r for r in requests if r.kind is kind]) for kind in kinds},
        goals=goal_figures(requests),
    )
