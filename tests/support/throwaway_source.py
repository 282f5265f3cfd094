"""A vendor that does not exist, plugged in exactly as a real one is: one spec, one handler, one registration.

"Throwaway" books meetings: it signs the raw body with a hex HMAC in
``X-Throwaway-Signature``, names each delivery in ``X-Throwaway-Delivery``, and checks
a URL before using it by posting ``?challenge=<text>``, which must come back as plain text.
Its ``meetings`` parser reads a ``BookedMeeting``; ``RecordedBookings`` is the feature
side, remembering what it was handed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError
from chalicelib.domain.webhook import Delivery, Purpose, WebhookEndpoint
from chalicelib.registry import source_registry
from chalicelib.services.inbox.ports import (
    HandshakeAnswer,
    ProcessingContext,
    ProcessOutcome,
    SourceRegistry,
    SourceSpec,
    WebhookRequest,
)
from chalicelib.webhooks.signing import BodyHmac, Encoding

NAME = "throwaway"
SIGNING = BodyHmac(header="X-Throwaway-Signature", encoding=Encoding.HEX)


@dataclass(frozen=True)
class BookedMeeting:
    booking_id: str
    pair_ref: str


def _parse_meeting(delivery: Delivery) -> BookedMeeting:
    try:
        data: Any = json.loads(delivery.body or b"")
        if data.get("event") != "booking.created":
            raise IrrelevantEvent("not a new booking")
        return BookedMeeting(booking_id=str(data["booking"]["id"]), pair_ref=str(data["booking"]["pair"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PayloadParseError("throwaway body is not a booking") from exc


def _handshake(request: WebhookRequest) -> HandshakeAnswer | None:
    challenge = request.query.get("challenge")
    return HandshakeAnswer(body=challenge) if challenge else None


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.MEETINGS: _parse_meeting},
    delivery_id=lambda request: request.header("x-throwaway-delivery"),
    handshake=_handshake,
)


@dataclass
class RecordedBookings:
    """The ``meetings`` handler: what a meetings feature was handed, per endpoint."""

    booked: list[tuple[str, BookedMeeting]] = field(default_factory=list)

    def __call__(self, item: BookedMeeting, endpoint: WebhookEndpoint, ctx: ProcessingContext, /) -> ProcessOutcome:
        self.booked.append((endpoint.endpoint_id, item))
        return ProcessOutcome.done(booking_id=item.booking_id)


def registered(handler: RecordedBookings) -> SourceRegistry:
    """The deployment's sources and handlers with the throwaway vendor and its meetings handler added."""
    return source_registry(SPEC, handlers={Purpose.MEETINGS: handler})
