"""Admin API for connected calendars: their state, an organisation grant connected and watched, revocation."""

from __future__ import annotations

import json

import boto3

from chalicelib.domain.calendars import ConnectionState, Provider
from chalicelib.domain.webhook import Purpose
from tests.functional.calendar_scene import calendar_scene


def test_connected_calendars_show_their_watch_sync_and_last_error_and_never_a_token() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN a watched calendar that synced once, then failed to renew
        scene.renew()
        scene.vendors.google.watch_failures = 1
        connection = scene.connection
        connection.renew_at = scene.world.clock.now()
        scene.world.storage.calendars.save(connection)
        scene.renew()

        # WHEN a coordinator lists the tenant's calendars
        response = scene.tenant.get("/api/v1/calendars")

        # THEN the calendar shows its state, expiry and error, and nothing secret
        assert response.status_code == 200
        [item] = json.loads(response.body)["items"]
        assert item["state"] == "failing"
        assert item["watch_expires_at"] == "2026-09-08T09:00:00Z"
        assert item["last_error"] == "renewal failed: calendar vendor answered 503 (backendError)"
        assert item["renew_failures"] == 1
        text = response.body.decode()
        assert "token" not in text
        assert "ciphertext" not in text


def test_an_organisation_grant_is_connected_watched_by_the_next_renewal_and_revoked() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN an Entra app grant kept in Secrets Manager and a meetings endpoint for Graph
        grant = {"client_id": "app-id", "client_secret": "app-secret", "tenant": "84bd8158-6d4d-4958-8b9f-9d6445542f95"}
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        arn = secrets.create_secret(Name="mentorflow/entra-grant", SecretString=json.dumps(grant))["ARN"]
        issued = scene.tenant.endpoint(scene.programme_id, "msgraph", Purpose.MEETINGS)

        # WHEN a coordinator connects a mailbox under it, the renewal job runs, then the coordinator revokes it
        created = scene.tenant.post(
            "/api/v1/calendars",
            {
                "endpoint_id": issued.endpoint.endpoint_id,
                "provider": "microsoft",
                "calendar_id": "mentoring.room@example.org",
                "credentials_ref": arn,
            },
        )
        connection_id = json.loads(created.body)["connection_id"]
        scene.renew()
        watched = json.loads(scene.tenant.get("/api/v1/calendars").body)["items"]
        subscribed = [s for s in scene.vendors.graph.subscriptions.values() if "mentoring.room" in s["resource"]]
        revoked = scene.tenant.post(f"/api/v1/calendars/{connection_id}/revoke")

        # THEN it was created, subscribed with an app-only token, and revoked
        assert created.status_code == 201, created.body
        mailbox = next(c for c in watched if c["connection_id"] == connection_id)
        assert mailbox["grant"] == "organisation"
        assert mailbox["watch_expires_at"] is not None
        [subscription] = subscribed
        assert subscription["clientState"] == issued.secret
        assert json.loads(revoked.body)["state"] == "revoked"
        assert not [s for s in scene.vendors.graph.subscriptions.values() if "mentoring.room" in s["resource"]]


def test_a_calendar_of_another_tenant_answers_404() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        other = scene.world.tenant("Drugi centar")
        response = other.post(f"/api/v1/calendars/{scene.connection_id}/revoke")
        assert response.status_code == 404


def test_revoking_a_google_calendar_stops_its_channel_at_google() -> None:
    with calendar_scene(Provider.GOOGLE) as scene:
        # GIVEN the connection's channel is open
        scene.renew()
        channel = scene.connection.watch_id

        # WHEN a coordinator revokes the connection
        revoked = scene.tenant.post(f"/api/v1/calendars/{scene.connection_id}/revoke")

        # THEN Google was asked to stop that channel, and the connection is revoked without tokens
        assert revoked.status_code == 200, revoked.body
        assert scene.vendors.google.stopped == [channel]
        connection = scene.connection
        assert (connection.state, connection.last_error) == (ConnectionState.REVOKED, "revoked by a coordinator")
        assert (connection.access_token, connection.refresh_token) == (None, None)


def test_revoking_a_microsoft_calendar_deletes_its_graph_subscription() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN the connection's subscription exists at Graph
        scene.renew()
        assert list(scene.vendors.graph.subscriptions) == [scene.connection.watch_id]

        # WHEN a coordinator revokes the connection
        scene.tenant.post(f"/api/v1/calendars/{scene.connection_id}/revoke")

        # THEN Graph no longer holds it
        assert scene.vendors.graph.subscriptions == {}
        assert scene.connection.state is ConnectionState.REVOKED


def test_a_subscription_graph_will_not_delete_is_noted_and_the_revocation_still_completes() -> None:
    with calendar_scene(Provider.MICROSOFT) as scene:
        # GIVEN a subscription, and Graph failing to delete it
        scene.renew()
        scene.vendors.graph.delete_failures = 1

        # WHEN a coordinator revokes the connection
        revoked = scene.tenant.post(f"/api/v1/calendars/{scene.connection_id}/revoke")

        # THEN the connection is revoked and says the watch lapses by itself
        assert revoked.status_code == 200, revoked.body
        connection = scene.connection
        assert connection.state is ConnectionState.REVOKED
        assert connection.refresh_token is None
        assert connection.last_error == (
            "revoked by a coordinator; the vendor's watch was not stopped "
            "(calendar vendor answered 503 (serviceNotAvailable)) and lapses by itself"
        )
        assert len(scene.vendors.graph.subscriptions) == 1
