"""E-mail aliases: other addresses a participant's calendar invitations may name them by.

A person enrolled as ``ana@uni.example`` may book meetings from ``ana.k@gmail.example``;
an alias tells meeting matching that both are Ana. An alias belongs to one participant
of one programme, and within a programme an address names one person only.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.common import DomainModel, Email, stable_id

MAX_ALIASES_PER_PARTICIPANT = 10


class EmailAlias(DomainModel):
    """One more address of one participant, normalised like every e-mail; erased with its owner.

    ``alias_id`` names it in URLs, which must not carry the address.
    """

    alias_id: str
    tenant_id: str
    programme_id: str
    participant_id: str
    email: Email
    added_at: datetime


def alias_id_for(tenant_id: str, programme_id: str, email: str) -> str:
    return stable_id("als", tenant_id, programme_id, email)
