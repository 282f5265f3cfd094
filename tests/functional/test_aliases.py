"""Alias e-mail addresses through the admin API, in meeting matching, and in erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus, MeetingStatus
from chalicelib.domain.webhook import Purpose
from chalicelib.registry import source_registry
from chalicelib.services.erasures import erased as erased_
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.services.meetings import BY_HAND, apply_meeting_event
from chalicelib.services.privacy import ERASED_ID, erase_person, export_person
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import calendly
from tests.support.events import load_event_json as event_json
from tests.support.pairs import stored_pair
from tests.support.world import START, TenantHandle, World, world_with

V1 = "/api/v1"
MENTOR = "jelena@kcb.rs"
MENTEE = "ona@kcb.lt"


@pytest.fixture
def meetings_world(storage: Storage) -> Iterator[World]:
    with world_with(storage, sources=source_registry()) as built:
        yield built


def _aliases_path(programme_id: str, participant_id: str) -> str:
    return f"{V1}/programmes/{programme_id}/participants/{participant_id}/aliases"


def _running_pair(coordinator: TenantHandle, programme_id: str, mentor: str = MENTOR, mentee: str = MENTEE) -> Any:
    return stored_pair(
        coordinator.world.storage, coordinator.tenant_id, programme_id, mentor, mentee, approved_at=START
    )


def test_an_alias_is_added_normalised_listed_and_removed_through_the_admin_api(world: World) -> None:
    # GIVEN a running pair's mentor
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _running_pair(coordinator, programme_id)
    path = _aliases_path(programme_id, pair.mentor_id)

    # WHEN the coordinator adds an alias typed with a zero-width space, capitals and blanks, twice
    first = coordinator.post(path, {"email": " Jelena.K\u200b@Gmail.Example "})
    again = coordinator.post(path, {"email": "jelena.k@gmail.example"})
    listed = coordinator.get(path)

    # THEN one alias is kept, normalised, and named in URLs by an id rather than the address
    assert (first.status_code, again.status_code) == (201, 201), first.json_body
    assert first.json_body["email"] == "jelena.k@gmail.example"
    assert first.json_body["alias_id"] == again.json_body["alias_id"]
    assert "@" not in first.json_body["alias_id"]
    assert [a["email"] for a in listed.json_body] == ["jelena.k@gmail.example"]

    # WHEN it is removed
    removed = coordinator.delete(f"{path}/{first.json_body['alias_id']}")

    # THEN it is gone, and removing it again is 404
    assert removed.status_code == 204
    assert coordinator.get(path).json_body == []
    assert coordinator.delete(f"{path}/{first.json_body['alias_id']}").status_code == 404


def test_an_address_of_another_participant_of_the_programme_is_refused_as_an_alias(world: World) -> None:
    # GIVEN two pairs, and the first mentee's alias
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    first = _running_pair(coordinator, programme_id)
    second = _running_pair(coordinator, programme_id, "marko@kcb.rs", "lina@kcb.lt")
    assert (
        coordinator.post(_aliases_path(programme_id, first.mentee_id), {"email": "ona@home.example"}).status_code == 201
    )

    # WHEN the second mentee claims that alias, the first mentee's own address, and their own address
    theirs_as_alias = coordinator.post(_aliases_path(programme_id, second.mentee_id), {"email": "ona@home.example"})
    theirs_enrolled = coordinator.post(_aliases_path(programme_id, second.mentee_id), {"email": MENTEE})
    own = coordinator.post(_aliases_path(programme_id, second.mentee_id), {"email": "Lina@kcb.lt"})

    # THEN the others' addresses are conflicts, the own one a bad request, and nothing was stored for them
    assert (theirs_as_alias.status_code, theirs_enrolled.status_code, own.status_code) == (409, 409, 400)
    assert "ona" not in json.dumps(theirs_as_alias.json_body)
    assert coordinator.get(_aliases_path(programme_id, second.mentee_id)).json_body == []


def test_aliases_of_an_unknown_participant_are_not_found(world: World) -> None:
    # GIVEN a programme without that participant
    coordinator = world.tenant()
    programme_id = coordinator.programme()

    # WHEN their aliases are read or added
    read = coordinator.get(_aliases_path(programme_id, "par_nobody"))
    added = coordinator.post(_aliases_path(programme_id, "par_nobody"), {"email": "x@example.org"})

    # THEN both answer 404
    assert (read.status_code, added.status_code) == (404, 404)


def test_a_calendly_booking_whose_host_is_a_mentors_alias_is_logged_for_the_pair(meetings_world: World) -> None:
    # GIVEN a pair whose mentor books from another address (the published example's host), added as an alias
    world = meetings_world
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _running_pair(coordinator, programme_id, MENTOR, "test@example.com")
    added = coordinator.post(_aliases_path(programme_id, pair.mentor_id), {"email": "user@example.com"})
    assert added.status_code == 201, added.json_body
    issued = coordinator.endpoint(programme_id, "calendly", Purpose.MEETINGS)

    # WHEN Calendly posts the published invitee.created
    body = json.dumps(event_json("calendly_invitee.created.json")).encode()
    request = WebhookRequest(method="POST", path="", body=body)
    timestamp = str(int(world.clock.now().timestamp()))
    signature = calendly.signing(world.clock).sign(issued.secret, request, timestamp)
    answer = world.client.http.post(
        f"/hooks/calendly/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Calendly-Webhook-Signature": signature},
        body=body,
    )

    # THEN the pair has the meeting
    assert answer.json_body["state"] == "done", answer.json_body
    (meeting,) = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    assert (meeting.source, meeting.status) == ("calendly", MeetingStatus.SCHEDULED)


def test_a_persons_export_holds_their_aliases_and_erasure_deletes_them_keeping_their_partners(world: World) -> None:
    # GIVEN a mentor and a mentee, each with an alias
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _running_pair(coordinator, programme_id)
    coordinator.post(_aliases_path(programme_id, pair.mentor_id), {"email": "jelena@home.example"})
    coordinator.post(_aliases_path(programme_id, pair.mentee_id), {"email": "ona@home.example"})

    # WHEN the mentee's data is exported
    exported = export_person(
        world.storage, tenant_id=coordinator.tenant_id, email=MENTEE, erasure_key=world.container.erasure_key
    )

    # THEN it holds their alias only
    assert [a["email"] for a in exported["aliases"]] == ["ona@home.example"]

    # WHEN the mentee is erased
    erasure = erase_person(
        world.storage,
        world.container.notifier,
        world.clock,
        tenant_id=coordinator.tenant_id,
        email=MENTEE,
        erased_by="key_coordinator",
        erasure_key=world.container.erasure_key,
    )

    # THEN only the mentor's alias is left
    assert erasure.items["aliases_deleted"] == 1
    left = world.storage.aliases.of_programme(coordinator.tenant_id, programme_id)
    assert [a.email for a in left] == ["jelena@home.example"]


def test_an_erasure_asked_by_one_of_the_person_s_aliases_finds_and_erases_them_under_every_address(
    world: World,
) -> None:
    # GIVEN a running pair whose mentee also writes from an alias
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _running_pair(coordinator, programme_id)
    coordinator.post(_aliases_path(programme_id, pair.mentee_id), {"email": "ona@home.example"})

    # WHEN the coordinator exports, then erases, the person by the alias address
    exported = coordinator.post(f"{V1}/people/export", {"email": "ONA@home.example"})
    erased = coordinator.post(f"{V1}/people/erase", {"email": "ona@home.example", "confirm": True})

    # THEN the alias led to the mentee: exported, erased, their pair released, and both addresses tombstoned
    assert exported.status_code == 200, exported.json_body
    assert [p["profile"]["email"] for p in exported.json_body["participants"]] == [MENTEE]
    assert erased.status_code == 200, erased.json_body
    assert (erased.json_body["items"]["participants"], erased.json_body["items"]["aliases_deleted"]) == (1, 1)
    assert world.storage.participants.by_email(coordinator.tenant_id, MENTEE) == []
    assert world.storage.aliases.of_programme(coordinator.tenant_id, programme_id) == []
    kept = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair.pair_id)
    assert kept is not None
    assert (kept.mentee_id, kept.status.value) == (ERASED_ID, "ended_early")
    key, tenant_id = world.container.erasure_key, coordinator.tenant_id
    tombstoned = [erased_(world.storage, key, tenant_id, a) is not None for a in (MENTEE, "ona@home.example")]
    assert tombstoned == [True, True]


def test_a_group_event_counts_for_a_pair_met_by_addresses_and_for_one_whose_mentee_came_by_alias(
    world: World,
) -> None:
    # GIVEN two pairs; the second mentee books from an alias
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    first = _running_pair(coordinator, programme_id)
    second = _running_pair(coordinator, programme_id, "marko@kcb.rs", "lina@kcb.lt")
    coordinator.post(_aliases_path(programme_id, second.mentee_id), {"email": "lina@home.example"})

    # WHEN one event names both mentors, the first mentee and the second mentee's alias
    event = MeetingEvent(
        source=BY_HAND,
        external_id="group-1",
        status=MeetingEventStatus.BOOKED,
        start=START + timedelta(days=3),
        end=START + timedelta(days=3, hours=1),
        organiser_email=MENTOR,
        attendee_emails=[MENTEE, "marko@kcb.rs", "Lina@Home.example"],
    )
    outcome = apply_meeting_event(
        storage=world.storage,
        notifier=world.container.notifier,
        clock=world.clock,
        tenant_id=coordinator.tenant_id,
        programme_id=programme_id,
        event=event,
    )

    # THEN it counts for both pairs
    assert sorted(outcome.pair_ids) == sorted([first.pair_id, second.pair_id])
    assert len(world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, second.pair_id)) == 1
