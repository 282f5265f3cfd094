"""Archiving a programme: no more signups, its pairs closed, and its people scrubbed after the tenant's retention.

Archiving closes the programme (no signup, enrolment or rematch), completes its running
pairs, ends those still waiting for their mentor and rejects mere proposals, each person
told as the pair lifecycle tells them. The archive record is found again by the
``scrub-archived-programmes`` job through a sparse index of those due, never a scan.

The scrub first records the programme's figures (counts only) on the archive, then
deletes its participants, their messages and the raw deliveries of its endpoints,
strips the pairs of everything but ids, statuses and dates, and removes or scrubs
the rest of the programme's partition as an erasure does. Every step can be repeated,
so a scrub killed midway is finished by the next run; the figures are taken once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.archive import PAIRS_CLOSED, ProgrammeArchive, figures_of
from chalicelib.domain.common import DomainModel, StatusChange
from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.places import PlaceSlot
from chalicelib.domain.programme import Programme, ProgrammeStatus
from chalicelib.logging import log_event
from chalicelib.notify.outbox import Notifier
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.inbox.service import delete_delivery
from chalicelib.services.matching import end_pair, reject
from chalicelib.services.matching.people import all_participants
from chalicelib.services.privacy import forget_in_programme
from chalicelib.services.programmes import get_programme
from chalicelib.services.tenants import retention
from chalicelib.storage.offboarding import Rewrite, rewrite_programme
from chalicelib.storage.repositories import Storage

# Listing an endpoint's deliveries is bounded by retention (TTL), not by this.
_ALL = 1_000_000


def archive_programme(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    *,
    tenant_id: str,
    programme_id: str,
    archived_by: str,
    default_retention: timedelta,
) -> ProgrammeArchive:
    """Archive a programme (see the module docstring); archiving it again answers the first archive.

    Raises
    ------
    NotFound
        No such programme in the tenant.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    known = storage.archives.get(tenant_id, programme_id)
    if known is not None and programme.archived_at is not None:
        return known
    now = clock.now()
    archive = known or ProgrammeArchive(
        tenant_id=tenant_id,
        programme_id=programme_id,
        archived_by=archived_by,
        archived_at=now,
        scrub_at=now + retention(storage, tenant_id, default=default_retention),
    )
    storage.archives.add(archive)
    programme = _close(storage, programme, archive)
    ended = _close_pairs(storage, notifier, clock, programme)
    log_event("programme archived", tenant_id=tenant_id, programme_id=programme_id, count=ended)
    return storage.archives.get(tenant_id, programme_id) or archive


def _close(storage: Storage, programme: Programme, archive: ProgrammeArchive) -> Programme:
    """Closed first: a closed programme is never rematched, so ending its pairs offers no place to anyone."""

    def load() -> Programme:
        return get_programme(storage, programme.tenant_id, programme.programme_id)

    def change(current: Programme) -> Programme:
        update = {"status": ProgrammeStatus.CLOSED, "archived_at": archive.archived_at, "matching_date": None}
        return current.model_copy(update=update)

    return update_with_retry(load, change, storage.programmes.save, message="the programme kept changing")


def _close_pairs(storage: Storage, notifier: Notifier, clock: Clock, programme: Programme) -> int:
    tenant_id, programme_id = programme.tenant_id, programme.programme_id
    closed = 0
    for pair in storage.pairs.list(tenant_id, programme_id):
        if pair.status is PairStatus.PROPOSED:
            reject(storage, clock, tenant_id, programme_id, pair.pair_id, reason=PAIRS_CLOSED)
        elif pair.status in (PairStatus.APPROVED, PairStatus.ACTIVE):
            completed = not pair.awaiting_mentor
            end_pair(
                storage,
                notifier,
                clock,
                tenant_id,
                programme_id,
                pair.pair_id,
                reason=PAIRS_CLOSED,
                completed=completed,
            )
        else:
            continue
        closed += 1
    return closed


def scrub_due(storage: Storage, clock: Clock, *, limit: int = 20) -> dict[str, int]:
    """The scheduled job: scrub the people of every archived programme whose retention has passed."""
    counts = {"programmes": 0, "items": 0}
    for archive in storage.archives.due(clock.now(), limit=limit):
        counts["items"] += scrub_programme(storage, clock, archive)
        counts["programmes"] += 1
    return counts


def scrub_programme(storage: Storage, clock: Clock, archive: ProgrammeArchive) -> int:
    """Scrub one archived programme's people (module docstring); how many items went or were scrubbed."""
    tenant_id, programme_id = archive.tenant_id, archive.programme_id
    participants = all_participants(storage, tenant_id, programme_id)
    pairs = storage.pairs.list(tenant_id, programme_id)
    if not archive.figures:
        # Counted once, before anything goes: a rerun after a crash must not count what is half scrubbed.
        archive = storage.archives.save(archive.model_copy(update={"figures": figures_of(participants, pairs)}))
    items = _delete_deliveries(storage, tenant_id, programme_id)
    for pair in pairs:
        scrubbed = _scrubbed_pair(pair)
        if scrubbed != pair:
            storage.pairs.save(scrubbed)
            items += 1
    ids = frozenset(p.participant_id for p in participants)
    names = {p.profile.name.lower() for p in participants if p.profile.name}
    replaced, deleted = rewrite_programme(storage, tenant_id, programme_id, _forget_all(ids, names))
    items += replaced + deleted
    for participant in participants:
        for message in storage.messages.for_participant(tenant_id, participant.participant_id):
            storage.messages.delete(message)
            items += 1
        # Last: while a participant is there, a rerun finds their messages through them.
        storage.participants.delete(participant)
        items += 1
    storage.archives.save(archive.model_copy(update={"scrubbed_at": clock.now()}))
    log_event("archived programme scrubbed", tenant_id=tenant_id, programme_id=programme_id, count=items)
    return items


def _delete_deliveries(storage: Storage, tenant_id: str, programme_id: str) -> int:
    gone = 0
    for endpoint in storage.endpoints.list(tenant_id):
        if endpoint.programme_id != programme_id:
            continue
        for delivery in storage.deliveries.for_endpoint(endpoint.endpoint_id, limit=_ALL):
            delete_delivery(delivery, storage)
            gone += 1
    return gone


def _scrubbed_pair(pair: Pair) -> Pair:
    history = [StatusChange(status=change.status, at=change.at) for change in pair.history]
    update: dict[str, Any] = {"explanation": None, "reasons": [], "score": None, "history": history}
    if pair.end_reason is not None:
        update["end_reason"] = PAIRS_CLOSED
    return pair.model_copy(update=update)


def _forget_all(ids: frozenset[str], names: set[str]) -> Rewrite:
    forget = forget_in_programme(ids, names)

    def rewrite(entity: DomainModel) -> DomainModel | None:
        # Place slots name their holder; a closed programme offers no place again.
        if isinstance(entity, PlaceSlot):
            return None
        return forget(entity)

    return rewrite


def archive_of(storage: Storage, *, tenant_id: str, programme_id: str) -> ProgrammeArchive | None:
    """The programme's archive, if it was archived (``NotFound`` for no such programme)."""
    get_programme(storage, tenant_id, programme_id)
    return storage.archives.get(tenant_id, programme_id)
