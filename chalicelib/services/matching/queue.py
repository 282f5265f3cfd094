"""The matching job's queue: real runs too large for an API call, run with the job's larger budget.

The API stores such a run ``queued`` (``runs._queue``). Each sweep claims the oldest
waiting runs one at a time with a versioned write of the run: of two job instances
reading the same queued run, one claim is refused by storage, so no run is computed
twice at once. A claim lasts longer than the job's function may run, so a run whose
function was stopped midway is claimed again by a later sweep; its pair ids are
deterministic, so pairs it stored before stopping are not proposed twice. A run that
stopped ``MAX_RUN_ATTEMPTS`` times, or whose programme closed, ends ``failed`` with
the reason.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import Clock
from chalicelib.domain.matching.budget import MatchingBudget, RunBudgets
from chalicelib.domain.matching_run import MAX_RUN_ATTEMPTS, MatchRun
from chalicelib.domain.programme import Programme, ProgrammeStatus
from chalicelib.errors import MentoringError, VersionConflict
from chalicelib.logging import log_warning
from chalicelib.notify.outbox import Notifier
from chalicelib.services.matching.reports import RunReport
from chalicelib.services.matching.runs import MatchingBusy, _real_run, _with_lease
from chalicelib.storage.repositories import Storage


def run_queued_matching(
    storage: Storage, notifier: Notifier, clock: Clock, budgets: RunBudgets | None = None
) -> dict[str, int]:
    """Run the queued matching runs of every tenant, oldest first, each claimed by one job instance only."""
    budget = (budgets or RunBudgets()).job
    counts = {"runs": 0, "pairs": 0, "claimed_elsewhere": 0, "busy": 0, "failed": 0}
    for waiting in storage.runs.waiting():
        now = clock.now()
        run = storage.runs.get(waiting.tenant_id, waiting.programme_id, waiting.run_id)
        if run is None or not run.claimable(now):
            counts["claimed_elsewhere"] += 1
            continue
        programme = storage.programmes.get(run.tenant_id, run.programme_id)
        failure = _why_not_runnable(run, programme)
        if failure is not None:
            _store_failure(storage, run, failure, now, counts)
            continue
        assert programme is not None
        run.claim(now)
        try:
            run = storage.runs.replace(run)
        except VersionConflict:
            counts["claimed_elsewhere"] += 1
            continue
        outcome = _complete(storage, notifier, clock, programme, run, budget)
        if isinstance(outcome, RunReport):
            counts["runs"] += 1
            counts["pairs"] += len(outcome.run.pair_ids)
        elif outcome is None:
            counts["busy"] += 1
        else:
            _store_failure(storage, run, outcome, clock.now(), counts)
    return counts


def _why_not_runnable(run: MatchRun, programme: Programme | None) -> str | None:
    if programme is None or programme.status == ProgrammeStatus.CLOSED:
        return "the programme was closed before the run could start"
    if run.attempts >= MAX_RUN_ATTEMPTS:
        return f"the matching job stopped {run.attempts} times during this run; start a new one"
    return None


def _complete(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    programme: Programme,
    run: MatchRun,
    budget: MatchingBudget,
) -> RunReport | str | None:
    """The finished report, the reason it failed, or None when another run of the programme is writing."""

    def work() -> RunReport:
        return _real_run(
            storage,
            notifier,
            clock,
            programme,
            run_id=run.run_id,
            trigger=run.trigger,
            mentee_ids=frozenset(run.mentee_ids) or None,
            matching_date=run.matching_date,
            budget=budget,
            claimed=run,
        )

    try:
        return _with_lease(storage, clock, programme, run.run_id, work)
    except MatchingBusy:
        # Back in the queue for the next sweep; this start did not count as an attempt.
        run.status, run.claimed_until, run.attempts = "queued", None, run.attempts - 1
        try:
            storage.runs.replace(run)
        except VersionConflict:
            log_warning("queued matching run moved on", tenant_id=run.tenant_id, run_id=run.run_id)
        return None
    except MentoringError as exc:
        return exc.message


def _store_failure(storage: Storage, run: MatchRun, reason: str, now: datetime, counts: dict[str, int]) -> None:
    counts["failed"] += 1
    run.fail(reason, now)
    try:
        storage.runs.replace(run)
    except VersionConflict:
        return
    log_warning("queued matching run failed", tenant_id=run.tenant_id, programme_id=run.programme_id, run_id=run.run_id)
