"""Erasure tombstones: whether an address was erased, known by a keyed hash and never in clear.

The key is a deployment secret: an SSM SecureString named by ``erasure_key_parameter``,
fetched once per container on first use, or ``erasure_key`` itself for a local run.
Without either, a fixed local key stands in, so a developer's machine works unconfigured;
the hashes then protect no better than a plain hash, which is why a deployment sets one.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.erasure import Erasure, erasure_subject
from chalicelib.errors import MentoringError
from chalicelib.settings import Settings, get_settings
from chalicelib.storage.repositories import Storage

_LOCAL_KEY = b"mentorflow-local-erasure-key"
_cached: dict[str, bytes] = {}

REPLAY_REASON = "the person's data was erased at their request; nothing of this delivery is kept"


class PersonErased(MentoringError):
    """Raised when data from before a person's erasure arrives again (a replay, a vendor's redelivery)."""

    status_code = 410
    code = "erased"


def erasure_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    if settings.erasure_key:
        return settings.erasure_key.encode()
    name = settings.erasure_key_parameter
    if not name:
        return _LOCAL_KEY
    if name not in _cached:
        import boto3

        ssm = boto3.client("ssm", region_name=settings.aws_region)
        _cached[name] = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"].encode()
    return _cached[name]


def subject(tenant_id: str, email: str, key: bytes | None = None) -> str:
    """The tombstone key of ``email`` in a tenant (``ValueError`` for what is not an address)."""
    return erasure_subject(key or erasure_key(), tenant_id, email)


def erased(storage: Storage, tenant_id: str, email: str) -> Erasure | None:
    """The tombstone of ``email``, when that address was erased in the tenant."""
    try:
        return storage.erasures.get(tenant_id, subject(tenant_id, email))
    except ValueError:
        return None


def refuse_if_erased(storage: Storage, tenant_id: str, email: str, submitted_at: datetime) -> None:
    """Refuse a submission made before its sender was erased; one made after is a new, freely given signup.

    Raises
    ------
    PersonErased
        The address was erased after ``submitted_at``.
    """
    tombstone = erased(storage, tenant_id, email)
    if tombstone is not None and submitted_at <= tombstone.erased_at:
        raise PersonErased(REPLAY_REASON)
