"""Erasures: the record that a person's data was erased, holding no personal data.

An erasure is keyed by ``subject``, a keyed hash (HMAC) of the normalised e-mail, so it
can be found again when the same address turns up (a replay, a vendor's redelivery)
without storing the address itself; without the key the hash cannot be checked
against a list of guessed addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from pydantic import Field

from chalicelib.domain.common import DomainModel, normalise_email


def erasure_subject(key: bytes, tenant_id: str, email: str) -> str:
    """The keyed hash an erased address is known by within one tenant.

    Raises
    ------
    ValueError
        When ``email`` is not an e-mail address.
    """
    message = f"{tenant_id}\x1f{normalise_email(email)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class Erasure(DomainModel):
    """Who erased a person, when, and how many items went; never who the person was."""

    tenant_id: str
    subject: str = Field(pattern=r"^[0-9a-f]{64}$")
    erased_by: str = Field(max_length=100)
    erased_at: datetime
    items: dict[str, int] = Field(default_factory=dict)
