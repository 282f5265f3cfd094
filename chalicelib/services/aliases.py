"""Participants' e-mail aliases: added and removed by a coordinator, read by meeting matching, erased with the person.

An address names at most one person in a programme: another participant's alias or the
address another participant enrolled with is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chalicelib.domain.aliases import MAX_ALIASES_PER_PARTICIPANT, EmailAlias, alias_id_for
from chalicelib.domain.common import normalise_email, require
from chalicelib.domain.participant import Participant, participant_id_for
from chalicelib.errors import Conflict, NotFound, ValidationFailed

if TYPE_CHECKING:
    from chalicelib.clock import Clock
    from chalicelib.storage.repositories import Storage


def _participant(storage: Storage, tenant_id: str, programme_id: str, participant_id: str) -> Participant:
    participant = storage.participants.get(tenant_id, programme_id, participant_id)
    if participant is None:
        raise NotFound("no such participant")
    return participant


def _address(value: str) -> str:
    try:
        return normalise_email(value)
    except ValueError as exc:
        raise ValidationFailed("not a valid e-mail address") from exc


def list_aliases(storage: Storage, tenant_id: str, programme_id: str, participant_id: str) -> list[EmailAlias]:
    """Raises ``NotFound`` for a participant not of this tenant's programme."""
    _participant(storage, tenant_id, programme_id, participant_id)
    return storage.aliases.of_participant(tenant_id, programme_id, participant_id)


def add_alias(
    *, storage: Storage, clock: Clock, tenant_id: str, programme_id: str, participant_id: str, email: str
) -> EmailAlias:
    """Give a participant one more address; adding one they already have changes nothing.

    Raises
    ------
    NotFound
        No such participant.
    ValidationFailed
        Not an e-mail address, their own enrolment address, or too many aliases.
    Conflict
        The address is another participant's, as alias or enrolment address.
    """
    participant = _participant(storage, tenant_id, programme_id, participant_id)
    address = _address(email)
    require(address != participant.email, "that is the participant's own address")
    existing = storage.aliases.get(tenant_id, programme_id, address)
    if existing is not None:
        if existing.participant_id != participant_id:
            raise Conflict("that address belongs to another participant")
        return existing
    if storage.participants.get(tenant_id, programme_id, participant_id_for(tenant_id, programme_id, address)):
        raise Conflict("that address belongs to another participant")
    owned = storage.aliases.of_participant(tenant_id, programme_id, participant_id)
    require(len(owned) < MAX_ALIASES_PER_PARTICIPANT, "too many aliases", limit=MAX_ALIASES_PER_PARTICIPANT)
    alias = EmailAlias(
        alias_id=alias_id_for(tenant_id, programme_id, address),
        tenant_id=tenant_id,
        programme_id=programme_id,
        participant_id=participant_id,
        email=address,
        added_at=clock.now(),
    )
    if not storage.aliases.add(alias):
        # Someone else claimed it between the read and the write.
        raise Conflict("that address belongs to another participant")
    found = storage.aliases.get(tenant_id, programme_id, address)
    assert found is not None  # just stored
    return found


def remove_alias(*, storage: Storage, tenant_id: str, programme_id: str, participant_id: str, alias_id: str) -> None:
    """Raises ``NotFound`` unless ``alias_id`` is one of this participant's aliases."""
    for alias in list_aliases(storage, tenant_id, programme_id, participant_id):
        if alias.alias_id == alias_id:
            storage.aliases.delete(alias)
            return
    raise NotFound("no such alias")


def alias_owners(storage: Storage, tenant_id: str, programme_id: str, addresses: Iterable[str]) -> dict[str, str]:
    """Which participant each of ``addresses`` (normalised) is an alias of, for those that are."""
    wanted = set(addresses)
    return {
        alias.email: alias.participant_id
        for alias in storage.aliases.of_programme(tenant_id, programme_id)
        if alias.email in wanted
    }


def aliases_of(storage: Storage, participants: Iterable[Participant]) -> list[EmailAlias]:
    """Every alias of the given enrolments (a person's export and erasure)."""
    return [
        alias
        for p in participants
        for alias in storage.aliases.of_participant(p.tenant_id, p.programme_id, p.participant_id)
    ]


def erase_aliases(storage: Storage, participants: Iterable[Participant]) -> int:
    """Delete every alias of the given enrolments (erasure); how many went."""
    found = aliases_of(storage, participants)
    for alias in found:
        storage.aliases.delete(alias)
    return len(found)
