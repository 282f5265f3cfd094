"""A standing attack suite: another tenant's ids on every operation, and forged, stale and replayed
signatures on every webhook source of the registry."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

import app  # noqa: F401 - registers every operation, so that the suite is built from all of them
from chalicelib.api.http import REGISTRY, RouteDoc
from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider
from chalicelib.domain.webhook import Purpose
from chalicelib.registry import SOURCES
from chalicelib.services.inbox.ports import SourceSpec, WebhookRequest
from chalicelib.settings import get_settings
from chalicelib.webhooks.signing import BodyHmac, SharedToken, StandardWebhooksVerifier, TimestampedHmac
from tests.support.pairs import stored_pair
from tests.support.world import TenantHandle, World

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
    "AttendanceUpdate": {"attended": {"ptc_intruder": True}},
    "MeetingRequest": {"starts_at": "2026-08-30T10:00:00+00:00", "held": True},
    "ConfirmationRequest": {"met": False},
    "ConnectorSettings": {
        "vendor": "bamboohr",
        "credentials": {"store": "ssm", "name": "/intruder/hr"},
        "settings": {"subdomain": "intruder"},
        "mapping": {"email": "workEmail"},
    },
    "VendorSecret": {"secret": "a-vendor-signing-key-chosen-by-the-intruder"},
}


@pytest.fixture(autouse=True)
def local_erasure_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Erasure hashes take their key from the process settings, which the stage's config points at SSM."""
    monkeypatch.setenv("MENTORFLOW_ERASURE_KEY", "attack-suite-erasure-key")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


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
    ids = {
        "programme_id": programme_id,
        "participant_id": people[1],
        "run_id": run["run"]["run_id"],
        "pair_id": run["proposals"][0]["pair_id"],
        "endpoint_id": issued.endpoint.endpoint_id,
        "delivery_id": "msg_victim",
        "key_id": key.key_id,
        "event_id": event["event"]["event_id"],
        "meeting_id": meeting["meeting_id"],
        "connector_id": connector["connector_id"],
        "connection_id": connection.connection_id,
        # The export names a report, not an object; the programme id is what must not be found.
        "export": "participants",
    }
    missing = {name for route in ID_ROUTES for name in re.findall(r"{(\w+)}", route.path)} - set(ids)
    assert not missing, f"the victim has nothing to name {missing}; give it one"
    return victim, ids


def _snapshot(world: World, tenant_id: str) -> str:
    """Every stored entity of a tenant on the fake, as text."""
    entities = []
    for repository in vars(world.storage).values():
        for store in vars(repository).values():
            if isinstance(store, dict):
                entities += [e.model_dump_json() for e in store.values() if getattr(e, "tenant_id", None) == tenant_id]
    return "\n".join(sorted(entities))


def _with_ids(route: RouteDoc, ids: dict[str, str]) -> str:
    path = route.path
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


ID_ROUTES = [r for r in REGISTRY.routes if "{" in r.path]


@pytest.mark.parametrize("route", ID_ROUTES, ids=[f"{r.method} {r.path}" for r in ID_ROUTES])
def test_another_tenant_s_ids_are_not_found_by_any_operation_and_change_nothing(world: World, route: RouteDoc) -> None:
    if not isinstance(world.storage.tenants.__dict__.get("tenants"), dict):
        pytest.skip("the snapshot reads the in-memory fake")
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
        body=json.dumps(body) if body is not None else b"",
    )

    # THEN it is not found, like a missing object, and nothing of the victim changed
    assert answer.status_code == 404, (answer.status_code, answer.json_body)
    assert _snapshot(world, victim.tenant_id) == before


@pytest.mark.parametrize("operation", ["export", "erase"])
def test_another_tenant_s_people_cannot_be_exported_or_erased(world: World, operation: str) -> None:
    if not isinstance(world.storage.tenants.__dict__.get("tenants"), dict):
        pytest.skip("the snapshot reads the in-memory fake")
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


def _signed(spec: SourceSpec, secret: str, body: bytes, at: int, msg_id: str) -> tuple[dict[str, str], str]:
    """Headers and query string that sign ``body`` with ``secret`` at unix time ``at`` the source's way."""
    verifier = spec.verifier(None)  # type: ignore[arg-type] - the clock is used to verify, not to sign
    content = {"Content-Type": spec.content_types[0]}
    if isinstance(verifier, StandardWebhooksVerifier):
        signature = StandardWebhooksVerifier.sign(secret, msg_id, at, body)
        return content | {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}, ""
    if isinstance(verifier, BodyHmac):
        return content | {verifier._header: verifier.sign(secret, body)}, ""
    if isinstance(verifier, SharedToken):
        return content, f"?{spec.token_parameter}={verifier.sign(secret)}"
    if isinstance(verifier, TimestampedHmac):
        request = WebhookRequest(method="POST", path="/", body=body)
        headers = content | {verifier._signature_header: verifier.sign(secret, request, str(at))}
        if verifier._timestamp_header:
            headers[verifier._timestamp_header] = str(at)
        return headers, ""
    raise AssertionError(f"{spec.name}: no signer for {type(verifier).__name__}; add one to this suite")


def _purpose(world: World, spec: SourceSpec) -> Purpose:
    return world.container.sources.purposes(spec.name)[0]


def _endpoint(world: World, spec: SourceSpec) -> tuple[str, str]:
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), spec.name, purpose=_purpose(world, spec))
    return issued.endpoint.endpoint_id, issued.secret


def _post(world: World, spec: SourceSpec, endpoint_id: str, headers: dict[str, str], query: str, body: bytes) -> Any:
    return world.client.http.post(f"/hooks/{spec.name}/{endpoint_id}{query}", headers=headers, body=body)


BODY = json.dumps({"event_id": "evt_attack", "type": "form.submitted", "data": {"answers": []}}).encode()


@pytest.mark.parametrize("spec", SOURCES, ids=[s.name for s in SOURCES])
def test_a_forged_signature_is_refused_by_every_source_and_nothing_is_stored(world: World, spec: SourceSpec) -> None:
    # GIVEN an endpoint of the source
    endpoint_id, _secret = _endpoint(world, spec)
    stranger = SECRET_STRANGER if spec.secret_style.value == "whsec" else "a-secret-that-is-not-the-endpoint-s"

    # WHEN a request signed with another secret arrives
    headers, query = _signed(spec, stranger, BODY, int(world.clock.now().timestamp()), "msg_forged")
    answer = _post(world, spec, endpoint_id, headers, query, BODY)

    # THEN it is refused and nothing is stored
    assert answer.status_code == 401
    assert world.storage.deliveries.for_endpoint(endpoint_id) == []


@pytest.mark.parametrize("spec", SOURCES, ids=[s.name for s in SOURCES])
def test_a_stale_or_replayed_request_is_refused_or_stored_once_by_every_source(world: World, spec: SourceSpec) -> None:
    # GIVEN an endpoint of the source, and a request it signed an hour ago and one signed now
    endpoint_id, secret = _endpoint(world, spec)
    now = int(world.clock.now().timestamp())
    old_headers, old_query = _signed(spec, secret, BODY, now - int(timedelta(hours=1).total_seconds()), "msg_old")
    headers, query = _signed(spec, secret, BODY, now, "msg_replayed")
    timed = isinstance(spec.verifier(world.clock), StandardWebhooksVerifier | TimestampedHmac)

    # WHEN the stale one arrives, then the fresh one three times
    stale = _post(world, spec, endpoint_id, old_headers, old_query, BODY)
    answers = [_post(world, spec, endpoint_id, headers, query, BODY) for _ in range(3)]

    # THEN a scheme with a timestamp refuses the stale one, and the fresh one is stored once
    if timed:
        assert stale.status_code == 401
        assert [a.json_body["duplicate"] for a in answers] == [False, True, True]
    else:
        assert [a.json_body["duplicate"] for a in [stale, *answers]] == [False, True, True, True]
    assert len(world.storage.deliveries.for_endpoint(endpoint_id)) == 1
