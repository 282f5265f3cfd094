"""Shared building blocks of the domain: identifiers, e-mail normalisation, status histories.

Pure Python: no I/O, no AWS, no HTTP.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.errors import IllegalTransition, ValidationFailed


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier with a readable prefix (``prg_…``, ``par_…``)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic identifier, so that the same natural key always yields the same record."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{prefix}_{digest}"


def normalise_email(value: str) -> str:
    """Drop invisible characters, trim, NFC-normalise and lower-case an e-mail address; reject what cannot be one.

    Raises
    ------
    ValueError
        When the value has no single ``@`` with text on both sides, or contains spaces.
    """
    # Invisible format characters (a pasted zero-width space, a BOM) are never part of an address.
    visible = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    email = unicodedata.normalize("NFC", visible).strip().lower()
    local, sep, domain = email.rpartition("@")
    if not sep or not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        raise ValueError("not a valid e-mail address")
    if any(ch.isspace() for ch in email) or "@" in local:
        raise ValueError("not a valid e-mail address")
    return email


def _normalise_email_field(value: str) -> str:
    return normalise_email(value)


Email = Annotated[str, AfterValidator(_normalise_email_field)]


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


# Names keep their script and diacritics; NFC only makes "Đorđević" typed two ways compare equal.
# Whitespace is stripped before length limits apply, so "   " is empty, not a name.
HumanText = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_nfc)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class DomainModel(BaseModel):
    """Base of every stored entity: strict about unknown fields, versioned for optimistic concurrency."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)

    version: int = Field(default=0, ge=0, description="Incremented on every stored write.")


class StatusChange(BaseModel):
    """One entry of an entity's status history: when, to what, and why."""

    model_config = ConfigDict(extra="forbid")

    status: str
    at: datetime
    reason: str | None = None


S = TypeVar("S", bound=StrEnum)


def check_transition(current: S, target: S, allowed: Mapping[S, frozenset[S]], *, entity: str) -> None:
    """Raise ``IllegalTransition`` unless ``current → target`` is an allowed move."""
    if target not in allowed.get(current, frozenset()):
        raise IllegalTransition(
            f"{entity} cannot move from {current.value} to {target.value}",
            details={"from": current.value, "to": target.value},
        )


def require(condition: bool, message: str, **details: Any) -> None:
    """Raise ``ValidationFailed`` when a business precondition does not hold."""
    if not condition:
        raise ValidationFailed(message, details=details or None)
