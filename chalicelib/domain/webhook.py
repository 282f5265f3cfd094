"""Webhook endpoints (one URL per configured integration) and the deliveries they receive."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import DomainModel, new_id
from chalicelib.domain.forms.mapping import FieldMapping

# A source's name is how its URLs and stored items spell it ("typeform", "google-forms"); which
# names exist is decided by the registered webhook sources, not by the domain.
SOURCE_NAME = r"^[a-z0-9][a-z0-9-]{0,39}$"


class Purpose(StrEnum):
    """What an endpoint's deliveries are for: the feature that acts on them."""

    SIGNUP = "signup"
    SURVEY = "survey"
    MEETINGS = "meetings"
    PEOPLE = "people"


class SecretStyle(StrEnum):
    """How a source's secret is shaped: a Standard Webhooks ``whsec_`` key, or a URL-safe token."""

    WHSEC = "whsec"
    TOKEN = "token"  # noqa: S105 - the name of a style, not a secret


class EndpointSecret(BaseModel):
    """One signing secret; during a rotation the old one stays valid until ``expires_at``."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(repr=False)
    created_at: datetime
    expires_at: datetime | None = None

    def valid_at(self, at: datetime) -> bool:
        return self.expires_at is None or at < self.expires_at


def generate_secret(style: SecretStyle) -> str:
    raw = secrets.token_bytes(32)
    if style is SecretStyle.WHSEC:
        return "whsec_" + base64.b64encode(raw).decode("ascii")
    return secrets.token_urlsafe(32)


class WebhookEndpoint(DomainModel):
    """A configured webhook URL: which tenant and programme it feeds, how it is verified and mapped."""

    endpoint_id: str = Field(default_factory=lambda: new_id("ep"))
    tenant_id: str
    programme_id: str
    source: str = Field(pattern=SOURCE_NAME)
    # Endpoints stored before purposes existed were all signup forms.
    purpose: Purpose = Purpose.SIGNUP
    description: str | None = Field(default=None, max_length=200)
    secrets: list[EndpointSecret] = Field(default_factory=list, repr=False)
    field_mapping: FieldMapping | None = None
    created_at: datetime
    updated_at: datetime

    def valid_secrets(self, at: datetime) -> list[str]:
        return [s.value for s in self.secrets if s.valid_at(at)]

    def rotate(self, new_secret: str, *, at: datetime, grace: timedelta) -> None:
        """Add ``new_secret`` first and let every older secret expire after ``grace``."""
        kept = []
        for old in self.secrets:
            if not old.valid_at(at):
                continue
            expiry = at + grace
            kept.append(old.model_copy(update={"expires_at": min(old.expires_at or expiry, expiry)}))
        self.secrets = [EndpointSecret(value=new_secret, created_at=at), *kept]
        self.updated_at = at


class DeliveryState(StrEnum):
    RECEIVED = "received"
    DONE = "done"
    RETRYING = "retrying"
    DEAD = "dead"
    NEEDS_ATTENTION = "needs_attention"
    IGNORED = "ignored"


class Delivery(DomainModel):
    """One webhook request as received, kept until processed (and, raw, only until its TTL)."""

    delivery_id: str = Field(description="The vendor's delivery id, else a hash of the body.")
    endpoint_id: str
    tenant_id: str
    programme_id: str
    source: str = Field(pattern=SOURCE_NAME)
    state: DeliveryState = DeliveryState.RECEIVED
    content_type: str
    body: bytes | None = Field(default=None, repr=False)
    body_parts: int = Field(default=0, ge=0, description="A body too large for the item is kept in this many parts.")
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    query: dict[str, str] = Field(default_factory=dict, repr=False)
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    result: dict[str, Any] | None = None
    received_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    person: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="Keyed hash of the sender's address, once read."
    )


def delivery_id_for_body(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
