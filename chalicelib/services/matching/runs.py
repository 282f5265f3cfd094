"""Matching runs: preview or propose a cohort's pairs, on demand, on the matching date, or to rematch one mentee.

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

Budgets
-------
Before the engine allocates anything, the cohort's shape is planned against the
budget of where the run happens (``RunBudgets``). A real run asked through the API
that does not fit an API call but fits the matching job is stored ``queued`` and
answered at once; the job (``run_queued_matching``) claims it with a versioned
write, so two job instances never run it twice, and a run whose job was stopped
midway is claimed again once its claim lapses. A run that fits neither is refused
(422) with the estimates. A dry run stores nothing, so it cannot be queued: one
larger than an API call is refused with the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from chalicelib.clock import Clock
from chalicelib.domain.common import StatusChange
from chalicelib.domain.matching.budget import (
    MatchingBudget,
    MatchingBudgetExceeded,
    RunBudgets,
    SolverPlan,
    place_run,
    plan_solver,
)
from chalicelib.domain.matching.model import ReasonCode
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
from chalicelib.domain.pair import Pair, PairStatus, pair_id_for
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.domain.programme import Programme, ProgrammeStatus
from chalicelib.errors import Conflict, IllegalTransition, MentoringError, VersionConflict
from chalicelib.logging import log_event, log_warning
from chalicelib.notify.outbox import Notifier, quiet_hours_of
from chalicelib.services.matching.cohort import Cohort, load_cohort, match
from chalicelib.services.matching.people import MENTEE_POOL, update_participant
from chalicelib.services.matching.reports import RunReport
from chalicelib.services.matching.review import approve_pair
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage

T = TypeVar("T")


class MatchingBusy(Conflict):
    """Raised when another matching run of the programme is writing: run again once it is done."""

    code = "matching_in_progress"


def run_matching(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    *,
    dry_run: bool,
    trigger: RunTrigger = "api",
    budgets: RunBudgets | None = None,
) -> RunReport:
    """Match the programme's cohort; a dry run only reports, a real run stores pairs and the run.

    A real run too large for an API call comes back ``queued`` (see the module docstring).

    Raises
    ------
    NotFound
        When the programme does not exist for this tenant.
    Conflict
        When a real run is asked of a closed programme.
    MatchingBusy
        When another run of the programme is writing.
    MatchingBudgetExceeded
        When the run fits no budget it could run in (a dry run: an API call's).
    """
    budgets = budgets or RunBudgets()
    programme = get_programme(storage, tenant_id, programme_id)
    if dry_run:
        return _preview(storage, clock, programme, trigger=trigger, budget=budgets.api)
    if programme.status == ProgrammeStatus.CLOSED:
        raise Conflict("the programme is closed", details={"status": programme.status.value})
    report = _locked_run(
        storage,
        notifier,
        clock,
        programme,
        run_id=new_run_id(),
        trigger=trigger,
        budget=budgets.api,
        queue_in=budgets.job,
    )
    assert report is not None  # a fresh run id is never stored yet
    return report


_PREVIEW_ADVICE = "a dry run must fit an API call; a real run of this cohort is queued for the matching job"


def _preview(
    storage: Storage, clock: Clock, programme: Programme, *, trigger: RunTrigger, budget: MatchingBudget
) -> RunReport:
    now = clock.now()
    cohort = load_cohort(storage, programme, now, None)
    plan_solver(programme.matching, cohort.shape(programme.matching.sparse_k), budget, advice=_PREVIEW_ADVICE)
    run_id = new_run_id()
    result = match(programme, cohort, budget=budget, round_label=run_id)
    run = MatchRun(
        run_id=run_id,
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
    leaving: frozenset[str] = frozenset(),
    budget: MatchingBudget,
    queue_in: MatchingBudget | None = None,
) -> RunReport | None:
    """A real run under the programme's lease; None when a run with this id is already stored.

    Within ``budget``, or queued for the matching job when it fits ``queue_in`` only.
    """

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
            leaving=leaving,
            budget=budget,
            queue_in=queue_in,
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
    leaving: frozenset[str] = frozenset(),
    budget: MatchingBudget,
    queue_in: MatchingBudget | None = None,
    claimed: MatchRun | None = None,
) -> RunReport:
    """Match and store; ``claimed``: the queued run the matching job is completing."""
    tenant_id, programme_id = programme.tenant_id, programme.programme_id
    now = clock.now()
    cohort = load_cohort(storage, programme, now, mentee_ids, leaving)
    if queue_in is not None:
        where, plan = place_run(
            programme.matching, cohort.shape(programme.matching.sparse_k), RunBudgets(api=budget, job=queue_in)
        )
        if where == "job":
            return _queue(storage, programme, cohort, run_id, trigger, now, plan)
    result = match(programme, cohort, budget=budget, round_label=str(matching_date or run_id))

    pairs_so_far = cohort.pairs_so_far()
    # A run the job was stopped in midway already stored some of its pairs: they stay its own.
    created: list[Pair] = [p for p in cohort.pairs if claimed is not None and p.run_id == run_id]
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
    for unmatched in result.unmatched if trigger != "rematch" else ():
        if unmatched.role == "mentee" and unmatched.code is not ReasonCode.DUPLICATE_PROFILE:
            waitlisted += _waitlist(storage, notifier, clock, programme, unmatched.participant_id, round_day)

    finished = MatchRun(
        run_id=run_id,
        tenant_id=tenant_id,
        programme_id=programme_id,
        trigger=trigger,
        requested_at=now if claimed is None else claimed.requested_at,
        finished_at=clock.now(),
        matching_date=matching_date,
        mentee_ids=sorted(mentee_ids or ()),
        figures=RunFigures.of(result.figures),
        unmatched=[UnmatchedEntry.of(u) for u in result.unmatched],
        pair_ids=[p.pair_id for p in created],
        pairs_skipped=skipped,
    )
    if claimed is None:
        run = storage.runs.add(finished)
    else:
        run = storage.runs.replace(
            finished.model_copy(update={"attempts": claimed.attempts, "version": claimed.version})
        )

    approved = 0
    if programme.matching.auto_approve:
        for pair in created:
            try:
                approve_pair(storage, notifier, clock, programme, pair, reason="approved automatically")
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


def _queue(
    storage: Storage,
    programme: Programme,
    cohort: Cohort,
    run_id: str,
    trigger: RunTrigger,
    now: datetime,
    plan: SolverPlan,
) -> RunReport:
    """Store the run ``queued`` for the matching job, which will run it as ``plan`` says."""
    policy = programme.matching
    shape = cohort.shape(policy.sparse_k)
    run = storage.runs.add(
        MatchRun(
            run_id=run_id,
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            trigger=trigger,
            requested_at=now,
            figures=RunFigures.planned(
                mentees=shape.mentees,
                mentors=shape.mentors,
                places=shape.places,
                solver=plan.solver,
                objective=policy.objective,
            ),
            status="queued",
            reason=(f"too large for an API call; the matching job runs it with the {plan.estimate.describe()}"),
        )
    )
    log_event(
        "matching queued",
        tenant_id=programme.tenant_id,
        programme_id=programme.programme_id,
        run_id=run_id,
        mentees=shape.mentees,
        mentors=shape.mentors,
    )
    return RunReport(run=run, proposals=[])


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
    waitlisted = ParticipantStatus.WAITLISTED

    def change(person: Participant) -> bool:
        if person.status not in MENTEE_POOL:
            return False
        if person.status is not waitlisted:
            person.move_to(waitlisted, at=now, reason=f"left unmatched in the round of {round_day.isoformat()}")
        person.priority += 1
        person.updated_at = now
        return True

    person = update_participant(storage, programme, participant_id, change)
    if person is None or person.status is not waitlisted:
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


def rematch(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, *, leaving: frozenset[str] = frozenset()
) -> tuple[RunReport | None, bool]:
    """Offer freed places now to the best of everyone waiting; (report, deferred).

    The whole pool is matched, not only the person just freed: the repeat-pair rule keeps
    a freed mentor from their former mentee, and their place belongs to whoever fits it
    best. Proposals go through the programme's approval policy like a normal round's.
    Nobody is waitlisted or told so by a rematch: those left waiting already know.
    Deferred when another run is writing (it, or the next one, sees the freed places).
    ``leaving``: people on their way out, never offered a place.
    """
    if programme.status == ProgrammeStatus.CLOSED:
        return None, False
    budgets = RunBudgets()
    try:
        report = _locked_run(
            storage,
            notifier,
            clock,
            programme,
            run_id=new_run_id(),
            trigger="rematch",
            leaving=leaving,
            budget=budgets.api,
            queue_in=budgets.job,
        )
    except (MatchingBusy, MatchingBudgetExceeded) as exc:
        # Ending or declining a pair must not fail because the pool is too large to rematch:
        # the next round offers the freed places.
        log_event(
            "rematch deferred",
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            error_type=type(exc).__name__,
        )
        return None, True
    return report, False


def run_scheduled_matching(
    storage: Storage, notifier: Notifier, clock: Clock, budgets: RunBudgets | None = None
) -> dict[str, int]:
    """Match every open programme whose matching date has come, once per programme and date.

    Runs in the matching job's function, so within the job's budget.
    """
    budget = (budgets or RunBudgets()).job
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
                budget=budget,
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
