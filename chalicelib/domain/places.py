"""Mentee places as slots: place ``n`` of a programme is held by at most one participant.

A count of accepted mentees cannot enforce a limit when many sign up at once: each reads
the same count. A slot can: taking it is one conditional write, so of two people racing
for the last place exactly one gets it. A slot whose holder no longer holds a place
(withdrawn, completed, erased) is free again; one taken moments ago is not, since its
holder may not be saved yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from chalicelib.domain.common import DomainModel

FRESH_CLAIM = timedelta(minutes=2)
"""How long a just-taken slot stays its holder's before the holder must be seen holding the place."""


class PlaceSlot(DomainModel):
    """One of a programme's ``max_mentees`` places, and who holds it."""

    tenant_id: str
    programme_id: str
    index: int = Field(ge=0)
    holder_id: str
    claimed_at: datetime

    def fresh(self, now: datetime) -> bool:
        return now - self.claimed_at < FRESH_CLAIM


class PlacesCounted(DomainModel):
    """That every mentee holding a place had a slot when the programme was at ``programme_version``.

    Mentees accepted before slots existed (or while the programme had no limit) hold a
    place but no slot. Before the slots alone can be trusted as the limit, they are given
    one, once per programme version: a limit set, raised or removed since is counted again.
    """

    tenant_id: str
    programme_id: str
    programme_version: int
    counted_at: datetime
