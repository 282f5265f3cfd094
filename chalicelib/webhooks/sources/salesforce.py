"""Salesforce Outbound Messages: a SOAP envelope of changed records, acknowledged the way Salesforce requires.

Salesforce signs nothing: the endpoint URL carries a long random ``token`` (shown once),
sent over TLS only. Each notification names an sObject (``sf:Id``); only those ids are
read. Salesforce resends a message until it receives the SOAP ``<Ack>true</Ack>``
answer, so every delivery the inbox keeps is answered with it (``acknowledge``).
Salesforce posts ``text/xml``.
"""

from __future__ import annotations

# ElementTree on expat 2.4+ refuses entity expansion bombs and never fetches external
# entities; a SOAP envelope has no DOCTYPE, so one is refused before parsing at all.
import xml.etree.ElementTree as ElementTree

from chalicelib.domain.payloads import PayloadParseError
from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import HandshakeAnswer, SourceSpec
from chalicelib.webhooks.signing import SharedToken, TokenPlace
from chalicelib.webhooks.sources._people import change

NAME = "salesforce"
TOKEN_PARAMETER = "token"  # noqa: S105 - the name of a query parameter, not a secret
OUTBOUND = "{http://soap.sforce.com/2005/09/outbound}"
SOBJECT = "{urn:sobject.enterprise.soap.sforce.com}"
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body>"
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body>"
    "</soapenv:Envelope>"
)
SIGNING = SharedToken(place=TokenPlace.QUERY, name=TOKEN_PARAMETER)


def parse_outbound_message(delivery: Delivery) -> PeopleChange:
    body = delivery.body or b""
    if b"<!DOCTYPE" in body.upper():
        raise PayloadParseError("Salesforce body carries a DOCTYPE, which no outbound message has")
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - DOCTYPE refused above; expat limits expansion
    except ElementTree.ParseError as exc:
        raise PayloadParseError(f"Salesforce body is not XML ({exc.position[0]}:{exc.position[1]})") from exc
    notifications = root.find(f".//{OUTBOUND}notifications")
    if notifications is None:
        raise PayloadParseError("Salesforce body has no notifications element")
    objects = [n.find(f"{OUTBOUND}sObject") for n in notifications.findall(f"{OUTBOUND}Notification")]
    ids = [(o.findtext(f"{SOBJECT}Id") or "").strip() for o in objects if o is not None]
    kinds = {
        (o.get("{http://www.w3.org/2001/XMLSchema-instance}type") or "sObject").split(":")[-1]
        for o in objects
        if o is not None
    }
    return change(NAME, "outbound." + "+".join(sorted(kinds)) if kinds else None, ids, "Salesforce")


def _acknowledge() -> HandshakeAnswer:
    return HandshakeAnswer(body=ACK, content_type="text/xml; charset=utf-8")


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.PEOPLE: parse_outbound_message},
    content_types=("text/xml", "application/xml"),
    secret_style=SecretStyle.TOKEN,
    token_parameter=TOKEN_PARAMETER,
    acknowledge=_acknowledge,
)
