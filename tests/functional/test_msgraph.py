"""Microsoft Graph through the real route: the validation handshake, clientState, events fetched, lifecycle notices."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider
from chalicelib.domain.meetings import MeetingStatus
from chalicelib.webhooks.sources.msgraph import ClientStateVerifier
from tests.functional.calendar_scene import MENTEE, MENTOR, REFRESH_TOKEN, STRANGER, CalendarScene, calendar_scene
from tests.support.calendars import at, graph_event
from tests.support.events import load_event

JSON = {"Content-Type": "application/json"}


def published(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(load_event(name).decode())
    return data


def change(scene: CalendarScene, event_id: str, change_type: str = "updated") -> bytes:
    """The published change notification, for our subscription and an event of the connected calendar."""
    return change_in(scene, scene.connection.watch_id or "", MENTOR, event_id, change_type)


def change_in(scene: CalendarScene, subscription_id: str, mailbox: str, event_id: str, change_type: str) -> bytes:
    """The published change notification, through one subscription, for an event of its mailbox."""
    [item] = published("msgraph_change_notification_created.json")["value"]
    item.update(
        subscriptionId=subscription_id,
        changeType=change_type,
        resource=f"Users/{mailbox}/Events/{event_id}",
        resourceData={**item["resourceData"], "@odata.type": "#Microsoft.Graph.Event", "id": event_id},
    )
    return ClientStateVerifier.sign(scene.secret, [item])


@pytest.mark.parametrize(
    "token",
    [
        "Validation: Testing client application reachability for subscription Request-Id: 8b1e3a5c",
        "a+b/c=d&e<f>\"g'h;ü Đ 漢",
        "%3Cscript%3E",
    ],
)
def test_the_validation_request_is_answered_with_its_token_as_plain_text(token: str) -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # WHEN Graph validates the URL with a token holding odd characters (URL-encoded, as Graph sends it)
        response = scene.post(
            "msgraph",
            headers={"Content-Type": "text/plain; charset=utf-8"},
            query=f"validationToken={quote(token, safe='')}",
        )

        # THEN the decoded token comes back verbatim as text/plain, and nothing is stored
        assert response.status_code == 200
        assert response.body.decode("utf-8") == token
        assert response.headers["Content-Type"].startswith("text/plain")
        assert scene.world.storage.deliveries.for_endpoint(scene.endpoint_id) == []


def test_a_validation_token_with_control_characters_is_not_echoed() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        response = scene.post(
            "msgraph", headers={"Content-Type": "text/plain"}, query="validationToken=a%0D%0ASet-Cookie"
        )
        assert response.status_code == 400


def test_a_changed_event_is_fetched_and_logged_for_the_pair_and_a_strangers_is_not() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a subscription and two events in the mailbox
        assert scene.renew()["renewed"] == 1
        graph = scene.vendors.graph
        graph.events["AAMk-1"] = graph_event(
            "AAMk-1", "2026-09-03T08:00:00.0000000", "2026-09-03T09:00:00.0000000", MENTOR, MENTEE
        )
        graph.events["AAMk-2"] = graph_event(
            "AAMk-2", "2026-09-03T10:00:00.0000000", "2026-09-03T11:00:00.0000000", MENTOR, STRANGER
        )

        # WHEN Graph notifies both changes
        first = scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-1", "created"))
        second = scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-2", "created"))

        # THEN only the pair's meeting is in the log
        assert (first.status_code, second.status_code) == (200, 200)
        [meeting] = scene.meetings()
        assert (meeting.external_id, meeting.starts_at) == ("AAMk-1", at("2026-09-03T08:00:00+00:00"))
        assert scene.world.storage.meetings.by_external_id(scene.tenant.tenant_id, "msgraph", "AAMk-2") is None


def test_a_wrong_client_state_is_refused() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        scene.renew()
        body = published("msgraph_change_notification_created.json")
        response = scene.post("msgraph", headers=JSON, body=json.dumps(body).encode())
        assert response.status_code == 401


def test_a_deleted_event_cancels_its_meeting() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a logged meeting
        scene.renew()
        graph = scene.vendors.graph
        graph.events["AAMk-1"] = graph_event(
            "AAMk-1", "2026-09-03T08:00:00.0000000", "2026-09-03T09:00:00.0000000", MENTOR, MENTEE
        )
        scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-1", "created"))

        # WHEN it is deleted in Outlook
        del graph.events["AAMk-1"]
        scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-1", "deleted"))

        # THEN the meeting is cancelled
        [meeting] = scene.meetings()
        assert meeting.status is MeetingStatus.CANCELLED


def test_a_series_is_expanded_into_occurrences_each_counted_once() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a weekly series with three occurrences
        scene.renew()
        graph = scene.vendors.graph
        graph.events["series"] = graph_event(
            "series", "2026-09-03T08:00:00.0000000", "2026-09-03T09:00:00.0000000", MENTOR, MENTEE, type="seriesMaster"
        )
        for n in range(3):
            day = 3 + 7 * n
            graph.events[f"occ{n}"] = graph_event(
                f"occ{n}",
                f"2026-09-{day:02d}T08:00:00.0000000",
                f"2026-09-{day:02d}T09:00:00.0000000",
                MENTOR,
                MENTEE,
                type="occurrence",
                seriesMasterId="series",
            )

        # WHEN the series changes, twice
        scene.post("msgraph", headers=JSON, body=change(scene, "series"))
        scene.post("msgraph", headers=JSON, body=change(scene, "series") + b" ")

        # THEN each occurrence is one meeting
        assert sorted(m.external_id for m in scene.meetings()) == ["occ0", "occ1", "occ2"]


def test_lifecycle_notices_reauthorise_recreate_and_catch_up() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a subscription and a meeting Graph never notified
        scene.renew()
        subscription = scene.connection.watch_id
        graph = scene.vendors.graph
        graph.events["AAMk-9"] = graph_event(
            "AAMk-9", "2026-09-08T08:00:00.0000000", "2026-09-08T09:00:00.0000000", MENTEE, MENTOR
        )
        [template] = published("msgraph_lifecycle_reauthorizationRequired.json")["value"]

        def lifecycle(kind: str) -> bytes:
            return ClientStateVerifier.sign(
                scene.secret, [{**template, "subscriptionId": subscription, "lifecycleEvent": kind}]
            )

        # WHEN Graph asks for reauthorisation, says notifications were missed, then removes the subscription
        scene.post("msgraph", headers=JSON, body=lifecycle("reauthorizationRequired"))
        scene.post("msgraph", headers=JSON, body=lifecycle("missed"))
        scene.post("msgraph", headers=JSON, body=lifecycle("subscriptionRemoved"))
        del graph.subscriptions[subscription or ""]
        scene.renew()

        # THEN it was reauthorised, the missed meeting caught up, and a new subscription made at once
        assert graph.reauthorized == [subscription]
        assert [m.external_id for m in scene.meetings()] == ["AAMk-9"]
        assert scene.connection.watch_id in graph.subscriptions
        assert scene.connection.watch_id != subscription


def _connect_mentee_mailbox(scene: CalendarScene) -> str:
    """The mentee's own Outlook mailbox, connected beside the mentor's; its subscription id."""
    mentor_connection = scene.connection
    connection = CalendarConnection(
        tenant_id=mentor_connection.tenant_id,
        programme_id=mentor_connection.programme_id,
        endpoint_id=mentor_connection.endpoint_id,
        provider=Provider.MICROSOFT,
        grant=Grant.PERSONAL,
        calendar_id=MENTEE,
        state=ConnectionState.ACTIVE,
        renew_at=scene.world.clock.now(),
        created_at=scene.world.clock.now(),
        updated_at=scene.world.clock.now(),
    )
    connection.refresh_token = scene.vendors.apis.vault.seal(
        REFRESH_TOKEN, tenant_id=connection.tenant_id, connection_id=connection.connection_id
    )
    scene.world.storage.calendars.save(connection)
    scene.renew()
    renewed = scene.world.storage.calendars.get(connection.tenant_id, connection.connection_id)
    assert renewed is not None
    assert renewed.watch_id is not None
    return renewed.watch_id


def test_one_meeting_in_both_connected_mailboxes_of_a_pair_is_logged_once() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN the mentor's and the mentee's mailboxes connected, each holding its own copy of one meeting
        scene.renew()
        mentee_subscription = _connect_mentee_mailbox(scene)
        uid = "040000008200E00074C5B7101A82E00800000000D0C3D1A8B6F4DB010000000000000000100000009A6F"
        graph = scene.vendors.graph
        start, end = "2026-09-03T08:00:00.0000000", "2026-09-03T09:00:00.0000000"
        graph.events["AAMk-mentor"] = graph_event("AAMk-mentor", start, end, MENTOR, MENTEE, iCalUId=uid)
        graph.events["AAMk-mentee"] = graph_event("AAMk-mentee", start, end, MENTOR, MENTEE, iCalUId=uid)

        # WHEN each mailbox's subscription notifies its copy, the mentee's twice
        scene.post(
            "msgraph",
            headers=JSON,
            body=change_in(scene, scene.connection.watch_id or "", MENTOR, "AAMk-mentor", "created"),
        )
        for _ in range(2):
            scene.post(
                "msgraph", headers=JSON, body=change_in(scene, mentee_subscription, MENTEE, "AAMk-mentee", "created")
            )

        # THEN the pair has one meeting, known by the shared UID
        [meeting] = scene.meetings()
        assert (meeting.external_id, meeting.status) == (uid, MeetingStatus.SCHEDULED)
        assert scene.pair().next_booked_at == at("2026-09-03T08:00:00+00:00")


def test_deleting_one_mailboxs_copy_cancels_the_meeting_both_share() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a meeting logged from the mentor's mailbox under its UID
        scene.renew()
        uid = "040000008200E00074C5B7101A82E00800000000AAAA"
        graph = scene.vendors.graph
        graph.events["AAMk-mentor"] = graph_event(
            "AAMk-mentor", "2026-09-03T08:00:00.0000000", "2026-09-03T09:00:00.0000000", MENTOR, MENTEE, iCalUId=uid
        )
        scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-mentor", "created"))

        # WHEN the mentor deletes it in Outlook (the notice names only the mailbox's id)
        del graph.events["AAMk-mentor"]
        scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-mentor", "deleted"))

        # THEN the meeting is cancelled
        [meeting] = scene.meetings()
        assert (meeting.external_id, meeting.status) == (uid, MeetingStatus.CANCELLED)


def test_a_strangers_event_leaves_no_mailbox_id_behind() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a stranger's meeting in the mentor's mailbox
        scene.renew()
        scene.vendors.graph.events["AAMk-s"] = graph_event(
            "AAMk-s", "2026-09-03T10:00:00.0000000", "2026-09-03T11:00:00.0000000", MENTOR, STRANGER, iCalUId="uid-s"
        )

        # WHEN Graph notifies it
        scene.post("msgraph", headers=JSON, body=change(scene, "AAMk-s", "created"))

        # THEN neither a meeting nor the mailbox's id of it is stored
        assert scene.meetings() == []
        assert scene.world.storage.mailbox_events.get(scene.tenant.tenant_id, "AAMk-s") is None
