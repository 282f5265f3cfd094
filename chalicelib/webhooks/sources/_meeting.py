"""What the booking-tool parsers share: reading a verified JSON body and building a ``MeetingEvent`` from it.

Errors name fields and positions only, never values: a delivery's ``last_error`` is read by
coordinators and must not quote anyone's address or meeting title.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.domain.meetings import MeetingEvent, MeetingParseError
from chalicelib.webhooks.sources._payload import describe


class Tolerant(BaseModel):
    """A vendor model that ignores what it does not name (titles, notes, locations are never read)."""

    model_config = ConfigDict(extra="ignore")


def load_body(body: bytes | None, *, what: str) -> Any:
    if body is None:
        raise MeetingParseError("the raw body is no longer kept, so the event cannot be read")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MeetingParseError(f"{what} body is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise MeetingParseError(f"{what} body is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise MeetingParseError(f"{what} body is nested too deeply") from exc


M = TypeVar("M", bound=BaseModel)


def read_model(model: type[M], data: Any, *, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise MeetingParseError(describe(exc, what=what)) from exc


def meeting_event(what: str, **fields: Any) -> MeetingEvent:
    try:
        return MeetingEvent(**fields)
    except ValidationError as exc:
        raise MeetingParseError(describe(exc, what=what)) from exc
