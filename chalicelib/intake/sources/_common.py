"""Helpers the vendor parsers share: safe JSON loading, error wording, HMAC-over-body verification.

Error messages name fields and positions only, never values: they end up in a delivery's
``last_error``, which coordinators read and which must not quote a person's answers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.clock import Clock
from chalicelib.errors import WebhookVerificationError
from chalicelib.intake.submission import SubmissionParseError
from chalicelib.webhooks.verify import Verifier, WebhookRequest, constant_time_equal, hmac_sha256

MAX_ID_LENGTH = 500


def load_json(body: bytes | None, *, what: str) -> Any:
    if body is None:
        raise SubmissionParseError("the raw body is no longer kept, so the submission cannot be read")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SubmissionParseError(f"{what} body is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise SubmissionParseError(
            f"{what} body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise SubmissionParseError(f"{what} body is nested too deeply") from exc


def describe(exc: ValidationError, *, what: str) -> str:
    """The first few schema errors as ``path: message``, without the offending values."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False)[:3]:
        location = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(parts)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"{what} body does not have the expected shape: " + "; ".join(parts) + suffix


def aware(value: datetime) -> datetime:
    """Vendors send UTC without saying so now and then; a naive time is read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def json_field(body: bytes, name: str) -> str | None:
    """A top-level string field of a JSON body, or None when the body is not such JSON."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        if text and len(text) <= MAX_ID_LENGTH:
            return text
    return None


class BodyHmacVerifier:
    """A header holding ``<prefix><base64 HMAC-SHA256(secret, raw body)>``: the Typeform and Tally scheme.

    Neither vendor signs a timestamp, so a captured request can be replayed; the inbox's
    idempotency on the vendor's event id is what makes a replay harmless.
    """

    def __init__(self, *, header: str, prefix: str, id_field: str, vendor: str) -> None:
        self._header = header
        self._prefix = prefix
        self._id_field = id_field
        self._vendor = vendor

    def sign(self, secret: str, body: bytes) -> str:
        """The header value the vendor would send (used by tests and local tools)."""
        digest = hmac_sha256(secret.encode("utf-8"), body)
        return self._prefix + base64.b64encode(digest).decode("ascii")

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        offered = (request.header(self._header) or "").strip()
        if not offered:
            raise WebhookVerificationError(f"missing {self._header} header")
        if not offered.startswith(self._prefix):
            raise WebhookVerificationError(f"{self._header} is not a {self._vendor} signature")
        try:
            base64.b64decode(offered[len(self._prefix) :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError(f"{self._header} is not base64") from exc
        for secret in secrets:
            if constant_time_equal(self.sign(secret, request.body), offered):
                return
        raise WebhookVerificationError("signature does not match")

    def delivery_id(self, request: WebhookRequest) -> str | None:
        return json_field(request.body, self._id_field)


def verifier_factory(make: Callable[[], Verifier]) -> Callable[[Clock], Verifier]:
    """Adapt a clock-free verifier to ``SourceSpec.verifier``, which is called with the clock."""

    def build(_clock: Clock) -> Verifier:
        return make()

    return build
