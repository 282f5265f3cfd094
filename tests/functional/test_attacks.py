"""A standing attack suite: another tenant's ids on every operation, and forged, stale and replayed
signatures on every webhook source of the registry."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

import app  # noqa: F401 - registers every operation, so that the suite is built from all of them
from chalicelib.api.http import REGISTRY, RouteDoc
from chalicelib.calendars.apis import MailStore
from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider
from chalicelib.domain.webhook import Purpose
from chalicelib.registry import SOURCES, source_registry
from chalicelib.services import endpoints as endpoint_service
from chalicelib.services.inbox.ports import SourceSpec, WebhookRequest
from chalicelib.storage.base import DynamoRepository
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.signing import (
    BodyHmac,
    SharedToken,
    StandardWebhooksVerifier,
    TimestampedHmac,
    TimestampLayout,
    TokenPlace,
)
from chalicelib.webhooks.sources import invite
from chalicelib.webhooks.sources.invite import MailOnly
from chalicelib.webhooks.sources.msgraph import ClientStateVerifier
from tests.support.aws import mock_aws
from tests.support.events import load_event
from tests.support.pairs import stored_pair
from tests.support.world import TenantHandle, World, signed_standard, world_with

V1 = "/api/v1"
# A body each operation accepts, so that the request reaches the tenant check and is not refused as malformed.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "FieldMapping": {
        "role": {"constant": "mentee"},
        "email": {"ref": "email"},
        "name": {"ref": "name"},
        "consent": {"ref": "consent"},
    },
    "RunRequest": {},
    "ReasonRequest": {"reason": "not a good fit"},
    "EndRequest": {"reason": "moved away", "outcome": "ended_early"},
    "ProgrammeUpdate": {"name": "Taken over"},
    "ParticipantCreate": {"profile": {"role": "mentee", "email": "intruder@example.org", "name": "Intruder"}},
    "ParticipantUpdate": {"priority": 5},
    "WithdrawRequest": {"reason": "taken over"},
    "RotateRequest": {},
    "EventCreate": {
        "kind": "mentor_training",
        "title": "Obuka mentora",
        "starts_at": "2026-09-20T16:00:00+02:00",
        "ends_at": "2026-09-20T18:00:00+02:00",
    },
    "AttendanceUpdate": {"attended": {"{participant_id}": True}},
    "MeetingRequest": {"starts_at": "2026-08-30T10:00:00+00:00", "held": True},
    "ConfirmationRequest": {"met": False},
    "ConnectorSettings": {
        "vendor": "bamboohr",
        "credentials": {"store": "ssm", "name": "/mentorflow/local/intruder-hr"},
        "settings": {"subdomain": "intruder"},
        "mapping": {"email": "workEmail"},
    },
    "VendorSecret": {"secret": "a-vendor-signing-key-chosen-by-the-intruder"},
    "AliasRequest": {"email": "intruder@attacker.example"},
}


def _victim(world: World) -> tuple[TenantHandle, dict[str, str]]:
    """Another tenant with one of everything an id in a path can name."""
    victim = world.tenant("Victim")
    programme_id = victim.programme()
    people = []
    for role, email in (("mentor", "mentor@victim.example"), ("mentee", "mentee@victim.example")):
        body = {"profile": {"role": role, "email": email, "name": role.title(), "languages": ["sr"]}}
        people.append(victim.post(f"{V1}/programmes/{programme_id}/participants", body).json_body["participant_id"])
    run = victim.post(f"{V1}/programmes/{programme_id}/matching-runs", {}).json_body
    issued = victim.endpoint(programme_id, "standard")
    people_endpoint = endpoint_service.create_endpoint(
        world.storage,
        tenant_id=victim.tenant_id,
        programme_id=programme_id,
        source="bamboohr",
        description=None,
        base_url="https://mentorflow.example.org",
        clock=world.clock,
        sources=source_registry(),
        purpose=Purpose.PEOPLE,
    )
    (key,) = world.storage.tenants.list_keys(victim.tenant_id)
    event = victim.post(f"{V1}/programmes/{programme_id}/events", VALID_BODIES["EventCreate"]).json_body
    running = stored_pair(
        world.storage,
        victim.tenant_id,
        programme_id,
        "mentor2@victim.example",
        "mentee2@victim.example",
        approved_at=world.clock.now() - timedelta(days=7),
    )
    meetings = f"{V1}/programmes/{programme_id}/pairs/{running.pair_id}/meetings"
    meeting = victim.post(meetings, VALID_BODIES["MeetingRequest"]).json_body
    connector = victim.post(f"{V1}/connectors", VALID_BODIES["ConnectorSettings"]).json_body
    aliases = f"{V1}/programmes/{programme_id}/participants/{people[1]}/aliases"
    alias = victim.post(aliases, {"email": "mentee.home@victim.example"}).json_body
    connection = CalendarConnection(
        tenant_id=victim.tenant_id,
        programme_id=programme_id,
        endpoint_id=issued.endpoint.endpoint_id,
        provider=Provider.GOOGLE,
        grant=Grant.PERSONAL,
        calendar_id="mentor@victim.example",
        state=ConnectionState.ACTIVE,
        renew_at=world.clock.now(),
        created_at=world.clock.now(),
        updated_at=world.clock.now(),
    )
    world.storage.calendars.save(connection)
    body = json.dumps({"type": "form.submitted", "data": {"email": "mentee@victim.example"}}).encode()
    headers = signed_standard(issued.secret, body, msg_id="msg_victim", at=world.clock.now())
    delivered = world.client.http.post(f"/hooks/standard/{issued.endpoint.endpoint_id}", headers=headers, body=body)
    assert delivered.status_code in (200, 202), delivered.json_body
    ids = {
        "programme_id": programme_id,
        "participant_id": people[1],
        "run_id": run["run"]["run_id"],
        "pair_id": run["proposals"][0]["pair_id"],
        "endpoint_id": issued.endpoint.endpoint_id,
        "delivery_id": delivered.json_body["delivery_id"],
        "key_id": key.key_id,
        "event_id": event["event"]["event_id"],
        "meeting_id": meeting["meeting_id"],
        "running_pair_id": running.pair_id,
        "people_endpoint_id": people_endpoint.endpoint.endpoint_id,
        "connector_id": connector["connector_id"],
        "connection_id": connection.connection_id,
        "alias_id": alias["alias_id"],
        # The export names a report, not an object; the programme id is what must not be found.
        "export": "participants",
    }
    missing = {name for route in ID_ROUTES for name in re.findall(r"{(\w+)}", _with_ids(route, ids))}
    assert not missing, f"the victim has nothing to name {missing}; give it one"
    return victim, ids


def _on_table(world: World) -> Any:
    return next((r._table for r in vars(world.storage).values() if isinstance(r, DynamoRepository)), None)


def _snapshot(world: World, tenant_id: str) -> str:
    """Every stored entity of a tenant as text: from the fake's stores, or every item of the table on moto."""
    table = _on_table(world)
    if table is not None:
        items: list[dict[str, Any]] = []
        own = f"TENANT#{tenant_id}#"
        page: dict[str, Any] = {"ConsistentRead": True}
        while True:
            answer = table.scan(**page)
            items += [i for i in answer["Items"] if i.get("tenant_id") == tenant_id or str(i["PK"]).startswith(own)]
            if "LastEvaluatedKey" not in answer:
                break
            page["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return "\n".join(sorted(json.dumps(item, default=repr, sort_keys=True) for item in items))
    entities = []
    for repository in vars(world.storage).values():
        for store in vars(repository).values():
            if isinstance(store, dict):
                entities += [e.model_dump_json() for e in store.values() if getattr(e, "tenant_id", None) == tenant_id]
    return "\n".join(sorted(entities))


# Operations that act on one kind of object only: a meeting is logged for a running pair (the pair
# actions take the proposed one), and only a people endpoint takes a vendor's signing key.
NARROWER_IDS = {"/meetings": ("pair_id", "running_pair_id"), "/vendor-secret": ("endpoint_id", "people_endpoint_id")}


def _with_ids(route: RouteDoc, ids: dict[str, str]) -> str:
    path = route.path
    for fragment, (name, narrower) in NARROWER_IDS.items():
        if fragment in path:
            path = path.replace("{" + name + "}", ids[narrower])
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


ID_ROUTES = [r for r in REGISTRY.routes if "{" in r.path]


def _moto_slice(routes: list[RouteDoc]) -> set[tuple[str, str]]:
    """One operation per kind of id path (a write where there is one): the table's keys, checked on moto too.

    Every operation runs on the fake; all of them on moto take minutes, this slice under one.
    """
    chosen: dict[tuple[str, ...], RouteDoc] = {}
    for route in routes:
        kind = tuple(re.findall(r"{(\w+)}", route.path))
        if kind not in chosen or (chosen[kind].method == "get" and route.method != "get"):
            chosen[kind] = route
    return {(r.method, r.path) for r in chosen.values()}


MOTO_SLICE = _moto_slice(ID_ROUTES)


@pytest.mark.parametrize("route", ID_ROUTES, ids=[f"{r.method} {r.path}" for r in ID_ROUTES])
def test_another_tenant_s_ids_are_not_found_by_any_operation_and_change_nothing(world: World, route: RouteDoc) -> None:
    if _on_table(world) and (route.method, route.path) not in MOTO_SLICE:
        pytest.skip("on moto, one operation per kind of id path")
    # GIVEN a victim tenant with one of everything, and an attacker with a key of their own
    victim, ids = _victim(world)
    attacker = world.tenant("Attacker")
    before = _snapshot(world, victim.tenant_id)
    body = VALID_BODIES.get(route.body.__name__, {}) if route.body is not None else None

    # WHEN the attacker calls the operation with the victim's ids
    answer = world.client.http.request(
        route.method.upper(),
        _with_ids(route, ids),
        headers=attacker.headers(),
        body=json.dumps(body).replace("{participant_id}", ids["participant_id"]) if body is not None else b"",
    )

    # THEN it is not found, like a missing object, and nothing of the victim changed
    assert answer.status_code == 404, (answer.status_code, answer.json_body)
    assert _snapshot(world, victim.tenant_id) == before


@pytest.mark.parametrize("operation", ["export", "erase"])
def test_another_tenant_s_people_cannot_be_exported_or_erased(world: World, operation: str) -> None:
    # GIVEN a victim tenant's mentee
    victim, _ids = _victim(world)
    attacker = world.tenant("Attacker")
    before = _snapshot(world, victim.tenant_id)

    # WHEN the attacker asks for their data, or their erasure
    body: dict[str, Any] = {"email": "mentee@victim.example"} | ({"confirm": True} if operation == "erase" else {})
    answer = attacker.post(f"{V1}/people/{operation}", body)

    # THEN the attacker's own tenant holds nobody of that address, and nothing of the victim changed
    if operation == "export":
        assert answer.status_code == 404
    else:
        assert answer.status_code == 200
        assert set(answer.json_body["items"].values()) == {0}
    assert _snapshot(world, victim.tenant_id) == before


# --- Signatures ---------------------------------------------------------------------------------------

SECRET_STRANGER = "whsec_" + base64.b64encode(b"s" * 32).decode()
HOST = "mentorflow.example.org"
GOOGLE_CHANNEL = {
    "X-Goog-Channel-ID": "chn-attack-0001",
    "X-Goog-Message-Number": "7",
    "X-Goog-Resource-State": "exists",
}
JOTFORM_BODY = urlencode(
    {
        "submissionID": "5981234567890123456",
        "formID": "243231271343446",
        "rawRequest": load_event("jotform_submission.rawRequest.json").decode(),
    }
).encode()
SALESFORCE_BODY = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D5e000000KcbAEAS</OrganizationId>
   <Notification>
    <Id>04l5e00000AbCdEAAV</Id>
    <sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>0035e00000XyZ12AAB</sf:Id>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
"""
# A body each source posts; a scheme that signs inside the body (msgraph's clientState) gets it at signing time.
BODIES: dict[str, bytes] = {
    "typeform": load_event("typeform_form_response.json"),
    "tally": load_event("tally_FORM_RESPONSE.json"),
    "jotform": JOTFORM_BODY,
    "google-forms": load_event("standard_form.submitted_google_forms_mentor.json"),
    "standard": load_event("standardwebhooks_contact.created_full.json"),
    "calendly": load_event("calendly_invitee.created.json"),
    "calcom": load_event("calcom_BOOKING_CREATED.json"),
    "google-calendar": b"",
    "msgraph": load_event("msgraph_change_notification_created.json"),
    "invite": load_event("invite_google_request.eml"),
    "bamboohr": load_event("bamboohr_employee.updated_event_based.json"),
    "hibob": load_event("hibob_table.entry.created_v2.json"),
    "merge": load_event("merge_hris_employee_model.json"),
    "hubspot": load_event("hubspot_contact.propertyChange.json"),
    "salesforce": SALESFORCE_BODY,
}


@dataclass(frozen=True)
class Signed:
    """A request as the source would send it: headers, the query string and the body (which may carry the proof)."""

    headers: dict[str, str]
    query: str
    body: bytes


def _signed(spec: SourceSpec, secret: str, path: str, at: int, msg_id: str) -> Signed:
    """The source's request to ``path``, proven with ``secret`` at unix time ``at`` the way the source proves it."""
    verifier = spec.verifier(None)  # type: ignore[arg-type] - the clock is used to verify, not to sign
    assert spec.name in BODIES, f"{spec.name}: no body in this suite; add one it really posts"
    body = BODIES[spec.name]
    # The body above is url-encoded, one of the two ways Jotform posts.
    media = "application/x-www-form-urlencoded" if spec.name == "jotform" else spec.content_types[0]
    content = {"Content-Type": media, "Host": HOST}
    if isinstance(verifier, StandardWebhooksVerifier):
        signature = StandardWebhooksVerifier.sign(secret, msg_id, at, body)
        return Signed(
            content | {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}, "", body
        )
    if isinstance(verifier, BodyHmac):
        return Signed(content | {verifier._header: verifier.sign(secret, body)}, "", body)
    if isinstance(verifier, SharedToken) and verifier._place is TokenPlace.QUERY:
        return Signed(content, f"?{verifier._name}={verifier.sign(secret)}", body)
    if isinstance(verifier, SharedToken):
        # Google's ping names its channel and message: the same ping resent is the same delivery.
        return Signed(content | GOOGLE_CHANNEL | {verifier._name: verifier.sign(secret)}, "", body)
    if isinstance(verifier, TimestampedHmac):
        # HubSpot writes its timestamp in milliseconds; the others in seconds.
        stamp = str(at * 1000) if verifier._layout is TimestampLayout.HUBSPOT_V3 else str(at)
        request = WebhookRequest(method="POST", path=path, body=body, headers={"host": HOST})
        headers = content | {verifier._signature_header: verifier.sign(secret, request, stamp)}
        if verifier._timestamp_header:
            headers[verifier._timestamp_header] = stamp
        return Signed(headers, "", body)
    if isinstance(verifier, ClientStateVerifier):
        notifications = json.loads(body)["value"]
        return Signed(content, "", ClientStateVerifier.sign(secret, notifications))
    if isinstance(verifier, MailOnly):
        # Mail is never proven over HTTP: whatever a sender adds, the route refuses it (see the SES tests below).
        return Signed(content, "", body)
    raise AssertionError(f"{spec.name}: no signer for {type(verifier).__name__}; add one to this suite")


@pytest.fixture
def wired(storage: Storage) -> Iterator[World]:
    """The deployment's own sources and handlers; any AWS call lands on moto, never on the network."""
    with mock_aws(), world_with(storage) as built:
        yield built


def _purpose(world: World, spec: SourceSpec) -> Purpose:
    return world.container.sources.purposes(spec.name)[0]


def _endpoint(world: World, spec: SourceSpec) -> tuple[str, str]:
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), spec.name, purpose=_purpose(world, spec))
    return issued.endpoint.endpoint_id, issued.secret


def _path(spec: SourceSpec, endpoint_id: str) -> str:
    return f"/hooks/{spec.name}/{endpoint_id}"


def _post(world: World, spec: SourceSpec, endpoint_id: str, signed: Signed) -> Any:
    return world.client.http.post(f"{_path(spec, endpoint_id)}{signed.query}", headers=signed.headers, body=signed.body)


def _stranger(spec: SourceSpec) -> str:
    return SECRET_STRANGER if spec.secret_style.value == "whsec" else "a-secret-that-is-not-the-endpoint-s"


def _duplicate(answer: Any, spec: SourceSpec) -> bool | None:
    """Whether the inbox called the request a duplicate; a source answered in its own words says nothing."""
    if spec.acknowledge is not None:
        assert answer.status_code == 200, answer.body
        assert b"<Ack>true</Ack>" in answer.body
        return None
    return bool(answer.json_body["duplicate"])


def _expected(spec: SourceSpec, duplicates: list[bool]) -> list[bool | None]:
    return [None] * len(duplicates) if spec.acknowledge is not None else list(duplicates)


@pytest.mark.parametrize("spec", SOURCES, ids=[s.name for s in SOURCES])
def test_a_forged_signature_is_refused_by_every_source_and_nothing_is_stored(wired: World, spec: SourceSpec) -> None:
    # GIVEN an endpoint of the source
    endpoint_id, _secret = _endpoint(wired, spec)

    # WHEN a request signed with another secret arrives
    forged = _signed(spec, _stranger(spec), _path(spec, endpoint_id), int(wired.clock.now().timestamp()), "msg_forged")
    answer = _post(wired, spec, endpoint_id, forged)

    # THEN it is refused (no acknowledgement either) and nothing is stored
    assert answer.status_code == 401, (answer.status_code, answer.body)
    assert b"<Ack>" not in answer.body
    assert wired.storage.deliveries.for_endpoint(endpoint_id) == []


HTTP_SOURCES = [s for s in SOURCES if s.name != invite.NAME]


# The invite source receives mail through SES, never over HTTP; its replays are the SES tests below.
@pytest.mark.parametrize("spec", HTTP_SOURCES, ids=[s.name for s in HTTP_SOURCES])
def test_a_stale_or_replayed_request_is_refused_or_stored_once_by_every_source(wired: World, spec: SourceSpec) -> None:
    # GIVEN an endpoint of the source, and a request it signed an hour ago and one signed now
    endpoint_id, secret = _endpoint(wired, spec)
    now = int(wired.clock.now().timestamp())
    path = _path(spec, endpoint_id)
    old = _signed(spec, secret, path, now - int(timedelta(hours=1).total_seconds()), "msg_old")
    fresh = _signed(spec, secret, path, now, "msg_replayed")
    timed = isinstance(spec.verifier(wired.clock), StandardWebhooksVerifier | TimestampedHmac)

    # WHEN the stale one arrives, then the fresh one three times
    stale = _post(wired, spec, endpoint_id, old)
    answers = [_post(wired, spec, endpoint_id, fresh) for _ in range(3)]

    # THEN a scheme with a timestamp refuses the stale one, and the fresh one is stored once
    if timed:
        assert stale.status_code == 401
        assert [_duplicate(a, spec) for a in answers] == _expected(spec, [False, True, True])
    else:
        assert [_duplicate(a, spec) for a in [stale, *answers]] == _expected(spec, [False, True, True, True])
    assert len(wired.storage.deliveries.for_endpoint(endpoint_id)) == 1


# A vendor's URL check is answered before any proof is asked for; it must never store what it carries.
HANDSHAKES: dict[str, tuple[str, bytes]] = {
    "msgraph": (
        "?validationToken=Validation%3A%20Testing%20client%20application%20reachability",
        ClientStateVerifier.sign("a-client-state-that-is-not-the-endpoint-s", [{"subscriptionId": "sub-attack"}]),
    ),
    "hibob": ("", b"Ping test"),
}
HANDSHAKE_SOURCES = [s for s in SOURCES if s.name in HANDSHAKES]


def test_every_source_that_answers_a_url_check_is_in_the_handshake_attacks() -> None:
    # GIVEN every registered source, and the URL check each of them answers
    answering = set()
    for spec in SOURCES:
        query, body = HANDSHAKES.get(spec.name, ("", b"Ping test"))
        request = WebhookRequest(method="POST", path="/", body=body, query=dict(parse_qsl(query.lstrip("?"))))
        # WHEN the source is asked whether it answers it
        if spec.handshake(request) is not None:
            answering.add(spec.name)

    # THEN the suite attacks each of them
    assert answering == set(HANDSHAKES)


@pytest.mark.parametrize("spec", HANDSHAKE_SOURCES, ids=[s.name for s in HANDSHAKE_SOURCES])
def test_a_forged_request_dressed_as_a_url_check_is_answered_but_stores_nothing(wired: World, spec: SourceSpec) -> None:
    # GIVEN an endpoint of a source that answers its vendor's URL check
    endpoint_id, _secret = _endpoint(wired, spec)
    query, body = HANDSHAKES[spec.name]

    # WHEN a stranger posts that check, carrying notifications of their own
    answer = _post(wired, spec, endpoint_id, Signed({"Content-Type": spec.content_types[0]}, query, body))

    # THEN the check is answered, and nothing is stored nor processed
    assert answer.status_code == 200
    assert wired.storage.deliveries.for_endpoint(endpoint_id) == []


# --- Mail to the invite address -----------------------------------------------------------------------


@dataclass
class FakeS3:
    """The bucket SES receiving writes messages to: key -> raw message."""

    objects: dict[str, bytes]

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"ContentLength": len(self.objects[Key])}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": BytesIO(self.objects[Key])}


def _mailed(world: World, message_id: str, verdict: str) -> tuple[str, dict[str, Any]]:
    """An invite endpoint, and the SES receipt of an invitation mailed to it with ``verdict`` on SPF and DKIM."""
    endpoint_id, _secret = _endpoint(world, invite.SPEC)
    world.container._invite_mail = MailStore("invitations", "", "us-east-1", FakeS3({message_id: BODIES["invite"]}))
    recipient = f"meet+{endpoint_id}@mentorflow.example.org"
    receipt = {
        "recipients": [recipient],
        "spamVerdict": {"status": "PASS"},
        "virusVerdict": {"status": "PASS"},
        "spfVerdict": {"status": verdict},
        "dkimVerdict": {"status": verdict},
    }
    mail = {"messageId": message_id, "source": "milica.djordjevic@example.org", "destination": [recipient]}
    return endpoint_id, {"Records": [{"eventSource": "aws:ses", "ses": {"mail": mail, "receipt": receipt}}]}


def test_an_invitation_mailed_from_a_forged_sender_is_dropped_and_nothing_is_stored(wired: World) -> None:
    # GIVEN an invitation whose sender neither SPF nor DKIM vouches for
    endpoint_id, event = _mailed(wired, "forged0001", "FAIL")

    # WHEN SES hands it to the invitation function
    answer = wired.client.lambda_.invoke("receive-invitation", event).payload

    # THEN it is dropped and nothing is stored
    assert answer["states"] == ["ignored"]
    assert wired.storage.deliveries.for_endpoint(endpoint_id) == []


def test_an_invitation_received_again_is_stored_once(wired: World) -> None:
    # GIVEN an invitation SES vouches for
    endpoint_id, event = _mailed(wired, "replayed0001", "PASS")

    # WHEN SES hands it over three times (its retries, or a replayed receipt)
    answers = [wired.client.lambda_.invoke("receive-invitation", event).payload for _ in range(3)]

    # THEN it is stored once, and every retry reaches the state of the first
    assert len({tuple(a["states"]) for a in answers}) == 1
    assert len(wired.storage.deliveries.for_endpoint(endpoint_id)) == 1
