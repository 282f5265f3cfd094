"""A person's data rights end to end: export everything held, erase it all, and keep it erased.

Runs on DynamoDB on moto, so that after an erasure every item of the table can be read
back and searched, with the file e-mail channel, so that the local outbox can be too.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import Binary

from chalicelib.domain.events import EventKind, Invitation, ProgrammeEvent, Rsvp
from chalicelib.domain.feedback import Respondent, SurveyRequest
from chalicelib.domain.matching_run import MatchRun, RunFigures, UnmatchedEntry
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.programme import SurveyKind
from chalicelib.domain.sync import (
    CredentialRef,
    FieldMap,
    OpenInvitation,
    SecretStore,
    SyncConnector,
    SyncedClaim,
    SyncedPerson,
    Vendor,
)
from chalicelib.jobs import run_job
from chalicelib.services import erasures, privacy
from chalicelib.services.endpoints import IssuedEndpoint
from chalicelib.settings import Settings
from chalicelib.storage.repositories import dynamo_storage
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.integration.tables import moto_table
from tests.support.events import load_event_json
from tests.support.world import TenantHandle, World, world_with

V1 = "/api/v1"
EMAIL = "laura.ciurlionyte@example.lt"
NAME = "Laura Čiurlionytė"
ANSWER = "an older medium-sized city with a university"
MAPPING: dict[str, Any] = {
    "role": {"constant": "mentee"},
    "email": {"ref": "readable_ref_email"},
    "name": {"ref": "readable_ref_short_text"},
    "tags": {"id": "PNe8ZKBK8C2Q", "pass_through": True},
    "languages": {"constant": ["en"]},
    "consent": {"ref": "readable_ref_legal", "required": True},
}


@pytest.fixture
def table_world(tmp_path: Path) -> Iterator[tuple[World, Any, Path]]:
    outbox = tmp_path / "outbox"
    settings = Settings(email_channel="file", outbox_dir=str(outbox), erasure_key="privacy-test-erasure-key")
    with moto_table() as table, world_with(dynamo_storage(table), settings=settings) as world:
        yield world, table, outbox


def laura_signup() -> bytes:
    event = load_event_json("typeform_form_response.json")
    event["event_id"] = "evt_laura"
    for answer in event["form_response"]["answers"]:
        if answer["type"] == "email":
            answer["email"] = EMAIL
        elif answer["field"]["id"] == "JwWggjAKtOkA":
            answer["text"] = NAME
        elif answer["field"]["id"] == "DlXFaesGBpoF":
            answer["text"] = f"I live in {ANSWER}."
    return json.dumps(event, ensure_ascii=False).encode()


def post_typeform(world: World, issued: IssuedEndpoint, body: bytes) -> Any:
    signature = typeform_vendor.SIGNING.sign(issued.secret, body)
    headers = {"Content-Type": "application/json", "Typeform-Signature": signature}
    return world.client.http.post(f"/hooks/typeform/{issued.endpoint.endpoint_id}", headers=headers, body=body)


def matched_laura(world: World) -> tuple[TenantHandle, IssuedEndpoint, str]:
    """Laura signed up by Typeform, matched with and approved to Søren; nothing sent yet."""
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["en", "lt"], default_language="en")
    issued = coordinator.endpoint(programme_id, "typeform")
    mapped = world.client.http.put(
        f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", headers=coordinator.headers(), body=json.dumps(MAPPING)
    )
    assert mapped.status_code == 200, mapped.json_body
    assert post_typeform(world, issued, laura_signup()).json_body["state"] == "done"
    soren = {"role": "mentor", "email": "soren@example.dk", "name": "Søren Ærø", "languages": ["en"]}
    assert coordinator.post(f"{V1}/programmes/{programme_id}/participants", {"profile": soren}).status_code == 201
    runs = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {})
    (proposal,) = runs.json_body["proposals"]
    approved = coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve")
    assert approved.status_code == 200, approved.json_body
    return coordinator, issued, programme_id


def laura_everywhere(world: World, tenant_id: str, programme_id: str) -> str:
    """Laura also in what the programme keeps beside her record; her participant id.

    An earlier run that left her unmatched, her survey answer and Søren's naming her,
    her answer and attendance of a kick-off, and the HR sync's fingerprint of her, its claim
    that her participant id is her employee's and its open invitation to her.
    """
    (laura,) = world.storage.participants.by_email(tenant_id, EMAIL)
    (pair,) = world.storage.pairs.list(tenant_id, programme_id)
    now = world.clock.now()
    later = now + timedelta(days=365)
    figures = RunFigures(
        mentees=1, mentors=0, places=0, matched=0, unmatched_mentees=1, free_places=0, duplicates=0,
        solver="exact", objective="max_score",
    )  # fmt: skip
    unmatched = UnmatchedEntry(
        participant_id=laura.participant_id,
        role="mentee",
        code="no_mentors",
        params={"goals": [ANSWER]},
        sentence=f"There are no mentors in this round, so {NAME} could not be matched.",
    )
    world.storage.runs.add(
        MatchRun(
            run_id="run_before_soren", tenant_id=tenant_id, programme_id=programme_id, trigger="api",
            requested_at=now, figures=figures, unmatched=[unmatched],
        )
    )  # fmt: skip
    for participant_id, respondent, comment in (
        (laura.participant_id, Respondent.MENTEE, f"Søren knows {ANSWER} well."),
        (pair.mentor_id, Respondent.MENTOR, f"{NAME} is a delight to mentor."),
    ):
        world.storage.surveys.add_request(
            SurveyRequest(
                survey_id=f"srv_{respondent.value}", tenant_id=tenant_id, programme_id=programme_id,
                pair_id=pair.pair_id, participant_id=participant_id, respondent=respondent,
                kind=SurveyKind.FIT_CHECK, asked_at=now, answered_at=now, rating=5, comment=comment, expires_at=later,
            )
        )  # fmt: skip
    event = ProgrammeEvent(
        event_id="evt_kickoff", tenant_id=tenant_id, programme_id=programme_id, kind=EventKind.KICK_OFF,
        title="Kick-off", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
        created_at=now, expires_at=later,
    )  # fmt: skip
    world.storage.events.save(event)
    world.storage.events.add_invitation(
        Invitation(
            tenant_id=tenant_id, programme_id=programme_id, event_id=event.event_id,
            participant_id=laura.participant_id, invited_at=now, rsvp=Rsvp.YES, answered_at=now, attended=True,
            expires_at=later,
        )
    )  # fmt: skip
    connector = SyncConnector(
        tenant_id=tenant_id, connector_id="con_hr", vendor=Vendor.BAMBOOHR,
        credentials=CredentialRef(store=SecretStore.SSM, name="/mentorflow/bamboohr/api-key"),
        mapping=FieldMap(email="workEmail"), created_at=now, updated_at=now,
    )  # fmt: skip
    world.storage.connectors.save(connector)
    world.storage.synced_people.put_many(
        [
            SyncedPerson(
                tenant_id=tenant_id, connector_id="con_hr", external_id="emp-laura", fields_hash="fingerprint",
                participants={programme_id: laura.participant_id}, synced_at=now, expires_at=later,
            )
        ]
    )  # fmt: skip
    world.storage.synced_people.claim_many(
        [
            SyncedClaim(
                tenant_id=tenant_id, connector_id="con_hr", participant_id=laura.participant_id,
                external_id="emp-laura", expires_at=later,
            )
        ]
    )  # fmt: skip
    world.storage.sync_invitations.add(
        OpenInvitation.sent(
            tenant_id=tenant_id, programme_id=programme_id, participant_id=laura.participant_id,
            connector_id="con_hr", at=now,
        )
    )  # fmt: skip
    return laura.participant_id


def items_naming(table: Any, participant_id: str) -> list[str]:
    """The entity types of the table's items that hold ``participant_id``, index attributes included."""
    found = []
    for item in json.loads(table_text(table)):
        if participant_id in json.dumps(item, ensure_ascii=False):
            found.append(str(item.get("entity_type")))
    return sorted(found)


def traces(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in (EMAIL, NAME.lower(), ANSWER) if word in lowered]


def _readable(value: Any) -> str:
    """Stored bytes (raw bodies) are zlib-compressed: a scan must open them to see what they hold."""
    raw = bytes(value.value)
    try:
        return zlib.decompress(raw[1:]).decode("utf-8", errors="replace")
    except zlib.error:
        return raw.decode("utf-8", errors="replace")


def table_text(table: Any) -> str:
    """Every item of the whole table, every page, bodies opened."""
    items: list[Any] = []
    page: dict[str, Any] = {}
    while True:
        answer = table.scan(**page)
        items.extend(answer["Items"])
        if "LastEvaluatedKey" not in answer:
            break
        page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
    default = lambda value: _readable(value) if isinstance(value, Binary) else str(value)  # noqa: E731
    return json.dumps(items, default=default, ensure_ascii=False)


def outbox_text(outbox: Path) -> str:
    files = sorted(outbox.rglob("*")) if outbox.exists() else []
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files if p.is_file())


def test_the_export_holds_laura_s_records_pair_messages_and_raw_submission(
    table_world: tuple[World, Any, Path],
) -> None:
    # GIVEN Laura signed up by Typeform and was matched with Søren
    world, _table, _outbox = table_world
    coordinator, issued, _programme_id = matched_laura(world)

    # WHEN the coordinator exports what is held about her, her address in the body
    answer = coordinator.post(f"{V1}/people/export", {"email": EMAIL.upper()})

    # THEN one document holds her enrolment, her pair, messages to and about her and the raw submission
    assert answer.status_code == 200, answer.json_body
    export = answer.json_body
    assert [p["profile"]["name"] for p in export["participants"]] == [NAME]
    assert [p["status"] for p in export["pairs"]] == ["approved"]
    assert {m["template"] for m in export["messages"]} == {"welcome", "match_approved_mentee"}
    assert [m["template"] for m in export["messages_about"]] == ["match_approved_mentor"]
    (submission,) = export["submissions"]
    assert (submission["endpoint_id"], submission["delivery_id"]) == (issued.endpoint.endpoint_id, "evt_laura")
    assert ANSWER in submission["body"]


def test_after_erasure_nothing_of_laura_is_left_and_her_replays_change_nothing(
    table_world: tuple[World, Any, Path], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN Laura signed up by Typeform and was matched with Søren, whose match e-mail names her
    caplog.set_level(logging.DEBUG, logger="mentorflow")
    world, table, outbox = table_world
    coordinator, issued, programme_id = matched_laura(world)
    laura_id = laura_everywhere(world, coordinator.tenant_id, programme_id)
    (soren,) = world.storage.participants.by_email(coordinator.tenant_id, "soren@example.dk")
    soren_id = soren.participant_id
    assert traces(table_text(table)) == [EMAIL, NAME.lower(), ANSWER]
    seeded = {"form_response", "invitation", "match_run_part", "survey_request", "synced_person"}
    assert seeded | {"synced_claim", "sync_invitation"} <= set(items_naming(table, laura_id))

    # WHEN the coordinator erases her, then the messages are sent
    erased = coordinator.post(f"{V1}/people/erase", {"email": EMAIL, "confirm": True})
    run_job("send-messages", world.container)

    # THEN her pair is ended and Søren told, the erasure is recorded without her, and no trace is left
    assert erased.status_code == 200, erased.json_body
    assert erased.json_body["items"]["participants"] == 1
    assert erased.json_body["items"]["deliveries_deleted"] == 1
    (pair,) = world.storage.pairs.list(coordinator.tenant_id, programme_id)
    assert (pair.status, pair.explanation) == (PairStatus.ENDED_EARLY, None)
    assert "pair_ended" in outbox_text(outbox) or "has left" in outbox_text(outbox)
    assert traces(table_text(table)) == []
    assert traces(outbox_text(outbox)) == []
    assert items_naming(table, laura_id) == []
    assert (pair.mentor_id, pair.mentee_id) == (soren_id, privacy.ERASED_ID)
    assert world.storage.synced_people.owners(coordinator.tenant_id, "con_hr", [laura_id]) == {}
    assert world.storage.sync_invitations.get(coordinator.tenant_id, programme_id, laura_id) is None
    (fingerprint,) = world.storage.synced_people.list(coordinator.tenant_id, "con_hr")
    assert fingerprint.participants == {}
    run = world.storage.runs.get(coordinator.tenant_id, programme_id, "run_before_soren")
    assert run is not None
    assert [(e.participant_id, e.code, e.params) for e in run.unmatched] == [("erased", "no_mentors", {})]
    assert run.summary().figures.unmatched_mentees == 1

    # WHEN Typeform delivers her submission again and the coordinator tries to replay it
    again = post_typeform(world, issued, laura_signup())
    replay = coordinator.post(f"{V1}/endpoints/{issued.endpoint.endpoint_id}/deliveries/evt_laura/replay")
    run_job("retry-deliveries", world.container)
    run_job("send-messages", world.container)

    # THEN the redelivery is a no-op with a reason, nothing of hers is stored, sent or logged
    assert again.json_body["state"] == "ignored"
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, "evt_laura")
    assert stored is not None
    assert stored.body is None
    assert "erased" in (stored.last_error or "")
    assert replay.status_code in (200, 400)
    assert world.storage.participants.by_email(coordinator.tenant_id, EMAIL) == []
    assert traces(table_text(table)) == []
    assert traces(outbox_text(outbox)) == []
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert traces(logged) == []
    assert [secret for secret in (coordinator.api_key, issued.secret) if secret in logged] == []


def test_erasure_finds_laura_s_read_submissions_by_keyed_hash_and_unreadable_ones_among_the_parked(
    table_world: tuple[World, Any, Path],
) -> None:
    # GIVEN Laura's signup, read and matched, and her submission to a second form that has no mapping yet
    world, table, _outbox = table_world
    coordinator, issued, programme_id = matched_laura(world)
    unmapped = coordinator.endpoint(programme_id, "typeform")
    event = json.loads(laura_signup())
    event["event_id"] = "evt_laura_unmapped"
    parked = post_typeform(world, unmapped, json.dumps(event, ensure_ascii=False).encode())
    read = world.storage.deliveries.get(issued.endpoint.endpoint_id, "evt_laura")
    assert read is not None

    # WHEN she is erased
    erased = coordinator.post(f"{V1}/people/erase", {"email": EMAIL, "confirm": True})

    # THEN the read one carried the container's keyed hash of her address, no key held the address,
    # and both submissions are gone
    assert parked.json_body["state"] == "needs_attention"
    assert read.person == erasures.subject(world.container.erasure_key, coordinator.tenant_id, EMAIL)
    assert read.person != erasures.subject(None, coordinator.tenant_id, EMAIL)
    key_attributes = [v for item in table.scan()["Items"] for k, v in item.items() if k.startswith(("PK", "SK", "GSI"))]
    assert [k for k in key_attributes if EMAIL in str(k)] == []
    assert erased.json_body["items"]["deliveries_deleted"] == 2
    assert world.storage.deliveries.get(unmapped.endpoint.endpoint_id, "evt_laura_unmapped") is None


def test_the_erasure_log_says_who_erased_when_and_how_many_items_but_not_whom(
    table_world: tuple[World, Any, Path],
) -> None:
    # GIVEN Laura, matched, and erased through the API
    world, _table, _outbox = table_world
    coordinator, _issued, _programme_id = matched_laura(world)
    coordinator.post(f"{V1}/people/erase", {"email": EMAIL, "confirm": True})

    # WHEN the coordinator lists the erasures
    answer = coordinator.get(f"{V1}/people/erasures")

    # THEN there is one, by their key, with its counts, and nothing that names or identifies her
    assert answer.status_code == 200
    (erasure,) = answer.json_body["items"]
    (key,) = world.storage.tenants.list_keys(coordinator.tenant_id)
    assert erasure["erased_by"] == f"api key {key.key_id}"
    assert erasure["items"]["participants"] == 1
    assert traces(json.dumps(answer.json_body, ensure_ascii=False)) == []
    assert set(erasure) == {"erased_at", "erased_by", "items"}


def test_an_erasure_needs_confirmation_and_an_address(table_world: tuple[World, Any, Path]) -> None:
    # GIVEN a tenant
    world, _table, _outbox = table_world
    coordinator = world.tenant()

    # WHEN an erasure is asked without confirming, or for something that is not an address
    unconfirmed = coordinator.post(f"{V1}/people/erase", {"email": EMAIL, "confirm": False})
    not_an_address = coordinator.post(f"{V1}/people/erase", {"email": "nobody", "confirm": True})

    # THEN both are refused and nothing is recorded
    assert (unconfirmed.status_code, not_an_address.status_code) == (400, 400)
    assert world.storage.erasures.list(coordinator.tenant_id) == []
