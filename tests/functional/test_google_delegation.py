"""Google Workspace domain-wide delegation: the service account's signed assertion opens and reads a user's calendar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain.calendars import ConnectionState, Grant, Provider
from tests.functional.calendar_scene import MENTOR, CalendarScene, calendar_scene

SERVICE_ACCOUNT = "mentorflow-calendars@acme-workspace.iam.gserviceaccount.com"


def _key_file(private_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The JSON key file Google issues for a service account (the fields it publishes)."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "acme-workspace",
        "private_key_id": "4f2c1e0b9a8d7c6b5a4f3e2d1c0b9a8d7c6b5a4f",
        "private_key": pem,
        "client_email": SERVICE_ACCOUNT,
        "client_id": "112233445566778899000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


@contextmanager
def delegated_scene(secret: Any, *, registered: bool = True) -> Iterator[CalendarScene]:
    """The mentor's calendar read under the organisation's Google grant, whose key file Secrets Manager holds."""
    with calendar_scene(Provider.GOOGLE) as scene:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if registered:
            scene.vendors.google.oauth.service_accounts[SERVICE_ACCOUNT] = private_key.public_key()
        value = _key_file(private_key) if secret is None else secret
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="mentorflow/google-workspace-grant", SecretString=json.dumps(value)
        )["ARN"]
        connection = scene.connection
        connection.grant = Grant.ORGANISATION
        connection.credentials_ref = arn
        connection.refresh_token = None
        scene.world.storage.calendars.save(connection)
        yield scene


def test_an_organisation_google_grant_signs_an_assertion_for_the_calendars_owner_and_opens_its_channel() -> None:
    with delegated_scene(None) as scene:
        # WHEN the renewal job opens the connection's watch
        counts = scene.renew()

        # THEN Google accepted one assertion, signed with the account's key, acting as the mentor for an hour
        assert counts == {"renewed": 1, "failed": 0, "revoked": 0}
        (claims,) = scene.vendors.google.oauth.assertions
        now = int(scene.world.clock.now().timestamp())
        assert claims["iss"] == SERVICE_ACCOUNT
        assert claims["sub"] == MENTOR
        assert claims["scope"] == "https://www.googleapis.com/auth/calendar.readonly"
        assert claims["aud"] == "https://oauth2.googleapis.com/token"
        assert (claims["iat"], claims["exp"]) == (now, now + 3600)
        assert claims["header"] == {"alg": "RS256", "typ": "JWT", "kid": "4f2c1e0b9a8d7c6b5a4f3e2d1c0b9a8d7c6b5a4f"}
        # AND the channel is open with the token Google issued, which is kept sealed
        connection = scene.connection
        assert connection.state is ConnectionState.ACTIVE
        assert connection.watch_id in scene.vendors.google.channels
        assert connection.access_token is not None
        assert scene.vendors.google.oauth.issued[-1] not in connection.access_token.ciphertext


def test_a_token_still_fresh_is_used_again_without_a_new_assertion() -> None:
    with delegated_scene(None) as scene:
        # GIVEN the watch opened with a delegated token
        scene.renew()

        # WHEN the watch is renewed again within the token's hour
        connection = scene.connection
        connection.renew_at = scene.world.clock.now()
        scene.world.storage.calendars.save(connection)
        scene.renew()

        # THEN Google saw one assertion only, and two channels were opened with its token
        assert len(scene.vendors.google.channels) == 2
        assert len(scene.vendors.google.oauth.assertions) == 1


def test_an_assertion_signed_by_a_key_google_does_not_know_is_refused_and_revokes_the_connection() -> None:
    with delegated_scene(None, registered=False) as scene:
        # WHEN the renewal job asks for a token with a key Google does not hold
        counts = scene.renew()

        # THEN Google refuses it as invalid_grant, and the connection is revoked like any refused grant
        assert scene.vendors.google.oauth.assertions == []
        assert counts["revoked"] == 1
        assert scene.connection.state is ConnectionState.REVOKED


def test_a_secret_that_is_no_key_file_fails_the_renewal_without_quoting_it() -> None:
    with delegated_scene(
        {"client_email": SERVICE_ACCOUNT, "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-key"}
    ) as scene:
        # WHEN the renewal job reads it
        counts = scene.renew()

        # THEN the renewal fails, is retried later, and the error names neither the key nor the account
        assert counts["failed"] == 1
        error = scene.connection.last_error or ""
        assert error == "renewal failed: the Google service account's private key cannot be read"
