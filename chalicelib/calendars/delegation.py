"""Google Workspace domain-wide delegation: a service account's signed assertion, exchanged for a user's token.

The Workspace admin lets the service account read calendars of the domain; mentorflow
signs a JWT (RS256, RFC 7523) with the account's private key naming the user to act as
(``sub``) and exchanges it at Google's token endpoint. The key stays in Secrets Manager
(the JSON key file Google issues, by reference on the connection); it is read when a token
is needed, held only in memory, and never logged or put in an error.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from chalicelib.errors import ProcessingFailed

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - an endpoint, not a secret
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CALENDAR_READ_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
# Google accepts assertions valid for at most an hour.
ASSERTION_LIFETIME = timedelta(hours=1)


class ServiceAccountKey(BaseModel):
    """The parts of Google's JSON key file that signing needs; the rest of the file is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    client_email: str = Field(min_length=3)
    private_key: SecretStr
    private_key_id: str | None = None


def service_account_key(secret: dict[str, object]) -> ServiceAccountKey:
    """Raises ``ProcessingFailed`` (naming no field value) when the secret is no service account key."""
    try:
        return ServiceAccountKey.model_validate(secret)
    except ValidationError as exc:
        # pydantic's message would quote the values, the private key among them.
        raise ProcessingFailed("the Google grant's secret is not a service account key file") from exc


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_part(value: dict[str, object]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def signed_assertion(key: ServiceAccountKey, *, subject: str, now: datetime, scope: str = CALENDAR_READ_SCOPE) -> str:
    """A compact JWT asking Google for a token to act as ``subject`` with ``scope``.

    Raises
    ------
    ProcessingFailed
        The private key cannot be read or is not an RSA key.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    header: dict[str, object] = {"alg": "RS256", "typ": "JWT"}
    if key.private_key_id:
        header["kid"] = key.private_key_id
    issued = int(now.timestamp())
    claims: dict[str, object] = {
        "iss": key.client_email,
        "sub": subject,
        "scope": scope,
        "aud": GOOGLE_TOKEN_URL,
        "iat": issued,
        "exp": issued + int(ASSERTION_LIFETIME.total_seconds()),
    }
    signing_input = f"{_json_part(header)}.{_json_part(claims)}".encode("ascii")
    try:
        private = serialization.load_pem_private_key(key.private_key.get_secret_value().encode("utf-8"), None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ProcessingFailed("the Google service account's private key cannot be read") from exc
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ProcessingFailed("the Google service account's private key is not an RSA key")
    signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{_b64url(signature)}"


def token_form(key: ServiceAccountKey, *, subject: str, now: datetime) -> dict[str, str]:
    """The token request exchanging a fresh assertion for ``subject``'s access token."""
    return {"grant_type": JWT_BEARER, "assertion": signed_assertion(key, subject=subject, now=now)}
