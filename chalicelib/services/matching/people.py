"""Who takes part in matching, and how the matching lifecycle moves a person's status.

Every status move re-reads the person and re-applies the move when another writer got
in first, and leaves alone a person who has moved on (withdrawn, completed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Pair
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.domain.programme import Programme
from chalicelib.errors import Conflict, IllegalTransition
from chalicelib.services.concurrency import update_with_retry
from chalicelib.storage.repositories import Storage

_P = ParticipantStatus
MENTEE_POOL = frozenset({_P.ACCEPTED, _P.WAITLISTED})
MENTOR_POOL = frozenset({_P.ACCEPTED, _P.MATCHED, _P.ACTIVE})
# A pair may only start while both people still take part.
_MENTEE_CAN_START = frozenset({_P.ACCEPTED, _P.WAITLISTED, _P.MATCHED})
_MENTOR_CAN_START = MENTOR_POOL

PARTICIPANT_PAGE = 1000


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


def both_taking_part(storage: Storage, programme: Programme, pair: Pair) -> tuple[Participant, Participant]:
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


def has_open_pairs(storage: Storage, programme: Programme, participant_id: str) -> bool:
    return any(
        p.status in OPEN_PAIR_STATUSES and participant_id in (p.mentee_id, p.mentor_id)
        for p in storage.pairs.list(programme.tenant_id, programme.programme_id)
    )


def to_status(
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


def update_participant(
    storage: Storage, programme: Programme, participant_id: str, change: Callable[[Participant], bool]
) -> Participant | None:
    """Apply ``change`` (False: nothing to do) to the participant as stored and save it; None if there is none."""

    def load() -> Participant | None:
        return storage.participants.get(programme.tenant_id, programme.programme_id, participant_id)

    def apply(person: Participant | None) -> Participant | None:
        return person if person is not None and change(person) else None

    return update_with_retry(
        load,
        apply,
        storage.participants.save,
        message="the participant kept changing; try again",
        details={"participant_id": participant_id},
    )
