"""The matching lifecycle: run a cohort matching, review the proposals, start, end and rematch pairs.

Pure except for the injected storage, notifier and clock. The cohort maths is the
engine's (``chalicelib.domain.matching.match_cohort``); this module decides who takes
part, stores what the engine proposes, and moves pairs and people along their
statuses, telling each person in their own language.

No double matching
------------------
Two defences, because a matching run reads the whole cohort first and writes later:

* **One run per programme at a time.** A run first takes the programme's
  ``MatchingLease`` with an optimistic-concurrency write. A second run that finds it
  held, or loses the race to take it, stops with ``MatchingBusy`` (409) before it has
  read anything. The run that holds it reads a cohort in which everybody with an
  open pair (proposed, approved, active) is left out and every mentor's capacity is
  reduced by their open pairs, so running the same round again proposes nothing new.
  This is what protects mentors' capacity, which per-mentee ids alone cannot.
* **Deterministic pair ids.** A mentee's next pair id follows from the programme, the
  mentee and how many pairs they have had (``pair_id_for``), and pairs are created
  with a create-only write. Should two runs ever read the same state (a lease outlived
  by a run that is still writing cannot happen on Lambda, whose limit is shorter, but
  a clock can jump), the second proposal for a mentee is refused by storage and counted
  in ``pairs_skipped``.

A scheduled run has a deterministic run id per programme and matching date, and is
skipped when that run is already stored, so a programme is matched once per date.

Messages carry the other person's name and e-mail only, so the two can meet. Logs
carry ids and counts; never names, addresses or explanations (they name goals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from chalicelib.clock import Clock
from chalicelib.domain.common import StatusChange, normalise_email
from chalicelib.domain.matching import (
    MatchingPolicy,
    MatchResult,
    MenteeProfile,
    MentorProfile,
    ReasonCode,
    match_cohort,
)
from chalicelib.domain.matching_run import (
    MatchingLease,
    MatchRun,
    Proposal,
    RunFigures,
    RunTrigger,
    UnmatchedEntry,
    new_run_id,
    reason_record,
    scheduled_run_id,
)
from chalicelib.domain.message import message_id_for
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, REFUSED_PAIR_STATUSES, Pair, PairStatus, pair_id_for
from chalicelib.domain.participant import Participant, ParticipantStatus, Role
from chalicelib.domain.programme import Programme, ProgrammeKind, ProgrammeStatus
from chalicelib.errors import Conflict, IllegalTransition, MentoringError, NotFound, VersionConflict
from chalicelib.logging import log_event, log_warning
from chalicelib.notify.outbox import Notifier, quiet_hours_of
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage

_P = ParticipantStatus
MENTEE_POOL = frozenset({_P.ACCEPTED, _P.WAITLISTED})
MENTOR_POOL = frozenset({_P.ACCEPTED, _P.MATCHED, _P.ACTIVE})
# A pair may only start while both people still take part.
_MENTEE_CAN_START = frozenset({_P.ACCEPTED, _P.WAITLISTED, _P.MATCHED})
_MENTOR_CAN_START = MENTOR_POOL

PARTICIPANT_PAGE = 1000
SWEEP_BATCH = 100
_SAVE_ATTEMPTS = 5

T = TypeVar("T")


class MatchingBusy(Conflict):
    """Raised when another matching run of the programme is writing: run again once it is done."""

    code = "matching_in_progress"


class RunReport(BaseModel):
    """What a run proposed (stored unless ``run.dry_run``) and whom it left unmatched, with reasons."""

    run: MatchRun
    proposals: list[Proposal]
    proposals_total: int = Field(default=0, description="All proposals, where ``proposals`` shows only the first.")
    approved: int = 0
    waitlisted: int = 0

    @model_validator(mode="after")
    def _count(self) -> RunReport:
        self.proposals_total = max(self.proposals_total, len(self.proposals))
        return self

    def first(self, limit: int) -> RunReport:
        """The report with at most ``limit`` proposals, for answers that must stay small."""
        return self.model_copy(update={"proposals": self.proposals[:limit]})


class PairOutcome(BaseModel):
    """A pair after a coordinator's or mentor's action, and the rematch it led to (if any)."""

    pair: Pair
    rematch: RunReport | None = None
    rematch_deferred: bool = False


class SkippedPair(BaseModel):
    pair_id: str
    error: str
    message: str


class ApproveAllReport(BaseModel):
    approved: list[str]
    skipped: list[SkippedPair]


# --- Loading the cohort -------------------------------------------------------------------------


@dataclass
class _Cohort:
    pairs: list[Pair]
    mentees: list[MenteeProfile] = field(default_factory=list)
    mentors: list[MentorProfile] = field(default_factory=list)

    def pairs_so_far(self) -> Counter[str]:
        return Counter(p.mentee_id for p in self.pairs)


def all_participants(storage: Storage, tenant_id: str, programme_id: str) -> list[Participant]:
    """Every participant of the programme, following the listing's pages."""
    found: list[Participant] = []
    cursor: str | None = None
    while True:
        page = storage.participants.list(tenant_id, programme_id, limit=PARTICIPANT_PAGE, cursor=cursor)
        found.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return found


def utc_offset_minutes(timezone: str | None, at: datetime) -> int | None:
    """The zone's offset from UTC at ``at`` (so summer time counts), in minutes."""
    if not timezone:
        return None
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def _languages(person: Participant) -> tuple[str, ...]:
    profile = person.profile
    if profile.languages:
        return tuple(profile.languages)
    # Someone who only said which language to write to them in speaks at least that one.
    return (profile.language,) if profile.language else ()


def _ranked_mentor_ids(person: Participant, mentor_ids_by_email: dict[str, str]) -> tuple[str, ...]:
    ranked: list[str] = []
    for choice in person.profile.ranked_preferences:
        if "@" in choice:
            try:
                mentor_id = mentor_ids_by_email.get(normalise_email(choice))
            except ValueError:
                mentor_id = None
            if mentor_id is not None:
                ranked.append(mentor_id)
        elif choice.strip():
            ranked.append(choice.strip())
    return tuple(ranked)


def _shared_fields(person: Participant, at: datetime) -> dict[str, Any]:
    """What mentees and mentors tell the engine alike."""
    profile = person.profile
    return {
        "participant_id": person.participant_id,
        "email": person.email,
        "company": profile.company,
        "department": profile.department,
        # One level of the reporting line is what a signup or the HR sync tells us.
        "manager_chain": (profile.manager_email,) if profile.manager_email else (),
        "languages": _languages(person),
        "utc_offset_minutes": utc_offset_minutes(profile.timezone, at),
        "seniority": profile.seniority,
        "tags": tuple(profile.tags),
        "priority": person.priority,
    }


def _mentee_profile(person: Participant, at: datetime, mentor_ids_by_email: dict[str, str]) -> MenteeProfile:
    return MenteeProfile(
        **_shared_fields(person, at), ranked_mentor_ids=_ranked_mentor_ids(person, mentor_ids_by_email)
    )


def _mentor_profile(person: Participant, at: datetime, capacity: int) -> MentorProfile:
    return MentorProfile(**_shared_fields(person, at), capacity=capacity)


def _load_cohort(storage: Storage, programme: Programme, at: datetime, mentee_ids: frozenset[str] | None) -> _Cohort:
    people = all_participants(storage, programme.tenant_id, programme.programme_id)
    pairs = storage.pairs.list(programme.tenant_id, programme.programme_id)
    cohort = _Cohort(pairs=pairs)
    open_pairs = [p for p in pairs if p.status in OPEN_PAIR_STATUSES]
    paired_mentees = {p.mentee_id for p in open_pairs}
    mentor_load = Counter(p.mentor_id for p in open_pairs)
    mentor_ids_by_email = {p.email: p.participant_id for p in people if p.role is Role.MENTOR}

    for person in people:
        if person.role is Role.MENTEE:
            if person.status not in MENTEE_POOL or person.participant_id in paired_mentees:
                continue
            if mentee_ids is not None and person.participant_id not in mentee_ids:
                continue
            cohort.mentees.append(_mentee_profile(person, at, mentor_ids_by_email))
        elif person.status in MENTOR_POOL:
            offered = 1 if person.profile.capacity is None else person.profile.capacity
            remaining = offered - mentor_load[person.participant_id]
            # A mentor whose places are all taken is busy, not unmatched; one offering none is reported.
            if offered > 0 and remaining <= 0:
                continue
            cohort.mentors.append(_mentor_profile(person, at, max(remaining, 0)))
    return cohort


def _policy_and_past_pairs(
    policy: MatchingPolicy, pairs: Iterable[Pair]
) -> tuple[MatchingPolicy, set[tuple[str, str]]]:
    """Past pairs the engine must not propose again.

    Pairs that someone refused or that broke up are never proposed again, even where
    the programme allows repeating earlier pairs.
    """
    every = {(p.mentee_id, p.mentor_id) for p in pairs}
    if policy.forbid_repeat_pairs:
        return policy, every
    refused = {(p.mentee_id, p.mentor_id) for p in pairs if p.status in REFUSED_PAIR_STATUSES}
    if not refused:
        return policy, set()
    return policy.model_copy(update={"forbid_repeat_pairs": True}), refused


# --- Running ------------------------------------------------------------------------------------


def run_matching(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    *,
    dry_run: bool,
    trigger: RunTrigger = "api",
) -> RunReport:
    """Match the programme's cohort; a dry run only reports, a real run stores pairs and the run.

    Raises
    ------
    NotFound
        When the programme does not exist for this tenant.
    Conflict
        When a real run is asked of a closed programme.
    MatchingBusy
        When another run of the programme is writing.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    if dry_run:
        return _preview(storage, clock, programme, trigger=trigger)
    if programme.status == ProgrammeStatus.CLOSED:
        raise Conflict("the programme is closed", details={"status": programme.status.value})
    report = _locked_run(storage, notifier, clock, programme, run_id=new_run_id(), trigger=trigger)
    assert report is not None  # a fresh run id is never stored yet
    return report


def _preview(storage: Storage, clock: Clock, programme: Programme, *, trigger: RunTrigger) -> RunReport:
    now = clock.now()
    cohort = _load_cohort(storage, programme, now, None)
    result = _match(programme, cohort)
    run = MatchRun(
        tenant_id=programme.tenant_id,
        programme_id=programme.programme_id,
        trigger=trigger,
        dry_run=True,
        requested_at=now,
        finished_at=clock.now(),
        figures=RunFigures.of(result.figures),
        unmatched=[UnmatchedEntry.of(u) for u in result.unmatched],
    )
    log_event(
        "matching previewed",
        tenant_id=programme.tenant_id,
        programme_id=programme.programme_id,
        run_id=run.run_id,
        count=len(result.pairs),
    )
    return RunReport(run=run, proposals=[Proposal.of(p, None) for p in result.pairs])


def _match(programme: Programme, cohort: _Cohort) -> MatchResult:
    policy, past_pairs = _policy_and_past_pairs(programme.matching, cohort.pairs)
    return match_cohort(cohort.mentees, cohort.mentors, policy, past_pairs=past_pairs)


def _with_lease(storage: Storage, clock: Clock, programme: Programme, run_id: str, work: Callable[[], T]) -> T:
    tenant_id, programme_id = programme.tenant_id, programme.programme_id
    now = clock.now()
    lease = storage.runs.lease(tenant_id, programme_id) or MatchingLease(
        tenant_id=tenant_id, programme_id=programme_id, updated_at=now
    )
    busy = MatchingBusy("another matching run of this programme is in progress; try again when it is done")
    if lease.held_by_other(run_id, now):
        raise busy
    lease.take(run_id, now)
    try:
        lease = storage.runs.save_lease(lease)
    except VersionConflict as exc:
        raise busy from exc
    try:
        return work()
    finally:
        lease.release(clock.now())
        try:
            storage.runs.save_lease(lease)
        except VersionConflict:
            # Only after our lease ran out can someone else have taken it; theirs is left alone.
            log_warning("matching lease was taken over", tenant_id=tenant_id, programme_id=programme_id, run_id=run_id)


def _locked_run(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    programme: Programme,
    *,
    run_id: str,
    trigger: RunTrigger,
    mentee_ids: frozenset[str] | None = None,
    matching_date: date | None = None,
) -> RunReport | None:
    """A real run under the programme's lease; None when a run with this id is already stored."""

    def work() -> RunReport | None:
        if _already_run(storage, programme, run_id):
            return None
        return _real_run(
            storage,
            notifier,
            clock,
            programme,
            run_id=run_id,
            trigger=trigger,
            mentee_ids=mentee_ids,
            matching_date=matching_date,
        )

    return _with_lease(storage, clock, programme, run_id, work)


def _already_run(storage: Storage, programme: Programme, run_id: str) -> bool:
    # The listing reads only the runs' summaries, not a large run's per-person detail.
    return any(r.run_id == run_id for r in storage.runs.list(programme.tenant_id, programme.programme_id))


def _real_run(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    programme: Programme,
    *,
    run_id: str,
    trigger: RunTrigger,
    mentee_ids: frozenset[str] | None,
    matching_date: date | None,
) -> RunReport:
    tenant_id, programme_id = programme.tenant_id, programme.programme_id
    now = clock.now()
    cohort = _load_cohort(storage, programme, now, mentee_ids)
    result = _match(programme, cohort)

    pairs_so_far = cohort.pairs_so_far()
    created: list[Pair] = []
    proposals: list[Proposal] = []
    skipped = 0
    for matched in result.pairs:
        pair = Pair(
            pair_id=pair_id_for(tenant_id, programme_id, matched.mentee_id, pairs_so_far[matched.mentee_id]),
            tenant_id=tenant_id,
            programme_id=programme_id,
            mentor_id=matched.mentor_id,
            mentee_id=matched.mentee_id,
            history=[StatusChange(status=PairStatus.PROPOSED.value, at=now, reason=f"proposed by run {run_id}")],
            score=matched.score,
            explanation=matched.explanation,
            reasons=[reason_record(r) for r in matched.reasons],
            run_id=run_id,
            created_at=now,
            updated_at=now,
        )
        try:
            created.append(storage.pairs.save(pair))
        except VersionConflict:
            skipped += 1
            continue
        proposals.append(Proposal.of(matched, pair.pair_id))

    waitlisted = 0
    round_day = matching_date or now.date()
    for unmatched in result.unmatched:
        if unmatched.role == "mentee" and unmatched.code is not ReasonCode.DUPLICATE_PROFILE:
            waitlisted += _waitlist(storage, notifier, clock, programme, unmatched.participant_id, round_day)

    run = storage.runs.add(
        MatchRun(
            run_id=run_id,
            tenant_id=tenant_id,
            programme_id=programme_id,
            trigger=trigger,
            requested_at=now,
            finished_at=clock.now(),
            matching_date=matching_date,
            mentee_ids=sorted(mentee_ids or ()),
            figures=RunFigures.of(result.figures),
            unmatched=[UnmatchedEntry.of(u) for u in result.unmatched],
            pair_ids=[p.pair_id for p in created],
            pairs_skipped=skipped,
        )
    )

    approved = 0
    if programme.matching.auto_approve:
        for pair in created:
            try:
                _approve(storage, notifier, clock, programme, pair, reason="approved automatically")
                approved += 1
            except (IllegalTransition, Conflict) as exc:
                log_warning(
                    "automatic approval skipped",
                    tenant_id=tenant_id,
                    pair_id=pair.pair_id,
                    error_type=type(exc).__name__,
                )

    log_event(
        "matching run finished",
        tenant_id=tenant_id,
        programme_id=programme_id,
        run_id=run_id,
        trigger=trigger,
        mentees=result.figures.mentees,
        mentors=result.figures.mentors,
        count=len(created),
        skipped=skipped,
        waitlisted=waitlisted,
        approved=approved,
    )
    return RunReport(run=run, proposals=proposals, approved=approved, waitlisted=waitlisted)


def _waitlist(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, participant_id: str, round_day: date
) -> int:
    """Put a mentee left unmatched on the waiting list with one more round of priority; 1 if done now.

    A round is a day (the matching date, for a scheduled run): matching again the same day
    neither raises anyone's priority twice nor tells them twice. The message queued for the
    round is the record that it happened.
    """
    key = f"waitlisted:{round_day.isoformat()}:{participant_id}"
    if storage.messages.get(programme.tenant_id, message_id_for(programme.tenant_id, key)) is not None:
        return 0
    now = clock.now()

    def change(person: Participant) -> bool:
        if person.status not in MENTEE_POOL:
            return False
        if person.status is not _P.WAITLISTED:
            person.move_to(_P.WAITLISTED, at=now, reason=f"left unmatched in the round of {round_day.isoformat()}")
        person.priority += 1
        person.updated_at = now
        return True

    person = _update_participant(storage, programme, participant_id, change)
    if person is None or person.status is not _P.WAITLISTED:
        return 0
    notifier.queue(
        tenant_id=programme.tenant_id,
        recipient=person,
        programme=programme,
        template="waitlisted",
        context={},
        idempotency_key=key,
        quiet_hours=quiet_hours_of(programme),
    )
    return 1


def _rematch(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, mentee_id: str
) -> tuple[RunReport | None, bool]:
    """Propose the mentee's next best fit now; (report, deferred). Deferred when another run is writing."""
    if programme.status == ProgrammeStatus.CLOSED:
        return None, False
    try:
        report = _locked_run(
            storage,
            notifier,
            clock,
            programme,
            run_id=new_run_id(),
            trigger="rematch",
            mentee_ids=frozenset({mentee_id}),
        )
    except MatchingBusy:
        # The mentee is back in the pool, so the run in progress or the next one will consider them.
        log_event(
            "rematch deferred",
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            participant_id=mentee_id,
        )
        return None, True
    return report, False


def run_scheduled_matching(storage: Storage, notifier: Notifier, clock: Clock) -> dict[str, int]:
    """Match every open programme whose matching date has come, once per programme and date."""
    counts = {"programmes": 0, "runs": 0, "pairs": 0, "already_run": 0, "busy": 0, "failed": 0}
    for programme in storage.programmes.due_for_matching(clock.now()):
        if programme.matching_date is None or programme.status not in (ProgrammeStatus.OPEN, ProgrammeStatus.RUNNING):
            continue
        counts["programmes"] += 1
        run_id = scheduled_run_id(programme.tenant_id, programme.programme_id, programme.matching_date)
        if _already_run(storage, programme, run_id):
            counts["already_run"] += 1
            continue
        try:
            report = _locked_run(
                storage,
                notifier,
                clock,
                programme,
                run_id=run_id,
                trigger="schedule",
                matching_date=programme.matching_date,
            )
        except MatchingBusy:
            counts["busy"] += 1
            continue
        except MentoringError as exc:
            counts["failed"] += 1
            log_warning(
                "scheduled matching failed",
                tenant_id=programme.tenant_id,
                programme_id=programme.programme_id,
                error_type=type(exc).__name__,
            )
            continue
        if report is None:
            counts["already_run"] += 1
            continue
        counts["runs"] += 1
        counts["pairs"] += len(report.run.pair_ids)
    return counts


# --- Reading ------------------------------------------------------------------------------------


def get_pair(storage: Storage, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    pair = storage.pairs.get(tenant_id, programme_id, pair_id)
    if pair is None:
        raise NotFound("no such pair")
    return pair


def list_pairs(
    storage: Storage, tenant_id: str, programme_id: str, *, status: PairStatus | None, run_id: str | None
) -> list[Pair]:
    get_programme(storage, tenant_id, programme_id)
    pairs = storage.pairs.list(tenant_id, programme_id, status=status)
    return [p for p in pairs if run_id is None or p.run_id == run_id]


class PairPage(BaseModel):
    items: list[Pair]
    next_cursor: str | None = None


def page_of_pairs(
    storage: Storage,
    tenant_id: str,
    programme_id: str,
    *,
    status: PairStatus | None,
    run_id: str | None,
    limit: int,
    cursor: str | None,
) -> PairPage:
    """One page of pairs by id; the cursor is the last pair id of the page before."""
    pairs = sorted(list_pairs(storage, tenant_id, programme_id, status=status, run_id=run_id), key=lambda p: p.pair_id)
    after = [p for p in pairs if cursor is None or p.pair_id > cursor]
    page = after[:limit]
    return PairPage(items=page, next_cursor=page[-1].pair_id if len(after) > limit else None)


def get_run(storage: Storage, tenant_id: str, programme_id: str, run_id: str) -> MatchRun:
    run = storage.runs.get(tenant_id, programme_id, run_id)
    if run is None:
        raise NotFound("no such matching run")
    return run


# --- Review: approve, reject, approve all -------------------------------------------------------


def approve(
    storage: Storage, notifier: Notifier, clock: Clock, tenant_id: str, programme_id: str, pair_id: str
) -> Pair:
    """Approve a proposed pair: both people are matched and told, or the mentor is asked first.

    Raises
    ------
    NotFound
        When the programme or pair does not exist for this tenant.
    IllegalTransition
        When the pair is not proposed.
    Conflict
        When one of the two no longer takes part (withdrew, completed).
    """
    programme = get_programme(storage, tenant_id, programme_id)
    pair = get_pair(storage, tenant_id, programme_id, pair_id)
    return _approve(storage, notifier, clock, programme, pair, reason="approved by a coordinator")


def _approve(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, pair: Pair, *, reason: str
) -> Pair:
    now = clock.now()
    pair.move_to(PairStatus.APPROVED, at=now, reason=reason)
    mentee, mentor = _both(storage, programme, pair)
    days = programme.matching.mentor_acceptance_days
    if days is not None:
        pair.accept_by = now + timedelta(days=days)
    pair = storage.pairs.save(pair)
    if pair.accept_by is not None:
        notifier.queue(
            tenant_id=programme.tenant_id,
            recipient=mentor,
            programme=programme,
            template="match_request_mentor",
            context={
                "mentee_name": mentee.profile.name,
                "accept_by": pair.accept_by,
                "shared_goals": _shared_goals(pair),
            },
            idempotency_key=f"match-request:{pair.pair_id}",
            quiet_hours=quiet_hours_of(programme),
        )
    else:
        _start(storage, notifier, clock, programme, pair)
    log_event("pair approved", tenant_id=programme.tenant_id, pair_id=pair.pair_id, state=pair.status.value)
    return pair


def _both(storage: Storage, programme: Programme, pair: Pair) -> tuple[Participant, Participant]:
    """Mentee and mentor of a pair that is about to start; Conflict if either no longer takes part."""
    mentee = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentee_id)
    mentor = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentor_id)
    for role, person, allowed in (("mentee", mentee, _MENTEE_CAN_START), ("mentor", mentor, _MENTOR_CAN_START)):
        if person is None or person.status not in allowed:
            raise Conflict(
                f"the {role} no longer takes part in the programme",
                details={"role": role, "status": person.status.value if person else None},
            )
    assert mentee is not None
    assert mentor is not None
    return mentee, mentor


def _shared_goals(pair: Pair) -> str | None:
    for reason in pair.reasons:
        if reason.get("code") == ReasonCode.SHARED_GOALS.value:
            goals = reason.get("params", {}).get("goals") or []
            return ", ".join(str(g) for g in goals) or None
    return None


def _start(storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, pair: Pair) -> None:
    """Both people are matched and each is told who the other is and how to reach them."""
    now = clock.now()
    reason = f"pair {pair.pair_id}"
    mentee = _update_participant(storage, programme, pair.mentee_id, _to_status(_P.MATCHED, now, reason))
    mentor = _update_participant(storage, programme, pair.mentor_id, _to_status(_P.MATCHED, now, reason))
    if mentee is None or mentor is None:
        return
    goals = _shared_goals(pair)
    for recipient, other, template in (
        (mentee, mentor, "match_approved_mentee"),
        (mentor, mentee, "match_approved_mentor"),
    ):
        notifier.queue(
            tenant_id=programme.tenant_id,
            recipient=recipient,
            programme=programme,
            template=template,
            context={"other_name": other.profile.name, "other_email": other.email, "shared_goals": goals},
            idempotency_key=f"{template}:{pair.pair_id}",
            quiet_hours=quiet_hours_of(programme),
        )


def reject(storage: Storage, clock: Clock, tenant_id: str, programme_id: str, pair_id: str, *, reason: str) -> Pair:
    """Reject a proposal: both people stay free, and the pair is never proposed again.

    Raises
    ------
    IllegalTransition
        When the pair is not proposed.
    """
    get_programme(storage, tenant_id, programme_id)
    pair = get_pair(storage, tenant_id, programme_id, pair_id)
    pair.move_to(PairStatus.REJECTED, at=clock.now(), reason=reason)
    saved = storage.pairs.save(pair)
    log_event("pair rejected", tenant_id=tenant_id, pair_id=pair_id)
    return saved


def approve_all(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    *,
    run_id: str | None = None,
) -> ApproveAllReport:
    """Approve every proposal of a run (or of the programme); proposals that cannot start are reported."""
    programme = get_programme(storage, tenant_id, programme_id)
    if run_id is not None:
        get_run(storage, tenant_id, programme_id, run_id)
    report = ApproveAllReport(approved=[], skipped=[])
    for pair in list_pairs(storage, tenant_id, programme_id, status=PairStatus.PROPOSED, run_id=run_id):
        try:
            _approve(storage, notifier, clock, programme, pair, reason="approved by a coordinator")
        except Conflict as exc:
            report.skipped.append(SkippedPair(pair_id=pair.pair_id, error=exc.code, message=exc.message))
            continue
        report.approved.append(pair.pair_id)
    log_event(
        "pairs approved",
        tenant_id=tenant_id,
        programme_id=programme_id,
        run_id=run_id,
        count=len(report.approved),
        skipped=len(report.skipped),
    )
    return report


# --- The mentor's answer ------------------------------------------------------------------------


def _awaiting(storage: Storage, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    pair = get_pair(storage, tenant_id, programme_id, pair_id)
    if not pair.awaiting_mentor:
        raise IllegalTransition("this pair is not waiting for the mentor's answer", details={"from": pair.status.value})
    return pair


def accept(storage: Storage, notifier: Notifier, clock: Clock, tenant_id: str, programme_id: str, pair_id: str) -> Pair:
    """The mentor accepts: the pair starts and both people are told (until the sweep has expired it).

    Raises
    ------
    IllegalTransition
        When the pair is not waiting for the mentor's answer.
    Conflict
        When one of the two no longer takes part.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    pair = _awaiting(storage, tenant_id, programme_id, pair_id)
    _both(storage, programme, pair)
    pair.move_to(PairStatus.ACTIVE, at=clock.now(), reason="accepted by the mentor")
    pair = storage.pairs.save(pair)
    _start(storage, notifier, clock, programme, pair)
    log_event("pair accepted", tenant_id=tenant_id, pair_id=pair_id)
    return pair


def decline(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    *,
    reason: str,
) -> PairOutcome:
    """The mentor declines: the mentee's next best fit is proposed at once, never with this mentor."""
    programme = get_programme(storage, tenant_id, programme_id)
    pair = _awaiting(storage, tenant_id, programme_id, pair_id)
    pair.move_to(PairStatus.DECLINED, at=clock.now(), reason=reason)
    pair = storage.pairs.save(pair)
    log_event("pair declined", tenant_id=tenant_id, pair_id=pair_id)
    return _free_mentee_and_rematch(storage, notifier, clock, programme, pair, reason=reason)


def expire_acceptances(storage: Storage, notifier: Notifier, clock: Clock) -> dict[str, int]:
    """Expire pairs whose mentor did not answer in time and propose each mentee's next best fit."""
    now = clock.now()
    counts = {"expired": 0, "rematched": 0, "deferred": 0, "changed_meanwhile": 0}
    programmes: dict[tuple[str, str], Programme | None] = {}
    seen: set[str] = set()
    while True:
        batch = [p for p in storage.pairs.awaiting_mentor(now, limit=SWEEP_BATCH) if p.pair_id not in seen]
        if not batch:
            return counts
        for listed in batch:
            seen.add(listed.pair_id)
            # The deadline index may lag behind the pair itself; act on the pair as stored now.
            pair = storage.pairs.get(listed.tenant_id, listed.programme_id, listed.pair_id)
            if pair is None or not pair.awaiting_mentor or pair.accept_by is None or pair.accept_by > now:
                counts["changed_meanwhile"] += 1
                continue
            key = (pair.tenant_id, pair.programme_id)
            if key not in programmes:
                programmes[key] = storage.programmes.get(*key)
            programme = programmes[key]
            if programme is None:
                continue
            pair.move_to(PairStatus.EXPIRED, at=now, reason="the mentor did not answer in time")
            try:
                pair = storage.pairs.save(pair)
            except VersionConflict:
                counts["changed_meanwhile"] += 1
                continue
            counts["expired"] += 1
            outcome = _free_mentee_and_rematch(
                storage, notifier, clock, programme, pair, reason="mentor did not answer"
            )
            counts["rematched"] += int(outcome.rematch is not None and bool(outcome.rematch.run.pair_ids))
            counts["deferred"] += int(outcome.rematch_deferred)


# --- Ending -------------------------------------------------------------------------------------


def end_pair(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    *,
    reason: str,
    completed: bool,
) -> PairOutcome:
    """End a pair: completed as planned, or early with a reason (the mentee is then rematched).

    Raises
    ------
    IllegalTransition
        When the pair cannot end that way (only an active pair completes; a proposal is rejected, not ended).
    """
    programme = get_programme(storage, tenant_id, programme_id)
    pair = get_pair(storage, tenant_id, programme_id, pair_id)
    now = clock.now()
    pair.move_to(PairStatus.COMPLETED if completed else PairStatus.ENDED_EARLY, at=now, reason=reason)
    pair = storage.pairs.save(pair)
    log_event("pair ended", tenant_id=tenant_id, pair_id=pair_id, state=pair.status.value)
    if not completed:
        _free_mentor(storage, clock, programme, pair, reason=reason)
        return _free_mentee_and_rematch(storage, notifier, clock, programme, pair, reason=reason)

    label = f"pair {pair_id} completed"
    _update_participant(storage, programme, pair.mentee_id, _to_status(_P.COMPLETED, now, label))
    if not _has_open_pairs(storage, programme, pair.mentor_id):
        # In an evergreen programme a mentor goes back to the pool; a cohort ends for them too.
        target = _P.ACCEPTED if programme.kind is ProgrammeKind.EVERGREEN else _P.COMPLETED
        _update_participant(storage, programme, pair.mentor_id, _to_status(target, now, label))
    return PairOutcome(pair=pair)


def release_pairs_of(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, leaver: Participant, *, reason: str
) -> list[PairOutcome]:
    """End every open pair of someone who leaves; the other side is told if they knew, and a mentee rematched.

    The leaver's own status is left to the caller, who withdraws them.
    """
    outcomes: list[PairOutcome] = []
    now = clock.now()
    for pair in storage.pairs.list(programme.tenant_id, programme.programme_id):
        if pair.status not in OPEN_PAIR_STATUSES or leaver.participant_id not in (pair.mentee_id, pair.mentor_id):
            continue
        mentee_knew = pair.status is PairStatus.ACTIVE or (
            pair.status is PairStatus.APPROVED and not pair.awaiting_mentor
        )
        mentor_knew = pair.status in (PairStatus.APPROVED, PairStatus.ACTIVE)
        target = PairStatus.REJECTED if pair.status is PairStatus.PROPOSED else PairStatus.ENDED_EARLY
        pair.move_to(target, at=now, reason=reason)
        pair = storage.pairs.save(pair)
        log_event("pair ended", tenant_id=programme.tenant_id, pair_id=pair.pair_id, state=pair.status.value)
        if leaver.participant_id == pair.mentee_id:
            mentor = _free_mentor(storage, clock, programme, pair, reason="the mentee left the programme")
            if mentor_knew and mentor is not None:
                _tell_pair_ended(notifier, programme, pair, mentor, leaver, rematch=False)
            outcomes.append(PairOutcome(pair=pair))
            continue
        outcome = _free_mentee_and_rematch(
            storage, notifier, clock, programme, pair, reason="the mentor left the programme"
        )
        mentee = storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentee_id)
        if mentee_knew and mentee is not None:
            _tell_pair_ended(notifier, programme, pair, mentee, leaver, rematch=True)
        outcomes.append(outcome)
    return outcomes


def _tell_pair_ended(
    notifier: Notifier, programme: Programme, pair: Pair, recipient: Participant, leaver: Participant, *, rematch: bool
) -> None:
    notifier.queue(
        tenant_id=programme.tenant_id,
        recipient=recipient,
        programme=programme,
        template="pair_ended",
        context={"other_name": leaver.profile.name, "looking_for_new_mentor": rematch},
        idempotency_key=f"pair_ended:{pair.pair_id}:{recipient.participant_id}",
        quiet_hours=quiet_hours_of(programme),
    )


def _free_mentor(
    storage: Storage, clock: Clock, programme: Programme, pair: Pair, *, reason: str
) -> Participant | None:
    """The mentor's place is free again; with no other open pair they are back in the pool."""
    if _has_open_pairs(storage, programme, pair.mentor_id):
        return storage.participants.get(programme.tenant_id, programme.programme_id, pair.mentor_id)
    return _update_participant(
        storage,
        programme,
        pair.mentor_id,
        _to_status(_P.ACCEPTED, clock.now(), reason, only_from=(_P.MATCHED, _P.ACTIVE)),
    )


def _free_mentee_and_rematch(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, pair: Pair, *, reason: str
) -> PairOutcome:
    """The mentee is back in the pool with the priority they had, and their next best fit is proposed."""
    now = clock.now()
    mentee = _update_participant(
        storage,
        programme,
        pair.mentee_id,
        _to_status(_P.ACCEPTED, now, reason, only_from=(_P.WAITLISTED, _P.MATCHED, _P.ACTIVE)),
    )
    if mentee is None or mentee.status is not _P.ACCEPTED:
        return PairOutcome(pair=pair)
    report, deferred = _rematch(storage, notifier, clock, programme, pair.mentee_id)
    return PairOutcome(pair=pair, rematch=report, rematch_deferred=deferred)


def _has_open_pairs(storage: Storage, programme: Programme, participant_id: str) -> bool:
    return any(
        p.status in OPEN_PAIR_STATUSES and participant_id in (p.mentee_id, p.mentor_id)
        for p in storage.pairs.list(programme.tenant_id, programme.programme_id)
    )


# --- Participant updates ------------------------------------------------------------------------


def _to_status(
    target: ParticipantStatus,
    at: datetime,
    reason: str,
    *,
    only_from: Iterable[ParticipantStatus] | None = None,
) -> Callable[[Participant], bool]:
    """A change that moves a person to ``target`` unless they are there already or elsewhere in their journey."""
    allowed = frozenset(only_from) if only_from is not None else None

    def change(person: Participant) -> bool:
        if person.status is target or (allowed is not None and person.status not in allowed):
            return False
        try:
            person.move_to(target, at=at, reason=reason)
        except IllegalTransition:
            # The pair is what changed; a person who has moved on (withdrawn, completed) stays where they are.
            return False
        return True

    return change


def _update_participant(
    storage: Storage, programme: Programme, participant_id: str, change: Callable[[Participant], bool]
) -> Participant | None:
    """Re-read, change and save a participant until no concurrent write gets in between."""
    for _ in range(_SAVE_ATTEMPTS):
        person = storage.participants.get(programme.tenant_id, programme.programme_id, participant_id)
        if person is None:
            return None
        if not change(person):
            return person
        try:
            return storage.participants.save(person)
        except VersionConflict:
            continue
    raise VersionConflict("the participant kept changing; try again", details={"participant_id": participant_id})


__all__ = [
    "ApproveAllReport",
    "MatchingBusy",
    "PairOutcome",
    "PairPage",
    "RunReport",
    "accept",
    "all_participants",
    "approve",
    "approve_all",
    "decline",
    "end_pair",
    "expire_acceptances",
    "get_pair",
    "get_run",
    "list_pairs",
    "page_of_pairs",
    "reject",
    "release_pairs_of",
    "run_matching",
    "run_scheduled_matching",
    "utc_offset_minutes",
]
