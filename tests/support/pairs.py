"""A running pair of two enrolled people, stored directly: where a meetings specification starts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import Participant, Profile, Role, participant_id_for
from chalicelib.storage.repositories import Storage


def enrolled(
    storage: Storage, tenant_id: str, programme_id: str, role: Role, email: str, at: datetime, **profile: Any
) -> Participant:
    participant_id = participant_id_for(tenant_id, programme_id, email.lower())
    known = storage.participants.get(tenant_id, programme_id, participant_id)
    if known is not None:
        return known
    return storage.participants.save(
        Participant(
            participant_id=participant_id,
            tenant_id=tenant_id,
            programme_id=programme_id,
            profile=Profile(role=role, email=email, name=email.split("@")[0], **profile),
            created_at=at,
            updated_at=at,
        )
    )


def stored_pair(
    storage: Storage,
    tenant_id: str,
    programme_id: str,
    mentor_email: str,
    mentee_email: str,
    *,
    approved_at: datetime,
    status: PairStatus = PairStatus.ACTIVE,
    mentor_profile: Mapping[str, Any] | None = None,
    mentee_profile: Mapping[str, Any] | None = None,
) -> Pair:
    """A pair proposed a day before ``approved_at`` and moved along to ``status`` at ``approved_at``."""
    mentor = enrolled(
        storage, tenant_id, programme_id, Role.MENTOR, mentor_email, approved_at, **(mentor_profile or {})
    )
    mentee = enrolled(
        storage, tenant_id, programme_id, Role.MENTEE, mentee_email, approved_at, **(mentee_profile or {})
    )
    pair = Pair(
        tenant_id=tenant_id,
        programme_id=programme_id,
        mentor_id=mentor.participant_id,
        mentee_id=mentee.participant_id,
        created_at=approved_at - timedelta(days=1),
        updated_at=approved_at - timedelta(days=1),
    )
    for step in (PairStatus.APPROVED, PairStatus.ACTIVE):
        if status is PairStatus.PROPOSED:
            break
        pair.move_to(step, at=approved_at)
        if step is status:
            break
    return storage.pairs.save(pair)
