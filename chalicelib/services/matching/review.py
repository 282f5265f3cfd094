"""A coordinator's review of proposals: approve (one or all) or reject, and the start of an approved pair.

An approved pair starts at once, both people told who the other is, unless the
programme asks mentors to accept first: then the mentor is asked and the pair waits
(``awaiting_mentor``) until they accept (``active``), decline or let it expire.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.clock import Clock
from chalicelib.domain.feedback import pair_goals
from chalicelib.domain.matching.model import ReasonCode
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.programme import Programme
from chalicelib.errors import Conflict
from chalicelib.logging import log_event
from chalicelib.notify.outbox import Notifier, quiet_hours_of
from chalicelib.services.feedback import plan_surveys
from chalicelib.services.matching.answer_links import mentor_answer_links
from chalicelib.services.matching.people import both_taking_part, to_status, update_participant
from chalicelib.services.matching.reading import get_pair, get_run, list_pairs
from chalicelib.services.matching.reports import ApproveAllReport, SkippedPair
from chalicelib.services.nudges import pair_contacts
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage


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
    return approve_pair(storage, notifier, clock, programme, pair, reason="approved by a coordinator")


def approve_pair(
    storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, pair: Pair, *, reason: str
) -> Pair:
    """Approve ``pair`` as read; a coordinator's approval and an automatic one alike."""
    now = clock.now()
    pair.move_to(PairStatus.APPROVED, at=now, reason=reason)
    mentee, mentor = both_taking_part(storage, programme, pair)
    pair.goals = pair_goals(mentee.profile.goals, mentee.profile.tags)
    pair.contacts = pair_contacts(mentor, mentee)
    days = programme.matching.mentor_acceptance_days
    if days is not None:
        pair.accept_by = now + timedelta(days=days)
    pair = storage.pairs.save(pair)
    plan_surveys(storage, programme, pair)
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
                "mentee_goals": mentee.profile.goals,
                **mentor_answer_links(notifier, programme, pair, mentor),
            },
            idempotency_key=f"match-request:{pair.pair_id}",
            quiet_hours=quiet_hours_of(programme),
        )
    else:
        start_pair(storage, notifier, clock, programme, pair)
    log_event("pair approved", tenant_id=programme.tenant_id, pair_id=pair.pair_id, state=pair.status.value)
    return pair


def _shared_goals(pair: Pair) -> str | None:
    for reason in pair.reasons:
        if reason.get("code") == ReasonCode.SHARED_GOALS.value:
            goals = reason.get("params", {}).get("goals") or []
            return ", ".join(str(g) for g in goals) or None
    return None


def start_pair(storage: Storage, notifier: Notifier, clock: Clock, programme: Programme, pair: Pair) -> None:
    """Both people are matched and each is told who the other is and how to reach them."""
    now = clock.now()
    reason = f"pair {pair.pair_id}"
    matched = ParticipantStatus.MATCHED
    mentee = update_participant(storage, programme, pair.mentee_id, to_status(matched, now, reason))
    mentor = update_participant(storage, programme, pair.mentor_id, to_status(matched, now, reason))
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
            context={
                "other_name": other.profile.name,
                "other_email": other.email,
                "shared_goals": goals,
                "mentee_goals": mentee.profile.goals,
            },
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
            approve_pair(storage, notifier, clock, programme, pair, reason="approved by a coordinator")
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
