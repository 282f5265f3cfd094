"""Outgoing messages: the notifier's outbox, one record per message that must go out exactly once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import DomainModel, stable_id


class MessageState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Its facts changed before it went out (a "matching is planned" to someone already matched).
    DROPPED = "dropped"


# "type/subtype" with optional "; name=value" parameters, as the MIME part will carry them.
_CONTENT_TYPE = r"^[a-z]+/[a-z0-9.+\-]+(; ?[a-z\-]+=[A-Za-z0-9\-]+)*$"


class Attachment(BaseModel):
    """A small text file sent with a message (an iCalendar invitation); kept with the message until it is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    content_type: str = Field(min_length=3, max_length=100, pattern=_CONTENT_TYPE)
    text: str = Field(max_length=100_000)


class Message(DomainModel):
    """A rendered message waiting in, or gone from, the outbox.

    ``idempotency_key`` is the natural key of the reason it is sent (for example
    ``welcome:<participant>`` or ``nudge:<pair>:<due date>``); the message id is derived
    from it, so queueing the same message twice stores it once.
    """

    message_id: str
    tenant_id: str
    programme_id: str | None = None
    participant_id: str | None = None
    idempotency_key: str = Field(min_length=1, max_length=500)
    channel: str = "email"
    recipient: str
    reply_to: str | None = None
    language: str
    template: str
    subject: str
    body_text: str
    state: MessageState = MessageState.PENDING
    attempts: int = 0
    last_error: str | None = None
    not_before: datetime | None = None
    provider_message_id: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=3)


def message_id_for(tenant_id: str, idempotency_key: str) -> str:
    return stable_id("msg", tenant_id, idempotency_key)
