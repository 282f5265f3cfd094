"""Signed one-click links: what a link may do, for whom, until when, and the token that carries it.

A token is ``<payload>.<mac>``: the payload is the claims as compact JSON in URL-safe
base64, the mac an HMAC-SHA256 of it under a deployment key. The claims name ids only
(tenant, programme, the thing acted on, the person), never an e-mail or a name, because
links end up in URLs, browser histories and access logs. Several keys are accepted so
the signing key can be rotated without breaking links already sent; the first signs.
Whether a link was used already is storage's business (``chalicelib.services.links``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.common import DomainModel
from chalicelib.errors import LinkExpired, LinkForged

# Long enough for every claim we issue, short enough for any mail client and any URL limit.
MAX_TOKEN_LENGTH = 1024
_MAC_CONTEXT = b"mentorflow-link-v1."
_ID = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")


class LinkClaims(BaseModel):
    """What one link lets its holder do: one action on one subject within one tenant and programme."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    link_id: str = _ID
    tenant_id: str = _ID
    programme_id: str = _ID
    action: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9\-]+$")
    subject_id: str = _ID
    participant_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$", description="For pages, errors included.")
    expires_at: datetime


def new_link_id() -> str:
    return "lnk_" + secrets.token_urlsafe(12)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, _MAC_CONTEXT + payload.encode("ascii"), hashlib.sha256).digest())


def sign_link(claims: LinkClaims, key: bytes) -> str:
    """The token for ``claims``, signed with ``key``."""
    document = claims.model_dump(mode="json", exclude_none=True)
    document["expires_at"] = int(claims.expires_at.timestamp())
    payload = _b64(json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_mac(key, payload)}"


def read_link(token: str, keys: Sequence[bytes], now: datetime) -> LinkClaims:
    """The claims of a genuine, unexpired token.

    Raises
    ------
    LinkForged
        The token is malformed, altered, or signed with none of ``keys``.
    LinkExpired
        The token is genuine but its time is up.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise LinkForged("this link is not valid")
    payload, offered = token.split(".")
    if not any(hmac.compare_digest(_mac(key, payload), offered) for key in keys):
        raise LinkForged("this link is not valid")
    try:
        document = json.loads(_unb64(payload))
        document["expires_at"] = datetime.fromtimestamp(int(document["expires_at"]), tz=UTC)
        claims = LinkClaims.model_validate(document)
    except (binascii.Error, ValueError, TypeError, KeyError, OverflowError, OSError, ValidationError) as exc:
        # Only a key holder can get here, so this is our own bug or an old format: still no 500.
        raise LinkForged("this link is not valid") from exc
    if now >= claims.expires_at:
        raise LinkExpired("this link has expired", details={"language": claims.language})
    return claims


class UsedLink(DomainModel):
    """The record that a single-use link was used: ids and times only, gone soon after the link expires."""

    link_id: str
    tenant_id: str
    programme_id: str
    action: str
    subject_id: str
    used_at: datetime
    expires_at: datetime
