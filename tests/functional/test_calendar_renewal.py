"""The renew-calendar-watches job on a controllable clock: channels and subscriptions renewed before they lapse."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.calendars import ConnectionState, Provider
from chalicelib.jobs import JOBS
from chalicelib.schedules import Rate
from tests.functional.calendar_scene import calendar_scene


def test_the_renewal_job_runs_every_quarter_hour() -> None:
    assert JOBS["renew-calendar-watches"].schedule == Rate(minutes=15)


def test_a_google_channel_is_replaced_a_day_before_it_lapses_and_not_before() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a channel opened now, for a week
        scene.renew()
        first = scene.connection
        assert first.watch_expires_at == scene.world.clock.now() + timedelta(days=7)

        # WHEN the job runs on day five, then on day six
        scene.world.clock.advance(timedelta(days=5))
        early = scene.renew()
        scene.world.clock.advance(timedelta(days=1))
        due = scene.renew()

        # THEN nothing is done early; on day six a new channel replaces the old, which is stopped
        assert early == {"renewed": 0, "failed": 0, "revoked": 0}
        assert due == {"renewed": 1, "failed": 0, "revoked": 0}
        renewed = scene.connection
        assert renewed.watch_id != first.watch_id
        assert renewed.watch_expires_at == scene.world.clock.now() + timedelta(days=7)
        assert scene.vendors.google.stopped == [first.watch_id]
        assert scene.vendors.google.channels[renewed.watch_id or ""]["token"] == scene.secret


def test_a_failed_renewal_is_retried_with_back_off_and_then_succeeds() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a channel due for renewal while Google answers 503 twice
        scene.renew()
        scene.world.clock.advance(timedelta(days=6))
        scene.vendors.google.watch_failures = 2

        # WHEN the job runs now, again too early, after 15 minutes, then after 30 more
        failed = scene.renew()
        too_early = scene.renew()
        scene.world.clock.advance(timedelta(minutes=15))
        failed_again = scene.renew()
        after_first = scene.connection
        scene.world.clock.advance(timedelta(minutes=30))
        recovered = scene.renew()

        # THEN the failures are recorded and retried after 15 then 30 minutes, and the connection recovers
        assert (failed["failed"], too_early["failed"], failed_again["failed"], recovered["renewed"]) == (1, 0, 1, 1)
        assert after_first.state is ConnectionState.FAILING
        assert after_first.last_error == "renewal failed: calendar vendor answered 503 (backendError)"
        assert after_first.renew_at == scene.world.clock.now()
        connection = scene.connection
        assert connection.state is ConnectionState.ACTIVE
        assert connection.renew_failures == 0
        assert connection.watch_expires_at == scene.world.clock.now() + timedelta(days=7)


def test_a_graph_subscription_is_extended_in_place() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a subscription made now
        scene.renew()
        first = scene.connection
        assert first.watch_expires_at == scene.world.clock.now() + timedelta(minutes=4230)

        # WHEN the job runs two days later
        scene.world.clock.advance(timedelta(days=2))
        assert scene.renew()["renewed"] == 1

        # THEN the same subscription lasts longer
        renewed = scene.connection
        assert renewed.watch_id == first.watch_id
        assert renewed.watch_expires_at == scene.world.clock.now() + timedelta(minutes=4230)


def test_a_renewal_refused_for_a_revoked_grant_revokes_the_connection() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a subscription whose owner withdrew consent
        scene.renew()
        scene.vendors.graph.oauth.refresh_tokens.clear()
        scene.world.clock.advance(timedelta(days=2))

        # WHEN the job runs
        counts = scene.renew()

        # THEN the connection is revoked and leaves the renewal index
        assert counts["revoked"] == 1
        assert scene.connection.state is ConnectionState.REVOKED
        scene.world.clock.advance(timedelta(days=5))
        assert scene.world.storage.calendars.due_for_renewal(scene.world.clock.now()) == []
