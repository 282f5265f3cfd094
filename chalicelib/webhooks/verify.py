"""Webhook verification: one interface, one verifier per way vendors sign.

Every verifier works on the raw request bytes, compares in constant time, accepts
several secrets (rotation) and turns every malformed input into
``WebhookVerificationError``. Nothing here logs a body, a header value or a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.clock import Clock
from chalicelib.errors import WebhookVerificationError

DEFAULT_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an incoming HTTP request a verifier may look at. Header names are lower-case."""

    method: str
    path: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Verifier(Protocol):
    """Checks that a request really comes from the vendor holding one of ``secrets``."""

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        """Return when the request verifies against any secret; raise ``WebhookVerificationError`` otherwise."""
        ...

    def delivery_id(self, request: WebhookRequest) -> str | None:
        """The vendor's unique id of this delivery, when it sends one (used for idempotency)."""
        ...


def constant_time_equal(left: str | bytes, right: str | bytes) -> bool:
    a = left.encode("utf-8") if isinstance(left, str) else left
    b = right.encode("utf-8") if isinstance(right, str) else right
    return hmac.compare_digest(a, b)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class StandardWebhooksVerifier:
    """The Standard Webhooks scheme (v1): ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

    The signed content is ``"{id}.{timestamp}.{body}"``; the key is the base64 part of a
    ``whsec_`` secret. A signature header may hold several space-separated ``v1,<sig>``
    entries, and a timestamp more than ``tolerance`` away from now is refused to stop replays.
    """

    def __init__(self, clock: Clock, tolerance: timedelta = DEFAULT_TOLERANCE) -> None:
        self._clock = clock
        self._tolerance = tolerance

    @staticmethod
    def _key(secret: str) -> bytes:
        raw = secret.removeprefix("whsec_")
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError("endpoint secret is not a valid whsec_ secret") from exc

    @classmethod
    def sign(cls, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
        """The ``webhook-signature`` header value for a message: used by tests and by our platform kits."""
        to_sign = f"{msg_id}.{timestamp}.".encode() + body
        return "v1," + base64.b64encode(hmac_sha256(cls._key(secret), to_sign)).decode("ascii")

    def delivery_id(self, request: WebhookRequest) -> str | None:
        return request.header("webhook-id")

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        msg_id = request.header("webhook-id")
        timestamp_text = request.header("webhook-timestamp")
        signature_header = request.header("webhook-signature")
        if not msg_id or not timestamp_text or not signature_header:
            raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
        try:
            timestamp = int(timestamp_text)
            sent_at = datetime.fromtimestamp(timestamp, tz=UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise WebhookVerificationError("webhook-timestamp is not a unix time") from exc
        if abs(self._clock.now() - sent_at) > self._tolerance:
            raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
        offered = [
            part.split(",", 1)[1] for part in signature_header.split() if part.startswith("v1,") and len(part) > 3
        ]
        if not offered:
            raise WebhookVerificationError("no v1 signature in webhook-signature")
        for secret in secrets:
            expected = self.sign(secret, msg_id, timestamp, request.body).split(",", 1)[1]
            if any(constant_time_equal(expected, candidate) for candidate in offered):
                return
        raise WebhookVerificationError("signature does not match")
