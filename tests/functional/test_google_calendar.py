"""Google Calendar through the real route: pings verified by channel token, changes pulled with the sync token."""

from __future__ import annotations

import json
from datetime import timedelta

from chalicelib.domain.calendars import ConnectionState, Provider
from chalicelib.domain.meetings import MeetingStatus
from tests.functional.calendar_scene import MENTEE, MENTOR, STRANGER, CalendarScene, calendar_scene
from tests.support.calendars import at, google_event
from tests.support.events import load_event


def published_headers(name: str) -> dict[str, str]:
    """The headers of a push as Google's guide publishes it."""
    lines = load_event(name).decode().splitlines()[1:]
    return {k.strip(): v.split(" //")[0].strip() for k, _, v in (line.partition(":") for line in lines if ":" in line)}


def ping(scene: CalendarScene, number: int, *, token: str | None = None, channel: str | None = None) -> dict[str, str]:
    headers = published_headers("googlecalendar_push_exists.http")
    headers["X-Goog-Channel-ID"] = channel or scene.connection.watch_id or ""
    headers["X-Goog-Channel-Token"] = token or scene.secret
    headers["X-Goog-Message-Number"] = str(number)
    return headers


def test_a_ping_pulls_the_pairs_meeting_into_its_log_and_keeps_nothing_of_strangers() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a watched calendar holding the pair's meeting and a stranger's
        assert scene.renew() == {"renewed": 1, "failed": 0, "revoked": 0}
        google = scene.vendors.google
        google.put(
            MENTOR, google_event("mtg1", "2026-09-03T10:00:00+02:00", "2026-09-03T11:00:00+02:00", MENTOR, MENTEE)
        )
        google.put(
            MENTOR, google_event("other", "2026-09-03T12:00:00+02:00", "2026-09-03T13:00:00+02:00", MENTOR, STRANGER)
        )

        # WHEN Google pings the channel
        response = scene.post("google-calendar", headers=ping(scene, 2))

        # THEN the pair's meeting is in its log, in UTC, and only that one
        assert response.status_code == 200, response.body
        [meeting] = scene.meetings()
        assert (meeting.external_id, meeting.starts_at, meeting.status) == (
            "mtg1",
            at("2026-09-03T08:00:00+00:00"),
            MeetingStatus.SCHEDULED,
        )
        assert scene.world.storage.meetings.by_external_id(scene.tenant.tenant_id, "google-calendar", "other") is None
        assert scene.connection.sync_token == "sync-2"
        assert scene.connection.last_sync_at == scene.world.clock.now()


def test_the_published_sync_ping_starts_the_first_sync() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a new channel and the guide's "sync" message, with our channel and token
        scene.renew()
        scene.vendors.google.put(
            MENTOR, google_event("mtg1", "2026-09-03T10:00:00Z", "2026-09-03T11:00:00Z", MENTEE, MENTOR)
        )
        headers = published_headers("googlecalendar_push_sync.http")
        headers.update({"X-Goog-Channel-ID": scene.connection.watch_id or "", "X-Goog-Channel-Token": scene.secret})

        # WHEN it arrives
        response = scene.post("google-calendar", headers=headers)

        # THEN the calendar is read once
        assert response.status_code == 200
        assert len(scene.meetings()) == 1


def test_a_wrong_channel_token_is_refused_before_anything_is_stored() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        scene.renew()
        # WHEN a ping carries another token
        response = scene.post("google-calendar", headers=ping(scene, 2, token="398348u3tu83ut8uu38"))
        # THEN it is refused and nothing is stored
        assert response.status_code == 401
        assert scene.world.storage.deliveries.for_endpoint(scene.endpoint_id) == []


def test_a_ping_from_an_unknown_or_replaced_channel_is_ignored() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a channel that was replaced by a renewal
        scene.renew()
        old_channel = scene.connection.watch_id
        scene.world.clock.advance(timedelta(days=6, hours=1))
        scene.renew()
        scene.vendors.google.put(
            MENTOR, google_event("mtg1", "2026-09-10T10:00:00Z", "2026-09-10T11:00:00Z", MENTOR, MENTEE)
        )

        # WHEN the old channel and an unknown one ping
        old = scene.post("google-calendar", headers=ping(scene, 5, channel=old_channel))
        unknown = scene.post("google-calendar", headers=ping(scene, 1, channel="4ba78bf0-6a47-11e2-bcfd-0800200c9a66"))

        # THEN both are ignored and nothing is read; the old channel was stopped
        assert json.loads(old.body)["state"] == "ignored"
        assert json.loads(unknown.body)["state"] == "ignored"
        assert scene.meetings() == []
        assert old_channel in scene.vendors.google.stopped


def test_a_410_gone_starts_a_full_sync() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a first sync, then Google forgets the sync token
        scene.renew()
        google = scene.vendors.google
        google.put(MENTOR, google_event("mtg1", "2026-09-03T10:00:00Z", "2026-09-03T11:00:00Z", MENTOR, MENTEE))
        scene.post("google-calendar", headers=ping(scene, 2))
        google.gone.add(scene.connection.sync_token or "")
        google.put(MENTOR, google_event("mtg2", "2026-09-17T10:00:00Z", "2026-09-17T11:00:00Z", MENTOR, MENTEE))

        # WHEN the next ping comes
        response = scene.post("google-calendar", headers=ping(scene, 3))

        # THEN everything is read again, each meeting still once
        assert response.status_code == 200
        assert sorted(m.external_id for m in scene.meetings()) == ["mtg1", "mtg2"]
        assert scene.connection.sync_token == "sync-2"


def test_a_cancellation_told_bare_cancels_the_meeting_it_names() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a booked meeting
        scene.renew()
        google = scene.vendors.google
        google.put(MENTOR, google_event("mtg1", "2026-09-03T10:00:00Z", "2026-09-03T11:00:00Z", MENTOR, MENTEE))
        scene.post("google-calendar", headers=ping(scene, 2))

        # WHEN it is deleted: Google lists only its id and status
        google.put(MENTOR, {"kind": "calendar#event", "id": "mtg1", "status": "cancelled"})
        scene.post("google-calendar", headers=ping(scene, 3))

        # THEN the meeting is cancelled
        [meeting] = scene.meetings()
        assert meeting.status is MeetingStatus.CANCELLED


def test_each_occurrence_of_a_recurring_meeting_counts_once_and_all_day_and_far_zones_are_read() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a weekly series (listed per occurrence), an all-day event and one booked from Auckland
        scene.renew()
        google = scene.vendors.google
        for week in range(3):
            day = 3 + 7 * week
            google.put(
                MENTOR,
                google_event(
                    f"series1_202609{day:02d}T080000Z",
                    f"2026-09-{day:02d}T10:00:00+02:00",
                    f"2026-09-{day:02d}T11:00:00+02:00",
                    MENTOR,
                    MENTEE,
                    recurringEventId="series1",
                    originalStartTime={"dateTime": f"2026-09-{day:02d}T10:00:00+02:00"},
                ),
            )
        all_day = google_event("day1", "x", "x", MENTOR, MENTEE)
        all_day.update(start={"date": "2026-10-01"}, end={"date": "2026-10-02"})
        google.put(MENTOR, all_day)
        google.put(MENTOR, google_event("nz", "2026-10-05T07:30:00+13:00", "2026-10-05T08:30:00+13:00", MENTEE, MENTOR))

        # WHEN the calendar pings twice (the second time with nothing new)
        scene.post("google-calendar", headers=ping(scene, 2))
        scene.post("google-calendar", headers=ping(scene, 3))

        # THEN every occurrence is one meeting, the all-day one on its day, the far one in UTC
        meetings = {m.external_id: m for m in scene.meetings()}
        assert len(meetings) == 5
        assert meetings["day1"].starts_at == at("2026-10-01T00:00:00+00:00")
        assert meetings["nz"].starts_at == at("2026-10-04T18:30:00+00:00")


def test_an_event_with_hundreds_of_attendees_is_read_and_counts_for_the_pair() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a kick-off with 600 guests, the pair among them, across pages
        scene.renew()
        google = scene.vendors.google
        google.page_size = 2
        crowd = [f"guest{i}@example.org" for i in range(600)]
        google.put(
            MENTOR,
            google_event(
                "kickoff", "2026-09-03T16:00:00Z", "2026-09-03T18:00:00Z", "hr@example.org", *crowd, MENTOR, MENTEE
            ),
        )
        google.put(MENTOR, google_event("mtg1", "2026-09-04T16:00:00Z", "2026-09-04T17:00:00Z", MENTOR, MENTEE))
        google.put(MENTOR, google_event("mtg2", "2026-09-05T16:00:00Z", "2026-09-05T17:00:00Z", MENTOR, MENTEE))

        # WHEN the calendar pings
        response = scene.post("google-calendar", headers=ping(scene, 2))

        # THEN all three are in the pair's log
        assert response.status_code == 200
        assert sorted(m.external_id for m in scene.meetings()) == ["kickoff", "mtg1", "mtg2"]


def test_a_revoked_consent_revokes_the_connection_and_forgets_its_tokens() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a watched calendar whose owner then withdraws consent
        scene.renew()
        scene.vendors.google.oauth.refresh_tokens.clear()
        scene.vendors.google.oauth.issued.clear()
        connection = scene.connection
        connection.token_expires_at = scene.world.clock.now()
        scene.world.storage.calendars.save(connection)

        # WHEN Google pings
        response = scene.post("google-calendar", headers=ping(scene, 2))

        # THEN the connection is revoked, holds no token, and its channel no longer finds it
        assert response.status_code == 200
        revoked = scene.connection
        assert revoked.state is ConnectionState.REVOKED
        assert (revoked.access_token, revoked.refresh_token, revoked.sync_token) == (None, None, None)
        assert revoked.expires_at is not None
        assert scene.world.storage.calendars.by_watch("google", revoked.watch_id or "") is None
