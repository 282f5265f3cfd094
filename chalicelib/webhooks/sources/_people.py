"""What the HR and CRM webhook parsers share: reading ids out of a JSON body into a ``PeopleChange``.

Only event names and record ids are read; everything else a vendor sends is left unread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError
from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery
from chalicelib.webhooks.sources._payload import MAX_ID_LENGTH, load_json


def body_of(delivery: Delivery, what: str) -> Any:
    return load_json(delivery.body, what=what)


def change(source: str, event: Any, ids: Iterable[Any], what: str) -> PeopleChange:
    """A ``PeopleChange`` of the ids that are plain strings or numbers.

    Raises
    ------
    PayloadParseError
        No event name.
    IrrelevantEvent
        The event names nobody.
    """
    if not isinstance(event, str) or not event:
        raise PayloadParseError(f"{what} body has no event type")
    external_ids = [
        str(value)
        for value in ids
        if isinstance(value, str | int) and not isinstance(value, bool) and 0 < len(str(value)) <= MAX_ID_LENGTH
    ]
    if not external_ids:
        raise IrrelevantEvent(f"{what} event {event[:60]!r} names no employee")
    return PeopleChange(source=source, event=event[:100], external_ids=list(dict.fromkeys(external_ids)))
