"""A person connects their own calendar: the mailed consent link, the provider's redirect, a signed single-use state."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from chalicelib.domain.calendars import ConnectionState, Grant, Provider
from chalicelib.domain.participant import participant_id_for
from chalicelib.services.privacy import erase_person
from tests.functional.calendar_scene import MENTEE, MENTOR, CalendarScene, calendar_scene

AUTH_CODE = "4/0AVG7fiQ-consent-code"


def connect_link(scene: CalendarScene) -> tuple[str, dict[str, str]]:
    """Ask for a connect link for the mentee; the connection's id and the query of the consent URL mailed."""
    mentee = participant_id_for(scene.tenant.tenant_id, scene.programme_id, MENTEE)
    response = scene.tenant.post(
        "/api/v1/calendars/connect-links", {"endpoint_id": scene.endpoint_id, "participant_id": mentee}
    )
    assert response.status_code == 201, response.body
    [message] = scene.world.storage.messages.for_participant(scene.tenant.tenant_id, mentee)
    url = next(word for word in message.body_text.split() if word.startswith("https://"))
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    return json.loads(response.body)["connection_id"], query | {"_url": url}


def test_a_person_connects_their_google_calendar_through_the_mailed_link_once() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a connect link mailed to the mentee
        connection_id, consent = connect_link(scene)
        pending = scene.world.storage.calendars.get(scene.tenant.tenant_id, connection_id)
        assert pending is not None
        assert (pending.state, pending.grant, pending.calendar_id) == (ConnectionState.PENDING, Grant.PERSONAL, MENTEE)
        assert consent["_url"].startswith("https://accounts.google.com/o/oauth2/v2/auth?")
        assert consent["scope"] == "https://www.googleapis.com/auth/calendar.readonly"
        assert (consent["access_type"], consent["login_hint"]) == ("offline", MENTEE)
        assert consent["redirect_uri"] == "https://mentorflow.example.org/connect/google/callback"

        # WHEN they consent and Google sends them back, twice (a reload)
        scene.vendors.google.oauth.codes.add(AUTH_CODE)
        back = f"/connect/google/callback?state={consent['state']}&code={AUTH_CODE}&scope=calendar.readonly"
        first = scene.world.client.http.get(back)
        reload = scene.world.client.http.get(back)
        scene.renew()

        # THEN the calendar is connected with sealed tokens and watched; the reload changes nothing
        assert first.status_code == 200
        assert "Vaš kalendar je povezan" in first.body.decode()
        assert reload.status_code == 409
        connected = scene.world.storage.calendars.get(scene.tenant.tenant_id, connection_id)
        assert connected is not None
        assert connected.state is ConnectionState.ACTIVE
        assert connected.refresh_token is not None
        assert "1//" not in connected.model_dump_json()
        assert connected.watch_id in scene.vendors.google.channels


def test_a_forged_state_or_a_refused_consent_connects_nothing() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a connect link for Outlook
        connection_id, consent = connect_link(scene)
        assert consent["_url"].startswith("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?")
        scene.vendors.graph.oauth.codes.add(AUTH_CODE)

        # WHEN someone forges a state, and the person refuses consent
        forged = scene.world.client.http.get(f"/connect/microsoft/callback?state=forged.state&code={AUTH_CODE}")
        refused = scene.world.client.http.get(
            f"/connect/microsoft/callback?error=access_denied&state={consent['state']}"
        )

        # THEN nothing is connected and the code was never exchanged
        assert (forged.status_code, refused.status_code) == (403, 400)
        pending = scene.world.storage.calendars.get(scene.tenant.tenant_id, connection_id)
        assert pending is not None
        assert pending.state is ConnectionState.PENDING
        assert AUTH_CODE in scene.vendors.graph.oauth.codes


def test_erasing_a_person_deletes_the_calendar_connections_they_consented_to() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN the mentee connected their calendar (and the mentor's is connected too)
        connection_id, consent = connect_link(scene)
        scene.vendors.google.oauth.codes.add(AUTH_CODE)
        scene.world.client.http.get(f"/connect/google/callback?state={consent['state']}&code={AUTH_CODE}")

        # WHEN the mentee is erased
        erasure = erase_person(
            scene.world.storage,
            scene.world.container.notifier,
            scene.world.clock,
            tenant_id=scene.tenant.tenant_id,
            email=MENTEE,
            erased_by="key_coordinator",
            erasure_key=scene.world.container.erasure_key,
        )

        # THEN their connection is gone and the mentor's stays
        assert erasure.items["calendars_deleted"] == 1
        assert scene.world.storage.calendars.get(scene.tenant.tenant_id, connection_id) is None
        assert [c.connection_id for c in scene.world.storage.calendars.list(scene.tenant.tenant_id)] == [
            scene.connection_id
        ]


def test_erasing_a_person_stops_their_calendar_s_google_channel_before_deleting_the_connection() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN the mentor's calendar is connected and its channel open at Google
        scene.renew()
        channel = scene.connection.watch_id
        assert channel is not None

        # WHEN the coordinator erases the mentor
        erased = scene.tenant.post("/api/v1/people/erase", {"email": MENTOR, "confirm": True})

        # THEN Google was asked to stop that channel, and the connection is gone
        assert erased.status_code == 200, erased.body
        assert scene.vendors.google.stopped == [channel]
        items = json.loads(erased.body)["items"]
        assert (items["calendars_deleted"], items["calendar_watches_not_stopped"]) == (1, 0)
        assert scene.world.storage.calendars.list(scene.tenant.tenant_id) == []


def test_a_graph_subscription_that_will_not_stop_is_noted_and_the_erasure_still_completes() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN the mentor's calendar subscription at Graph, and Graph failing to delete it
        scene.renew()
        scene.vendors.graph.delete_failures = 1

        # WHEN the coordinator erases the mentor
        erased = scene.tenant.post("/api/v1/people/erase", {"email": MENTOR, "confirm": True})

        # THEN the erasure completes and counts the watch left to lapse by itself
        assert erased.status_code == 200, erased.body
        items = json.loads(erased.body)["items"]
        assert (items["participants"], items["calendars_deleted"], items["calendar_watches_not_stopped"]) == (1, 1, 1)
        assert scene.world.storage.calendars.list(scene.tenant.tenant_id) == []
        assert scene.world.storage.participants.by_email(scene.tenant.tenant_id, MENTOR) == []
        assert len(scene.vendors.graph.subscriptions) == 1
