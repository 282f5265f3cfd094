"""HubSpot webhooks (v3 signatures): a JSON array of events, each naming a contact by ``objectId``.

``X-HubSpot-Signature-v3`` is the base64 HMAC-SHA256 of method + URI + body + the
``X-HubSpot-Request-Timestamp`` (milliseconds), refused outside five minutes. Only the
subscription type and object ids are read; a property's value is never.
"""

from __future__ import annotations

from chalicelib.clock import Clock
from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec
from chalicelib.webhooks.signing import TimestampedHmac, TimestampLayout
from chalicelib.webhooks.sources._people import body_of, change

NAME = "hubspot"
SIGNATURE_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"


def parse_hubspot(delivery: Delivery) -> PeopleChange:
    data = body_of(delivery, "HubSpot")
    events = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    kinds = sorted({str(e.get("subscriptionType")) for e in events if e.get("subscriptionType")})
    return change(NAME, "+".join(kinds) or None, (e.get("objectId") for e in events), "HubSpot")


def _verifier(clock: Clock) -> TimestampedHmac:
    return TimestampedHmac(
        clock, layout=TimestampLayout.HUBSPOT_V3, signature_header=SIGNATURE_HEADER, timestamp_header=TIMESTAMP_HEADER
    )


SPEC = SourceSpec(
    name=NAME,
    verifier=_verifier,
    parsers={Purpose.PEOPLE: parse_hubspot},
    secret_style=SecretStyle.TOKEN,
)
