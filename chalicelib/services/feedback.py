"""Feedback surveys: plan them when a pair is approved, ask and remind on time, record answers, add them up.

The sweep reads only what is due: survey plans whose next check has come and unanswered
requests whose next reminder has come (two sparse indexes), in pages of ``limit``. Every
side effect is keyed so that a sweep run twice, or killed midway and run again, asks and
reminds each person once: a request's id follows from the pair, the round and the
person (a create-only write), and each message's idempotency key from the request and
the reminder number. A plan records a round as asked only after its requests and
messages are stored, so a crash in between only repeats writes that are no-ops.

An answer (through a link page or a form) is kept once; a concerning one (low rating,
"not a good fit") is told to the programme's coordinator with the comment, which goes
nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.feedback import (
    FEEDBACK_RETENTION,
    GOAL_KINDS,
    REMINDER_DAYS,
    AnswerChannel,
    FeedbackFigures,
    GoalFigures,
    Respondent,
    Round,
    SurveyAnswer,
    SurveyPlan,
    SurveyRequest,
    apply_answer,
    counts_from_first_meeting,
    due_rounds,
    feedback_figures,
    goal_figures,
    next_check,
    next_reminder,
    survey_id_for,
)
from chalicelib.domain.programme import SurveyKind
from chalicelib.errors import NotFound, VersionConflict
from chalicelib.logging import log_event
from chalicelib.notify.outbox import quiet_hours_of
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.link_issuer import LinkIssuer
from chalicelib.services.links import person_link

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.clock import Clock
    from chalicelib.domain.pair import Pair
    from chalicelib.domain.participant import Participant
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.repositories import Storage

SURVEY_ACTION = "survey-answer"
# A survey link outlives the last reminder by a week.
SURVEY_LINK_TTL = timedelta(days=REMINDER_DAYS[-1] + 7)
SWEEP_PAGE = 100


@dataclass
class SweepReport:
    plans_checked: int = 0
    surveys_asked: int = 0
    reminders_sent: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def plan_surveys(storage: Storage, programme: Programme, pair: Pair) -> bool:
    """Give an approved pair its survey plan (once); True if this call created it."""
    if not programme.surveys:
        return False
    start = pair.started_at
    plan = SurveyPlan(
        tenant_id=pair.tenant_id,
        programme_id=pair.programme_id,
        pair_id=pair.pair_id,
        matched_at=start,
        expires_at=start + FEEDBACK_RETENTION,
    )
    plan.next_at = next_check(plan, pair, programme.surveys, start)
    return storage.surveys.add_plan(plan)


def sweep_surveys(
    *, storage: Storage, notifier: Notifier, clock: Clock, links: LinkIssuer, limit: int = SWEEP_PAGE
) -> SweepReport:
    """Ask every survey round that has come, then remind those who have not answered: one page of each."""
    report = SweepReport()
    now = clock.now()
    programmes: dict[tuple[str, str], Programme | None] = {}
    for plan in storage.surveys.plans_due(now, limit=limit):
        report.plans_checked += 1
        programme = _programme(storage, programmes, plan.tenant_id, plan.programme_id)
        pair = storage.pairs.get(plan.tenant_id, plan.programme_id, plan.pair_id)
        if programme is None or pair is None:
            _close_plan(storage, plan)
            report.skipped += 1
            continue
        if plan.first_met_at is None and counts_from_first_meeting(programme.surveys):
            plan.first_met_at = _first_meeting(storage, pair, now)
        for round_ in due_rounds(plan, pair, programme.surveys, now):
            report.surveys_asked += _ask(storage, notifier, clock, links, programme, pair, round_)
            plan.sent = [*plan.sent, round_.key]
        plan.next_at = next_check(plan, pair, programme.surveys, now)
        try:
            storage.surveys.save_plan(plan)
        except VersionConflict:
            # Another sweep saved this plan: it asked the same rounds under the same keys.
            report.skipped += 1
    for request in storage.surveys.reminders_due(now, limit=limit):
        programme = _programme(storage, programmes, request.tenant_id, request.programme_id)
        report.reminders_sent += _remind(storage, notifier, clock, links, programme, request)
    log_event("survey sweep", **{k: v for k, v in vars(report).items() if isinstance(v, int)})
    return report


def _first_meeting(storage: Storage, pair: Pair, now: datetime) -> datetime | None:
    """When the pair's first meeting was held; read only once the pair's health has counted one."""
    if not pair.meetings_held and pair.last_met_at is None:
        return None
    meetings = storage.meetings.for_pair(pair.tenant_id, pair.programme_id, pair.pair_id)
    return min((m.starts_at for m in meetings if m.held(now)), default=None)


def _programme(
    storage: Storage, cache: dict[tuple[str, str], Programme | None], tenant_id: str, programme_id: str
) -> Programme | None:
    if (tenant_id, programme_id) not in cache:
        cache[(tenant_id, programme_id)] = storage.programmes.get(tenant_id, programme_id)
    return cache[(tenant_id, programme_id)]


def _close_plan(storage: Storage, plan: SurveyPlan) -> None:
    plan.next_at = None
    # Losing to another sweep is fine: it closed or advanced the same plan.
    with suppress(VersionConflict):
        storage.surveys.save_plan(plan)


def _ask(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    programme: Programme,
    pair: Pair,
    round_: Round,
) -> int:
    mentor = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentor_id)
    mentee = storage.participants.get(pair.tenant_id, pair.programme_id, pair.mentee_id)
    spec = next((s for s in programme.surveys if s.kind is round_.kind), None)
    asked = 0
    now = clock.now()
    for person, other, respondent in ((mentor, mentee, Respondent.MENTOR), (mentee, mentor, Respondent.MENTEE)):
        if person is None or other is None:
            continue
        request = SurveyRequest(
            survey_id=survey_id_for(pair.tenant_id, pair.programme_id, pair.pair_id, round_, person.participant_id),
            tenant_id=pair.tenant_id,
            programme_id=pair.programme_id,
            pair_id=pair.pair_id,
            participant_id=person.participant_id,
            respondent=respondent,
            kind=round_.kind,
            number=round_.number,
            asked_at=now,
            alert_below=spec.low_score_alert_below if spec is not None else None,
            goals=pair.goals if round_.kind in GOAL_KINDS else [],
            expires_at=now + FEEDBACK_RETENTION,
        )
        request.remind_at = next_reminder(request)
        if not storage.surveys.add_request(request):
            # Asked by an earlier, interrupted sweep: its message is keyed, so queueing again is harmless.
            stored = storage.surveys.get_request(pair.tenant_id, pair.programme_id, request.survey_id)
            request = stored or request
        if _queue(notifier, clock, links, programme, person, other, request, "survey_request", "ask"):
            asked += 1
    return asked


def _remind(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    programme: Programme | None,
    request: SurveyRequest,
) -> int:
    person = storage.participants.get(request.tenant_id, request.programme_id, request.participant_id)
    pair = storage.pairs.get(request.tenant_id, request.programme_id, request.pair_id)
    other_id = None if pair is None else (pair.mentee_id if request.respondent is Respondent.MENTOR else pair.mentor_id)
    other = None if other_id is None else storage.participants.get(request.tenant_id, request.programme_id, other_id)
    number = request.reminders_sent + 1
    sent = 0
    if programme is not None and person is not None and other is not None:
        queued = _queue(notifier, clock, links, programme, person, other, request, "survey_reminder", f"r{number}")
        sent = 1 if queued else 0

    def advance(current: SurveyRequest) -> SurveyRequest | None:
        if current.answered or current.reminders_sent >= number:
            return None
        current.reminders_sent = number
        current.remind_at = next_reminder(current)
        return current

    update_with_retry(
        lambda: storage.surveys.get_request(request.tenant_id, request.programme_id, request.survey_id) or request,
        advance,
        storage.surveys.save_request,
    )
    return sent


def _queue(
    notifier: Notifier,
    clock: Clock,
    links: LinkIssuer,
    programme: Programme,
    person: Participant,
    other: Participant,
    request: SurveyRequest,
    template: str,
    step: str,
) -> bool:
    link = person_link(
        links,
        clock,
        programme=programme,
        person=person,
        action=SURVEY_ACTION,
        subject_id=request.survey_id,
        ttl=SURVEY_LINK_TTL,
    )
    message = notifier.queue(
        tenant_id=request.tenant_id,
        recipient=person,
        programme=programme,
        template=template,
        context={
            "other_name": other.profile.name,
            "link": link,
            "fit_check": request.kind is SurveyKind.FIT_CHECK,
            "pulse": request.kind is SurveyKind.PULSE,
            "closing": request.kind is SurveyKind.CLOSING,
            "survey_id": request.survey_id,
        },
        idempotency_key=f"survey:{request.survey_id}:{step}",
        quiet_hours=quiet_hours_of(programme),
    )
    return message is not None


@dataclass(frozen=True)
class Recorded:
    """What became of an answer: stored (first answer) or not (answered before), and the request as it stands."""

    stored: bool
    request: SurveyRequest


def record_answer(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    survey_id: str,
    answer: SurveyAnswer,
    channel: AnswerChannel,
) -> Recorded:
    """Keep a person's answer to one survey request; the first answer stands.

    A concerning answer is told to the programme's coordinator (once per request).

    Raises
    ------
    NotFound
        No such request in this tenant's programme.
    """

    def load() -> SurveyRequest:
        found = storage.surveys.get_request(tenant_id, programme_id, survey_id)
        if found is None:
            raise NotFound("no such survey")
        return found

    now = clock.now()
    stored = False

    def change(request: SurveyRequest) -> SurveyRequest | None:
        nonlocal stored
        stored = apply_answer(request, answer, channel, now)
        return request if stored else None

    request = update_with_retry(load, change, storage.surveys.save_request)
    if stored:
        log_event("survey answered", tenant_id=tenant_id, survey_id=survey_id, channel=channel.value)
        if request.concerning:
            _alert_coordinator(storage, notifier, request)
    return Recorded(stored=stored, request=request)


def _alert_coordinator(storage: Storage, notifier: Notifier, request: SurveyRequest) -> None:
    programme = storage.programmes.get(request.tenant_id, request.programme_id)
    recipients = programme.coordinator_addresses() if programme is not None else []
    if programme is None or not recipients:
        log_event("survey alert without coordinator", tenant_id=request.tenant_id, survey_id=request.survey_id)
        return
    person = storage.participants.get(request.tenant_id, request.programme_id, request.participant_id)
    pair = storage.pairs.get(request.tenant_id, request.programme_id, request.pair_id)
    other_id = None if pair is None else (pair.mentee_id if request.respondent is Respondent.MENTOR else pair.mentor_id)
    other = None if other_id is None else storage.participants.get(request.tenant_id, request.programme_id, other_id)
    context = {
        "respondent_name": person.profile.name if person is not None else "-",
        "other_name": other.profile.name if other is not None else "-",
        "is_mentor": request.respondent is Respondent.MENTOR,
        "rating": "-" if request.rating is None else str(request.rating),
        "not_a_good_fit": request.good_fit is False,
        "comment": request.comment,
        "pair_id": request.pair_id,
    }
    for email, language in recipients:
        notifier.queue_to_address(
            tenant_id=request.tenant_id,
            email=email,
            language=language,
            programme=programme,
            template="survey_alert",
            context=context,
            idempotency_key=f"survey-alert:{request.survey_id}:{email.lower()}",
        )


def programme_feedback(storage: Storage, tenant_id: str, programme_id: str) -> FeedbackFigures:
    """The programme's feedback figures: counts, response rates, mean rating, NPS; no comment."""
    return feedback_figures(storage.surveys.requests(tenant_id, programme_id))


def answers_of(storage: Storage, tenant_id: str, programme_id: str) -> list[SurveyRequest]:
    """Every answered request of the programme, comments included: for its coordinators only."""
    return [request for request in storage.surveys.requests(tenant_id, programme_id) if request.answered]


# A comment quoted in the digest is cut to this; the whole comment is in the answers listing and CSV.
DIGEST_COMMENT_CHARS = 300


@dataclass(frozen=True)
class FeedbackNews:
    """What the coordinator's digest says about feedback: answers since the last digest, and goal progress so far."""

    answers: list[SurveyRequest] = field(default_factory=list)
    partners: dict[str, str] = field(default_factory=dict)
    goals: GoalFigures = field(default_factory=GoalFigures)

    @property
    def empty(self) -> bool:
        return not self.answers


def feedback_news(storage: Storage, programme: Programme, since: datetime) -> FeedbackNews:
    """The programme's survey answers given since ``since``, with whom each was about."""
    requests = storage.surveys.requests(programme.tenant_id, programme.programme_id)
    answers = sorted(
        (r for r in requests if r.answered_at is not None and r.answered_at >= since),
        key=lambda r: r.answered_at or since,
    )
    partners = {}
    for pair_id in {r.pair_id for r in answers}:
        pair = storage.pairs.get(programme.tenant_id, programme.programme_id, pair_id)
        if pair is not None:
            partners.update({pair.mentor_id: pair.mentee_id, pair.mentee_id: pair.mentor_id})
    return FeedbackNews(answers=answers, partners=partners, goals=goal_figures(requests))


def feedback_digest_context(news: FeedbackNews, name: Callable[[str], str]) -> dict[str, object]:
    """The digest's feedback section: lines of names and numbers, headed in the coordinator's language."""

    def about(request: SurveyRequest) -> str:
        other = news.partners.get(request.participant_id)
        return f"- {name(request.participant_id)} → {name(other) if other else '-'}"

    low = [f"{about(r)}: {r.rating}" for r in news.answers if r.concerning and r.rating is not None]
    unfit = [about(r) for r in news.answers if r.good_fit is False]
    comments = [
        f"{about(r)}: {r.comment[:DIGEST_COMMENT_CHARS]}{'…' if len(r.comment) > DIGEST_COMMENT_CHARS else ''}"
        for r in news.answers
        if r.comment
    ]
    return {
        "feedback_answers": str(len(news.answers)) if news.answers else None,
        "low_ratings": "\n".join(low) or None,
        "not_a_good_fit": "\n".join(unfit) or None,
        "feedback_comments": "\n".join(comments) or None,
        "goals_total": str(news.goals.goals) if news.answers and news.goals.goals else None,
        "goals_moved": str(news.goals.with_progress),
    }
