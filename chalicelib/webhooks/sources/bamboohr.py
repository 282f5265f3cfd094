"""BambooHR webhooks, event-based (``employee.updated`` with ``data.employeeId``) and field-based (``employees[]``).

BambooHR signs ``body + timestamp``: ``X-BambooHR-Signature: <hex HMAC-SHA256>`` with
``X-BambooHR-Timestamp`` (unix seconds), refused outside five minutes. Field-based payloads
name fields by their display labels, so neither shape is mapped here: the ids are read
and the connector pulls those people through its mapping.
"""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec
from chalicelib.webhooks.signing import TimestampedHmac, TimestampLayout
from chalicelib.webhooks.sources._people import body_of, change

NAME = "bamboohr"
SIGNATURE_HEADER = "x-bamboohr-signature"
TIMESTAMP_HEADER = "x-bamboohr-timestamp"


def parse_bamboohr(delivery: Delivery) -> PeopleChange:
    data = body_of(delivery, "BambooHR")
    if isinstance(data, dict) and isinstance(data.get("employees"), list):
        employees = [e for e in data["employees"] if isinstance(e, dict)]
        actions = {str(e.get("action")) for e in employees}
        event = "employees." + "+".join(sorted(actions)).lower() if actions else "employees"
        return change(NAME, event, (e.get("id") for e in employees), "BambooHR")
    event_data = data.get("data") if isinstance(data, dict) else None
    ids = [event_data.get("employeeId")] if isinstance(event_data, dict) else []
    return change(NAME, data.get("type") if isinstance(data, dict) else None, ids, "BambooHR")


def _verifier(clock: Clock) -> TimestampedHmac:
    return TimestampedHmac(
        clock,
        layout=TimestampLayout.BAMBOOHR,
        signature_header=SIGNATURE_HEADER,
        timestamp_header=TIMESTAMP_HEADER,
    )


SPEC = SourceSpec(
    name=NAME,
    verifier=_verifier,
    parsers={Purpose.PEOPLE: parse_bamboohr},
    secret_style=SecretStyle.TOKEN,
)
