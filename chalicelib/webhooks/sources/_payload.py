"""What the vendor parsers share: safe JSON loading, error wording, times, ids read from a body.

Error messages name fields and positions only, never values: they end up in a delivery's
``last_error``, which coordinators read and which must not quote a person's answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.forms.submission import SubmissionParseError
from chalicelib.services.inbox.ports import WebhookRequest

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


def json_id(field: str) -> Callable[[WebhookRequest], str | None]:
    """A ``SourceSpec.delivery_id`` reading a top-level field of a JSON body."""

    def read(request: WebhookRequest) -> str | None:
        return json_field(request.body, field)

    return read
