"""Every way a vendor proves a webhook came from it, one class per scheme.

Each scheme works on the raw request bytes, compares in constant time, accepts several
secrets (rotation), turns every malformed input into ``WebhookVerificationError`` and
has a ``sign()`` that produces what the vendor would send (for tests and platform kits).
Schemes with a timestamp take the clock and refuse a request outside their tolerance.
Nothing here logs a body, a header value or a secret.

- ``StandardWebhooksVerifier``: ``webhook-signature: v1,<b64 HMAC of "id.ts.body">``, ``whsec_`` key, 5 min.
- ``BodyHmac``: a header holding the HMAC of the raw body, base64 or hex, with or without a
  prefix (Typeform ``sha256=<b64>``, Tally ``<b64>``, Cal.com ``<hex>``).
- ``TimestampedHmac``: an HMAC over the body and a signed timestamp (Calendly ``t=..,v1=<hex>``
  3 min; BambooHR hex of body + timestamp; HubSpot v3 base64 of method + URI + body + ms, 5 min).
- ``SharedToken``: a secret token in the URL query or a header (Jotform ``?token=``,
  Google Calendar ``X-Goog-Channel-Token``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from chalicelib.clock import Clock
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import WebhookRequest

DEFAULT_TOLERANCE = timedelta(minutes=5)


def constant_time_equal(left: str | bytes, right: str | bytes) -> bool:
    a = left.encode("utf-8") if isinstance(left, str) else left
    b = right.encode("utf-8") if isinstance(right, str) else right
    return hmac.compare_digest(a, b)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class Encoding(StrEnum):
    BASE64 = "base64"
    HEX = "hex"
    BASE64URL = "base64url"  # Merge

    def render(self, digest: bytes) -> str:
        if self is Encoding.BASE64URL:
            return base64.urlsafe_b64encode(digest).decode("ascii")
        return base64.b64encode(digest).decode("ascii") if self is Encoding.BASE64 else digest.hex()

    def check(self, text: str, what: str) -> None:
        """Refuse a signature that is not even of this encoding, before comparing anything."""
        try:
            if self is Encoding.BASE64:
                base64.b64decode(text, validate=True)
            elif self is Encoding.BASE64URL:
                base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
            else:
                bytes.fromhex(text)
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError(f"{what} is not {self.value}") from exc


def _sent_at(text: str, what: str, *, milliseconds: bool = False) -> datetime:
    try:
        value = int(text.strip())
        return datetime.fromtimestamp(value / 1000 if milliseconds else value, tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise WebhookVerificationError(f"{what} is not a unix time") from exc


def _check_fresh(clock: Clock, sent_at: datetime, tolerance: timedelta, what: str) -> None:
    if abs(clock.now() - sent_at) > tolerance:
        raise WebhookVerificationError(f"{what} is outside the tolerance")


def _match_any(secrets: Sequence[str], offered: Sequence[str], expected_for: Callable[[str], str]) -> None:
    for secret in secrets:
        expected = expected_for(secret)
        if any(constant_time_equal(expected, candidate) for candidate in offered):
            return
    raise WebhookVerificationError("signature does not match")


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

    @staticmethod
    def delivery_id(request: WebhookRequest) -> str | None:
        return request.header("webhook-id")

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        msg_id = request.header("webhook-id")
        timestamp_text = request.header("webhook-timestamp")
        signature_header = request.header("webhook-signature")
        if not msg_id or not timestamp_text or not signature_header:
            raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
        sent_at = _sent_at(timestamp_text, "webhook-timestamp")
        _check_fresh(self._clock, sent_at, self._tolerance, "webhook-timestamp")
        timestamp = int(timestamp_text.strip())
        offered = [
            part.split(",", 1)[1] for part in signature_header.split() if part.startswith("v1,") and len(part) > 3
        ]
        if not offered:
            raise WebhookVerificationError("no v1 signature in webhook-signature")
        _match_any(secrets, offered, lambda s: self.sign(s, msg_id, timestamp, request.body).split(",", 1)[1])


class BodyHmac:
    """A header holding ``<prefix><HMAC-SHA256(secret, raw body)>`` in base64 or hex.

    None of these vendors signs a timestamp, so a captured request can be replayed; the
    inbox's idempotency on the vendor's event id is what makes a replay harmless.
    """

    def __init__(self, *, header: str, encoding: Encoding, prefix: str = "", algorithm: str = "sha256") -> None:
        self._header = header.lower()
        self._encoding = encoding
        self._prefix = prefix
        self._algorithm = algorithm  # HiBob signs with SHA-512

    def sign(self, secret: str, body: bytes) -> str:
        """The header value the vendor would send."""
        digest = hmac.new(secret.encode("utf-8"), body, self._algorithm).digest()
        return self._prefix + self._encoding.render(digest)

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        offered = (request.header(self._header) or "").strip()
        if not offered:
            raise WebhookVerificationError(f"missing {self._header} header")
        if not offered.startswith(self._prefix):
            raise WebhookVerificationError(f"{self._header} lacks its {self._prefix!r} prefix")
        self._encoding.check(offered[len(self._prefix) :], self._header)
        # Hex digests are compared case-insensitively: vendors differ in the case they send.
        candidate = offered.lower() if self._encoding is Encoding.HEX else offered
        _match_any(secrets, [candidate], lambda s: self.sign(s, request.body))


class TimestampLayout(StrEnum):
    """Where a timestamped scheme finds its timestamp and what exactly it signs."""

    CALENDLY = "calendly"  # header "t=<unix>,v1=<hex>"; signs "t.body"
    BAMBOOHR = "bamboohr"  # timestamp header; signs body + timestamp, hex
    HUBSPOT_V3 = "hubspot-v3"  # timestamp header in ms; signs method + URI + body + timestamp, base64


class TimestampedHmac:
    """An HMAC-SHA256 over the body and a timestamp, refused outside ``tolerance`` of the clock."""

    def __init__(
        self,
        clock: Clock,
        *,
        layout: TimestampLayout,
        signature_header: str,
        timestamp_header: str | None = None,
        tolerance: timedelta = DEFAULT_TOLERANCE,
    ) -> None:
        self._clock = clock
        self._layout = layout
        self._signature_header = signature_header.lower()
        self._timestamp_header = timestamp_header.lower() if timestamp_header else None
        self._tolerance = tolerance

    def _message(self, request: WebhookRequest, timestamp: str) -> bytes:
        if self._layout is TimestampLayout.CALENDLY:
            return timestamp.encode("ascii") + b"." + request.body
        if self._layout is TimestampLayout.BAMBOOHR:
            return request.body + timestamp.encode("ascii")
        return request.method.upper().encode() + hubspot_uri(request).encode() + request.body + timestamp.encode()

    def _encoding(self) -> Encoding:
        return Encoding.BASE64 if self._layout is TimestampLayout.HUBSPOT_V3 else Encoding.HEX

    def _digest(self, secret: str, request: WebhookRequest, timestamp: str) -> str:
        return self._encoding().render(hmac_sha256(secret.encode("utf-8"), self._message(request, timestamp)))

    def sign(self, secret: str, request: WebhookRequest, timestamp: str) -> str:
        """The signature header value the vendor would send with ``timestamp`` (as the vendor writes it)."""
        digest = self._digest(secret, request, timestamp)
        return f"t={timestamp},v1={digest}" if self._layout is TimestampLayout.CALENDLY else digest

    def _parts(self, request: WebhookRequest) -> tuple[str, list[str]]:
        header = (request.header(self._signature_header) or "").strip()
        if not header:
            raise WebhookVerificationError(f"missing {self._signature_header} header")
        if self._layout is TimestampLayout.CALENDLY:
            fields: dict[str, list[str]] = {}
            for item in header.split(","):
                name, sep, value = item.strip().partition("=")
                if not sep or not value:
                    raise WebhookVerificationError(f"{self._signature_header} is malformed")
                fields.setdefault(name, []).append(value)
            if len(fields.get("t", [])) != 1 or not fields.get("v1"):
                raise WebhookVerificationError(f"{self._signature_header} lacks t= or v1=")
            return fields["t"][0], fields["v1"]
        timestamp = (request.header(self._timestamp_header or "") or "").strip()
        if not timestamp:
            raise WebhookVerificationError(f"missing {self._timestamp_header} header")
        return timestamp, [header]

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        timestamp, offered = self._parts(request)
        sent_at = _sent_at(timestamp, "signature timestamp", milliseconds=self._layout is TimestampLayout.HUBSPOT_V3)
        _check_fresh(self._clock, sent_at, self._tolerance, "signature timestamp")
        encoding = self._encoding()
        for candidate in offered:
            encoding.check(candidate, self._signature_header)
        candidates = offered if encoding is Encoding.BASE64 else [c.lower() for c in offered]
        _match_any(secrets, candidates, lambda s: self._digest(s, request, timestamp))


def hubspot_uri(request: WebhookRequest) -> str:
    """The URI HubSpot signs: ``https://<host><path>[?query]`` as the request reached us."""
    host = request.header("host") or ""
    query = "&".join(f"{name}={value}" for name, value in request.query.items())
    return f"https://{host}{request.path}" + (f"?{query}" if query else "")


class TokenPlace(StrEnum):
    QUERY = "query"
    HEADER = "header"


class SharedToken:
    """The secret itself travels with the request, in a query parameter or a header.

    For vendors that sign nothing (Jotform) or echo a token chosen at subscription time
    (Google Calendar's channel token). Only TLS keeps it secret in transit, so it is long
    and random, and the inbox never stores the query parameter holding it.
    """

    def __init__(self, *, place: TokenPlace, name: str) -> None:
        self._place = place
        self._name = name.lower() if place is TokenPlace.HEADER else name

    def sign(self, secret: str) -> str:
        """What the vendor sends: the secret as it is."""
        return secret

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        offered = request.query.get(self._name) if self._place is TokenPlace.QUERY else request.header(self._name)
        if not offered:
            raise WebhookVerificationError(f"missing {self._name} {self._place.value} parameter")
        _match_any(secrets, [offered], self.sign)
