"""Salesforce Outbound Messages: a SOAP envelope of changed records, acknowledged the way Salesforce requires.

Salesforce signs nothing: the endpoint URL carries a long random ``token`` (shown once),
sent over TLS only. Each notification names an sObject (``sf:Id``); only those ids are
read. Salesforce resends a message until it receives the SOAP ``<Ack>true</Ack>``
answer, so every delivery the inbox keeps is answered with it (``acknowledge``).
Salesforce posts ``text/xml``.

A message names the organisation it comes from (``OrganizationId``). Where the tenant's
Salesforce connector names its organisation, a message from any other is refused with a
SOAP fault and HTTP 403 before anything is kept: Salesforce counts only an ``Ack`` as
delivered, so the sender sees an error rather than a silent acceptance.
"""

from __future__ import annotations

# ElementTree on expat 2.4+ refuses entity expansion bombs and never fetches external
# entities; a SOAP envelope has no DOCTYPE, so one is refused before parsing at all.
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Collection

from chalicelib.domain.payloads import PayloadParseError
from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle, WebhookEndpoint
from chalicelib.services.inbox.ports import HandshakeAnswer, ProcessingContext, SourceSpec, WebhookRequest
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
FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode>"
    "<faultstring>This endpoint does not accept messages from this organisation.</faultstring>"
    "</soapenv:Fault></soapenv:Body>"
    "</soapenv:Envelope>"
)
SIGNING = SharedToken(place=TokenPlace.QUERY, name=TOKEN_PARAMETER)
# Salesforce ids are 15 characters, case-sensitive; the 18-character form adds a checksum suffix.
_ID_LENGTH = 15


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


def organization_id(body: bytes) -> str | None:
    """The ``OrganizationId`` a message names, in its 15-character form; None when it names none or is not XML."""
    if b"<!DOCTYPE" in body.upper():
        return None
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - DOCTYPE refused above; expat limits expansion
    except ElementTree.ParseError:
        return None
    found = (root.findtext(f".//{OUTBOUND}notifications/{OUTBOUND}OrganizationId") or "").strip()
    return found[:_ID_LENGTH] or None


def admission(
    expected: Callable[[ProcessingContext, str], Collection[str]],
) -> Callable[[WebhookRequest, WebhookEndpoint, ProcessingContext], HandshakeAnswer | None]:
    """Refuse a message whose organisation is not one ``expected`` names for the endpoint's tenant.

    ``expected`` gives the organisation ids the tenant's connectors name; none named
    means there is nothing to check against, and the token alone admits the message.
    """

    def admit(request: WebhookRequest, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> HandshakeAnswer | None:
        organisations = {org[:_ID_LENGTH] for org in expected(ctx, endpoint.tenant_id)}
        if not organisations or organization_id(request.body) in organisations:
            return None
        return HandshakeAnswer(body=FAULT, content_type="text/xml; charset=utf-8", status=403)

    return admit


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
