"""Tenants (one organisation each) and the API keys that act for them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from pydantic import Field

from chalicelib.domain.common import DomainModel, Email, HumanText, new_id

API_KEY_PREFIX = "mf_"
MIN_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 3650


class Tenant(DomainModel):
    """An organisation using mentorflow; every other record belongs to exactly one tenant."""

    tenant_id: str = Field(default_factory=lambda: new_id("ten"))
    name: HumanText = Field(min_length=1, max_length=200)
    sender_email: Email | None = Field(default=None, description="From of its messages: a verified SES identity.")
    send_rate_per_second: float | None = Field(default=None, gt=0, le=1000, description="Its share of SES's rate.")
    retention_days: int | None = Field(
        default=None,
        ge=MIN_RETENTION_DAYS,
        le=MAX_RETENTION_DAYS,
        description="Days a parked submission, or an archived programme's people, are kept; None: the deployment's.",
    )
    created_at: datetime


class ApiKey(DomainModel):
    """A bearer key for the admin API. Only its SHA-256 is stored; the secret is shown once."""

    key_id: str = Field(default_factory=lambda: new_id("key"))
    tenant_id: str
    name: HumanText = Field(min_length=1, max_length=100)
    key_hash: str
    display_prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def generate_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(secret: str) -> str:
    # A fast hash is right here: keys are 256-bit random, so there is nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def api_key_matches(secret: str, key: ApiKey) -> bool:
    return hmac.compare_digest(hash_api_key(secret), key.key_hash)
