"""Participants: enrol, read, list, update and withdraw, within one tenant and programme."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.clock import Clock
from chalicelib.domain.common import check_transition
from chalicelib.domain.participant import (
    PARTICIPANT_TRANSITIONS,
    Participant,
    ParticipantStatus,
    Profile,
    Role,
    participant_id_for,
)
from chalicelib.errors import Conflict, NotFound, ValidationFailed, VersionConflict
from chalicelib.notify.outbox import Notifier
from chalicelib.services.matching import release_pairs_of
from chalicelib.services.programmes import get_programme
from chalicelib.storage.repositories import Storage


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


def enrol(storage: Storage, *, tenant_id: str, programme_id: str, profile: Profile, clock: Clock) -> Participant:
    """Add a participant by hand; the same e-mail twice in one programme is a conflict."""
    get_programme(storage, tenant_id, programme_id)
    now = clock.now()
    participant_id = participant_id_for(tenant_id, programme_id, profile.email)
    participant = Participant(
        participant_id=participant_id,
        tenant_id=tenant_id,
        programme_id=programme_id,
        profile=profile,
        created_at=now,
        updated_at=now,
        profile_submitted_at=now,
    )
    participant.move_to(ParticipantStatus.ACCEPTED, at=now, reason="enrolled by a coordinator")
    try:
        return storage.participants.save(participant)
    except VersionConflict as exc:
        raise Conflict("this e-mail is already enrolled in the programme") from exc


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
    current = get_participant(storage, tenant_id, programme_id, participant_id)
    _check_version(current, expected_version)
    try:
        profile = Profile.model_validate(current.profile.model_dump() | profile_changes)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "profile"
        raise ValidationFailed(f"profile.{field}: {first['msg']}") from exc
    current.profile = profile
    if priority is not None:
        current.priority = priority
    current.updated_at = clock.now()
    return storage.participants.save(current)


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
    current.move_to(ParticipantStatus.WITHDRAWN, at=clock.now(), reason=reason)
    return storage.participants.save(current)
