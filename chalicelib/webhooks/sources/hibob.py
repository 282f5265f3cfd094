"""HiBob webhooks (v2 employee and table events): ``data.employeeId`` names whose record changed.

HiBob signs the raw body: ``Bob-Signature: <base64 HMAC-SHA512>``. When a webhook is
registered HiBob first posts ``Ping test`` (as text, then as ``{"text": "Ping test"}``) and
only keeps a URL that answers 2xx: that ping is answered before verification and stores
nothing.
"""

from __future__ import annotations

from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import HandshakeAnswer, SourceSpec, WebhookRequest
from chalicelib.webhooks.signing import BodyHmac, Encoding
from chalicelib.webhooks.sources._people import body_of, change

NAME = "hibob"
SIGNING = BodyHmac(header="bob-signature", encoding=Encoding.BASE64, algorithm="sha512")
_PINGS = (b"Ping test", b'{"text":"Ping test"}', b'{"text": "Ping test"}')


def parse_hibob(delivery: Delivery) -> PeopleChange:
    data = body_of(delivery, "HiBob")
    event_data = data.get("data") if isinstance(data, dict) else None
    ids = [event_data.get("employeeId")] if isinstance(event_data, dict) else []
    return change(NAME, data.get("type") if isinstance(data, dict) else None, ids, "HiBob")


def _ping(request: WebhookRequest) -> HandshakeAnswer | None:
    return HandshakeAnswer(body="", status=200) if request.body.strip() in _PINGS else None


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.PEOPLE: parse_hibob},
    secret_style=SecretStyle.TOKEN,
    handshake=_ping,
)
