"""Erasure tombstones: whether an address was erased, known by a keyed hash and never in clear.

The key is a deployment secret, handed in by the caller: the container reads it once
(``Container.erasure_key``: ``erasure_key``, or the SSM SecureString named by
``erasure_key_parameter``), as it does the link keys. Only the local stage, where
nothing is real, may go without one: ``LOCAL_KEY`` stands in there, which protects no
better than a plain hash.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.erasure import Erasure, erasure_subject
from chalicelib.errors import MentoringError
from chalicelib.storage.repositories import Storage

LOCAL_KEY = b"mentorflow-local-erasure-key"

REPLAY_REASON = "the person's data was erased at their request; nothing of this delivery is kept"


class PersonErased(MentoringError):
    """Raised when data from before a person's erasure arrives again (a replay, a vendor's redelivery)."""

    status_code = 410
    code = "erased"


def subject(key: bytes | None, tenant_id: str, email: str) -> str:
    """The tombstone key of ``email`` in a tenant (``ValueError`` for what is not an address).

    ``key`` None is the local stage's ``LOCAL_KEY`` (tests, ``make run``); a deployed
    container always hands in its own.
    """
    return erasure_subject(key or LOCAL_KEY, tenant_id, email)


def erased(storage: Storage, key: bytes | None, tenant_id: str, email: str) -> Erasure | None:
    """The tombstone of ``email``, when that address was erased in the tenant."""
    try:
        return storage.erasures.get(tenant_id, subject(key, tenant_id, email))
    except ValueError:
        return None


def refuse_if_erased(storage: Storage, key: bytes | None, tenant_id: str, email: str, submitted_at: datetime) -> None:
    """Refuse a submission made before its sender was erased; one made after is a new, freely given signup.

    Raises
    ------
    PersonErased
        The address was erased after ``submitted_at``.
    """
    tombstone = erased(storage, key, tenant_id, email)
    if tombstone is not None and submitted_at <= tombstone.erased_at:
        raise PersonErased(REPLAY_REASON)
