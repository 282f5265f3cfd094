"""Enrolment: the one way a person becomes a participant, from a signup form or a coordinator's hand.

Rules
-----
* One record per programme and normalised e-mail (``participant_id_for``).
* A signup needs consent: without it nothing is stored. A coordinator who enrols
  someone by hand answers for their consent.
* A signup updates the record of an earlier one, and the newest answers win: a
  submission older than ``Participant.profile_submitted_at`` changes nothing; on a tie
  the stored answers are kept (an identical redelivery finds them equal and only makes
  sure its confirmation is queued). A coordinator's enrolment only creates: the same
  e-mail twice is a ``Conflict``.
* Mentors are always accepted. A new mentee is accepted while the programme has places:
  places taken = mentees currently ``accepted``, ``matched`` or ``active`` (waitlisted,
  applied, completed and withdrawn people hold none); once they reach
  ``Programme.max_mentees`` new mentees are ``waitlisted``. No limit means no waitlist.
  The limit is hard and held by the programme's place slots (``domain.places``) alone: an
  accepted mentee takes one with a conditional write, so of many signups racing for the
  last place one is accepted and the rest are waitlisted, and a signup costs the same
  storage calls in a cohort of ten or of a thousand. Mentees who hold a place without a
  slot (accepted before slots existed, or while the programme had no limit) are given one
  by the first signup after each change of the programme (``PlacesCounted``).
* A signup never changes a person's role: the same e-mail through the other role's form
  is kept for a coordinator (``ROLE_CHANGE``), who decides.
* Someone who withdrew and signs up again goes back through ``applied`` to accepted or
  waitlisted, and gets a new confirmation.
* The confirmation (``welcome`` or ``waitlisted``) is queued in the person's language
  with the idempotency key ``<template>:<participant id>`` (``…:<n>`` for the n-th
  application), so any number of redeliveries queue one message.

Concurrent writers are resolved by re-reading and re-applying on ``VersionConflict``, a
bounded number of times; after that the conflict is raised and the caller retries later.
Pure apart from the injected storage, notifier and clock.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.archive import SIGNUPS_CLOSED
from chalicelib.domain.common import StatusChange
from chalicelib.domain.message import message_id_for
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role, participant_id_for
from chalicelib.domain.places import PlacesCounted, PlaceSlot
from chalicelib.errors import Conflict
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.erasures import refuse_if_erased
from chalicelib.services.erasures import subject as erasure_subject_of
from chalicelib.storage.erasures import erasure_key as tombstone_key
from chalicelib.storage.messages import message_key
from chalicelib.storage.participants import participant_key
from chalicelib.storage.programmes import programme_key

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.domain.programme import Programme
    from chalicelib.notify.outbox import Notifier
    from chalicelib.storage.places import Places
    from chalicelib.storage.repositories import Storage

PLACE_HOLDING = (ParticipantStatus.ACCEPTED, ParticipantStatus.MATCHED, ParticipantStatus.ACTIVE)
_CONFIRMED = {ParticipantStatus.ACCEPTED: "welcome", ParticipantStatus.WAITLISTED: "waitlisted"}


class Channel(StrEnum):
    """Who asks for the enrolment; the rules that differ between them follow from it."""

    SIGNUP = "signup"
    COORDINATOR = "coordinator"

    @property
    def reason(self) -> str:
        return "signed up" if self is Channel.SIGNUP else "enrolled by a coordinator"


class EnrolmentOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REAPPLIED = "reapplied"
    UNCHANGED = "unchanged"
    STALE = "stale"
    NO_CONSENT = "no_consent"
    NO_PROGRAMME = "no_programme"
    ARCHIVED = "archived"
    ROLE_CHANGE = "role_change"


@dataclass(frozen=True)
class Enrolled:
    """What enrolment did: the outcome, the participant as stored, and the message queued now (if any)."""

    outcome: EnrolmentOutcome
    participant: Participant | None = None
    message_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.participant is not None


def onboard(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    tenant_id: str,
    programme_id: str,
    profile: Profile,
    submitted_at: datetime,
    erasure_key: bytes | None = None,
) -> Enrolled:
    """Create or update the participant a signup describes and queue their confirmation.

    A programme deleted since its form was connected is an outcome, not an error: the
    delivery is kept for a coordinator to look at.

    Raises
    ------
    VersionConflict
        Others kept writing the same record through every attempt; try again later.
    """
    programme = storage.programmes.get(tenant_id, programme_id)
    if programme is None:
        return Enrolled(EnrolmentOutcome.NO_PROGRAMME)
    return enrol(
        storage=storage,
        notifier=notifier,
        clock=clock,
        programme=programme,
        profile=profile,
        submitted_at=submitted_at,
        channel=Channel.SIGNUP,
        erasure_key=erasure_key,
    )


def enrol(
    *,
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    programme: Programme,
    profile: Profile,
    submitted_at: datetime,
    channel: Channel,
    erasure_key: bytes | None = None,
) -> Enrolled:
    """Apply the enrolment rules (module docstring) to ``profile`` and queue the confirmation.

    ``erasure_key`` is the key of erasure tombstones (``services.erasures``), which a
    signup is checked against.

    Raises
    ------
    Conflict
        A coordinator enrols an e-mail the programme already has, or into an archived programme.
    PersonErased
        A signup made before its sender's data was erased (a replay or redelivery).
    VersionConflict
        Others kept writing the same record through every attempt; try again later.
    """
    if programme.archived_at is not None:
        if channel is Channel.COORDINATOR:
            raise Conflict(SIGNUPS_CLOSED)
        return Enrolled(EnrolmentOutcome.ARCHIVED)
    if channel is Channel.SIGNUP and (profile.consent is None or not profile.consent.given):
        return Enrolled(EnrolmentOutcome.NO_CONSENT)
    if channel is Channel.SIGNUP:
        refuse_if_erased(storage, erasure_key, programme.tenant_id, profile.email, submitted_at)
    participant_id = participant_id_for(programme.tenant_id, programme.programme_id, profile.email)
    outcome = EnrolmentOutcome.UNCHANGED

    def load() -> Participant | None:
        return storage.participants.get(programme.tenant_id, programme.programme_id, participant_id)

    def change(existing: Participant | None) -> Participant | None:
        nonlocal outcome
        outcome, changed = _apply(existing, programme, profile, submitted_at, participant_id, storage, clock, channel)
        return changed

    stored = update_with_retry(
        load, change, storage.participants.save, message="the participant kept changing while the enrolment was applied"
    )
    if stored is None or outcome is EnrolmentOutcome.STALE:
        return Enrolled(outcome, stored)
    return Enrolled(outcome, stored, _confirm(notifier, programme, stored))


def _apply(
    existing: Participant | None,
    programme: Programme,
    profile: Profile,
    submitted_at: datetime,
    participant_id: str,
    storage: Storage,
    clock: Clock,
    channel: Channel,
) -> tuple[EnrolmentOutcome, Participant | None]:
    """The outcome and the record to save (None: nothing to save)."""
    now = clock.now()
    if existing is None:
        participant = Participant(
            participant_id=participant_id,
            tenant_id=programme.tenant_id,
            programme_id=programme.programme_id,
            profile=profile,
            profile_submitted_at=submitted_at,
            history=[StatusChange(status=ParticipantStatus.APPLIED.value, at=now, reason=channel.reason)],
            created_at=now,
            updated_at=now,
        )
        _place(participant, programme, storage, now, reason=channel.reason)
        return EnrolmentOutcome.CREATED, participant
    if channel is Channel.COORDINATOR:
        raise Conflict("this e-mail is already enrolled in the programme")
    if existing.role is not profile.role:
        # A mentor turned mentee by the other form would lose their capacity (and their pairs) unseen.
        return EnrolmentOutcome.ROLE_CHANGE, None

    newest = existing.profile_submitted_at
    if newest is not None and submitted_at <= newest:
        same = submitted_at == newest and existing.profile == profile
        return (EnrolmentOutcome.UNCHANGED if same else EnrolmentOutcome.STALE), None

    participant = existing.model_copy(deep=True)
    participant.profile = profile
    participant.profile_submitted_at = submitted_at
    participant.updated_at = now
    if participant.status is ParticipantStatus.WITHDRAWN:
        participant.move_to(ParticipantStatus.APPLIED, at=now, reason="signed up again")
        _place(participant, programme, storage, now, reason=channel.reason)
        return EnrolmentOutcome.REAPPLIED, participant
    if participant.status is ParticipantStatus.APPLIED:
        # Created by another path (an import) without a decision yet: the signup makes it.
        _place(participant, programme, storage, now, reason=channel.reason)
    return EnrolmentOutcome.UPDATED, participant


def _place(participant: Participant, programme: Programme, storage: Storage, now: datetime, *, reason: str) -> None:
    limited = participant.role is Role.MENTEE and programme.max_mentees is not None
    if limited and not _take_slot(storage, programme, participant.participant_id, now):
        participant.move_to(ParticipantStatus.WAITLISTED, at=now, reason="no mentee places left")
        return
    participant.move_to(ParticipantStatus.ACCEPTED, at=now, reason=reason)


def _take_slot(storage: Storage, programme: Programme, participant_id: str, now: datetime) -> bool:
    """Take a free place slot (or keep the one already taken, when an enrolment is applied again)."""
    assert programme.max_mentees is not None
    tenant_id, programme_id = programme.tenant_id, programme.programme_id
    ledger = storage.places.ledger(tenant_id, programme_id)
    if ledger.counted is None or ledger.counted.programme_version != programme.version:
        ledger = _give_slots_to_earlier_mentees(storage, programme, now, exclude=participant_id)
    slots = {s.index: s for s in ledger.slots if s.index < programme.max_mentees}
    if any(s.holder_id == participant_id for s in slots.values()):
        return True
    slot = PlaceSlot(tenant_id=tenant_id, programme_id=programme_id, index=0, holder_id=participant_id, claimed_at=now)
    for index in range(programme.max_mentees):
        if index not in slots and storage.places.take(slot.model_copy(update={"index": index}), from_holder=None):
            return True
    # Full: every holder is read (together) to find one who has gone.
    holders = storage.participants.get_many(tenant_id, programme_id, [held.holder_id for held in slots.values()])
    for index, held in slots.items():
        holder = holders.get(held.holder_id)
        gone = holder is None or holder.status not in PLACE_HOLDING or holder.role is not Role.MENTEE
        # A holder whose record changed after its claim (withdrawn, moved to a corrected address) has
        # settled: its place is free at once. A fresh claim whose record is not written yet is an
        # enrolment in flight, and keeps its slot for a while.
        settled = holder is not None and holder.updated_at >= held.claimed_at
        passed_on = gone and (settled or not held.fresh(now))
        if passed_on and storage.places.take(slot.model_copy(update={"index": index}), from_holder=held.holder_id):
            return True
    return False


def _give_slots_to_earlier_mentees(storage: Storage, programme: Programme, now: datetime, *, exclude: str) -> Places:
    """Once per programme version: a slot for every mentee holding a place without one.

    Mentees accepted before slots existed, or while the programme had no limit, hold a place
    the slots do not show; without this the first signups after them would overfill the
    programme. Counting happens here once, not on every signup: afterwards the slots alone
    are the limit. Two signups counting at once may give someone two slots, which leaves a
    place unused until that person leaves, never one too many.
    """
    assert programme.max_mentees is not None
    tenant_id, programme_id = programme.tenant_id, programme.programme_id
    # People first, slots second: a signup takes its slot before its record says accepted, so
    # everyone listed here who came through a slot is already in the slots read next.
    mentees = _place_holders(storage, programme)
    slots = storage.places.ledger(tenant_id, programme_id).slots
    holders = {s.holder_id for s in slots}
    taken = {s.index for s in slots}
    free = (index for index in range(programme.max_mentees) if index not in taken)
    for mentee in mentees:
        if mentee.participant_id in holders or mentee.participant_id == exclude:
            continue
        slot = PlaceSlot(
            tenant_id=tenant_id, programme_id=programme_id, index=0, holder_id=mentee.participant_id, claimed_at=now
        )
        # An over-full programme (more holders than places) keeps its people; new ones wait.
        if not any(storage.places.take(slot.model_copy(update={"index": index}), from_holder=None) for index in free):
            break
    marker = PlacesCounted(
        tenant_id=tenant_id, programme_id=programme_id, programme_version=programme.version, counted_at=now
    )
    storage.places.mark_counted(marker)
    return storage.places.ledger(tenant_id, programme_id)


def _place_holders(storage: Storage, programme: Programme) -> list[Participant]:
    """Mentees currently holding a place in the programme (accepted, matched or active)."""
    found: list[Participant] = []
    for status in PLACE_HOLDING:
        cursor: str | None = None
        while True:
            page = storage.participants.list(
                programme.tenant_id, programme.programme_id, status=status, limit=100, cursor=cursor
            )
            found.extend(p for p in page.items if p.role is Role.MENTEE)
            cursor = page.next_cursor
            if cursor is None:
                break
    return found


def places_taken(storage: Storage, programme: Programme, *, exclude: str | None = None) -> int:
    """Mentees currently holding a place in the programme (accepted, matched or active); reads them all."""
    return sum(1 for p in _place_holders(storage, programme) if p.participant_id != exclude)


def signup_reads(tenant_id: str, programme_id: str, email: str, key: bytes | None) -> list[dict[str, str]]:
    """The keys of what a first signup of ``email`` reads, for a unit of work to fetch in one request.

    The programme, the person's record, their erasure tombstone (if the address is one) and
    both confirmations a first application may queue.
    """
    participant_id = participant_id_for(tenant_id, programme_id, email)
    wanted = [
        programme_key(tenant_id, programme_id),
        participant_key(tenant_id, programme_id, participant_id),
        *(message_key(tenant_id, message_id_for(tenant_id, f"{t}:{participant_id}")) for t in _CONFIRMED.values()),
    ]
    with suppress(ValueError):
        wanted.append(tombstone_key(tenant_id, erasure_subject_of(key, tenant_id, email)))
    return wanted


def _confirm(notifier: Notifier, programme: Programme, participant: Participant) -> str | None:
    template = _CONFIRMED.get(participant.status)
    if template is None:
        return None
    applications = sum(1 for change in participant.history if change.status == ParticipantStatus.APPLIED.value)
    key = f"{template}:{participant.participant_id}"
    if applications > 1:
        key = f"{key}:{applications}"
    # No quiet hours: the person has just applied (or been told they were enrolled) and waits for this.
    message = notifier.queue(
        tenant_id=participant.tenant_id,
        recipient=participant,
        programme=programme,
        template=template,
        context={},
        idempotency_key=key,
    )
    return message.message_id if message is not None else None


__all__ = ["Channel", "Enrolled", "EnrolmentOutcome", "enrol", "onboard", "places_taken", "signup_reads"]
