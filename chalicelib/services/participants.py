"""Participants: enrol, read, list, update and withdraw, within one tenant and programme."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.clock import Clock
from chalicelib.domain.common import check_transition
from chalicelib.domain.participant import PARTICIPANT_TRANSITIONS, Participant, ParticipantStatus, Profile, Role
from chalicelib.errors import NotFound, ValidationFailed, VersionConflict
from chalicelib.notify.outbox import Notifier
from chalicelib.services import enrolment
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.matching.ending import release_pairs_of
from chalicelib.services.nudges import refresh_contacts
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage

_KEPT_CHANGING = "the participant kept changing; try again"


class ParticipantPage(BaseModel):
    items: list[Participant]
    next_cursor: str | None = None


def get_participant(storage: Storage, tenant_id: str, programme_id: str, participant_id: str) -> Participant:
    participant = storage.participants.get(tenant_id, programme_id, participant_id)
    if participant is None:
        raise NotFound("no such participant")
    return participant


def list_participants(
    storage: Storage,
    *,
    tenant_id: str,
    programme_id: str,
    status: ParticipantStatus | None,
    role: Role | None,
    limit: int,
    cursor: str | None,
) -> ParticipantPage:
    get_programme(storage, tenant_id, programme_id)
    page = storage.participants.list(tenant_id, programme_id, status=status, limit=limit, cursor=cursor)
    # Role is a cheap filter on a page; the status index already narrows what is read.
    items = [p for p in page.items if role is None or p.role is role]
    return ParticipantPage(items=items, next_cursor=page.next_cursor)


def enrol(
    storage: Storage, *, tenant_id: str, programme_id: str, profile: Profile, clock: Clock, notifier: Notifier
) -> Participant:
    """Add a participant by hand, placed and confirmed like a signup; the same e-mail twice is a conflict.

    Raises
    ------
    NotFound
        When the programme does not exist for this tenant.
    Conflict
        When the e-mail is already enrolled in the programme.
    """
    programme = get_programme(storage, tenant_id, programme_id)
    enrolled = enrolment.enrol(
        storage=storage,
        notifier=notifier,
        clock=clock,
        programme=programme,
        profile=profile,
        submitted_at=clock.now(),
        channel=enrolment.Channel.COORDINATOR,
    )
    assert enrolled.participant is not None  # a coordinator's enrolment needs no consent, so it always stores
    return enrolled.participant


def _check_version(current: Participant, expected: int | None) -> None:
    if expected is not None and expected != current.version:
        raise VersionConflict(
            "the participant was changed since you read them",
            details={"expected_version": expected, "current_version": current.version},
        )


def update_participant(
    storage: Storage,
    *,
    tenant_id: str,
    programme_id: str,
    participant_id: str,
    profile_changes: dict[str, Any],
    priority: int | None,
    expected_version: int | None,
    clock: Clock,
) -> Participant:
    """Change the profile (only the fields given) or priority; a stale ``expected_version`` is a conflict."""

    def load() -> Participant:
        current = get_participant(storage, tenant_id, programme_id, participant_id)
        _check_version(current, expected_version)
        return current

    def change(current: Participant) -> Participant:
        try:
            current.profile = Profile.model_validate(current.profile.model_dump() | profile_changes)
        except ValidationError as exc:
            raise ValidationFailed.from_pydantic(exc, where="body", path=("profile",)) from exc
        if priority is not None:
            current.priority = priority
        current.updated_at = clock.now()
        return current

    # Without a version the change is applied again to a record someone saved meanwhile; with one,
    # the reload finds the version moved on and answers the caller's conflict.
    updated = update_with_retry(load, change, storage.participants.save, message=_KEPT_CHANGING)
    refresh_contacts(storage, updated)
    return updated


def withdraw(
    storage: Storage,
    *,
    tenant_id: str,
    programme_id: str,
    participant_id: str,
    reason: str,
    expected_version: int | None,
    clock: Clock,
    notifier: Notifier,
) -> Participant:
    """Withdraw a participant with a reason, ending their open pairs early with the same reason.

    Pairs are ended before the participant is withdrawn: should this stop half-way, calling it
    again finishes the job instead of finding the person withdrawn with pairs still open. The
    other side of each pair is told if they knew of it, and a mentee is rematched at once.
    """
    current = get_participant(storage, tenant_id, programme_id, participant_id)
    _check_version(current, expected_version)
    check_transition(current.status, ParticipantStatus.WITHDRAWN, PARTICIPANT_TRANSITIONS, entity="participant")
    programme = get_programme(storage, tenant_id, programme_id)
    release_pairs_of(storage, notifier, clock, programme, current, reason=reason)

    def change(person: Participant) -> Participant:
        person.move_to(ParticipantStatus.WITHDRAWN, at=clock.now(), reason=reason)
        return person

    # Ending the pairs may have moved the person meanwhile (back to the pool), so the record is read again.
    return update_with_retry(
        lambda: get_participant(storage, tenant_id, programme_id, participant_id),
        change,
        storage.participants.save,
        message=_KEPT_CHANGING,
    )
