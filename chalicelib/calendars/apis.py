"""What the calendars feature talks to: the vendors' HTTP APIs, KMS for sealed tokens, Secrets Manager for grants.

Every client is created on first use and can be injected, so tests run with ``responses``
for the vendors and moto for AWS. Nothing here logs a token, a body or an address.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.domain.calendars import SealedSecret
from chalicelib.errors import ProcessingFailed

if TYPE_CHECKING:
    import requests

TIMEOUT_SECONDS = 10


class VendorFailure(ProcessingFailed):
    """Raised when a calendar vendor answers with an error worth retrying later (5xx, throttling, timeouts)."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class SyncTokenGone(Exception):
    """Google answered 410: the sync token is no longer valid and a full sync is needed."""


class GrantRevoked(Exception):
    """The vendor refuses the grant (``invalid_grant``, 401 after a refresh): the person or the admin withdrew it."""


class NotFoundAtVendor(Exception):
    """The event or subscription does not exist (any more) at the vendor."""


def _reason(response: requests.Response) -> str | None:
    """The vendor's machine-readable reason (OAuth ``error``, Google ``errors[].reason``, Graph ``error.code``)."""
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, str):
        return error[:80]
    if isinstance(error, dict):
        errors = error.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("reason"):
            return str(errors[0]["reason"])[:80]
        if error.get("code"):
            return str(error["code"])[:80]
    return None


@dataclass
class Http:
    """JSON over HTTPS with a bearer token; vendor errors become this feature's exceptions, named by status only."""

    session: Any = None

    def _session(self) -> requests.Session:
        if self.session is None:
            import requests

            self.session = requests.Session()
        return self.session

    def call(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one).

        Raises
        ------
        SyncTokenGone, GrantRevoked, NotFoundAtVendor, VendorFailure
        """
        import requests

        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        try:
            response = self._session().request(
                method, url, params=params, json=json_body, data=form, headers=sent, timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            raise VendorFailure(f"calendar vendor unreachable ({type(exc).__name__})") from exc
        if response.status_code < 300:
            return response.json() if response.content else None
        reason = _reason(response)
        if response.status_code == 410:
            raise SyncTokenGone()
        if reason == "invalid_grant" or response.status_code == 401:
            raise GrantRevoked(reason or "unauthorised")
        if response.status_code == 404:
            raise NotFoundAtVendor()
        raise VendorFailure(
            f"calendar vendor answered {response.status_code}" + (f" ({reason})" if reason else ""),
            status=response.status_code,
            reason=reason,
        )


@dataclass
class TokenVault:
    """Seals tokens with KMS, bound to their tenant and connection by the encryption context.

    A token is a few kilobytes at most, under KMS's 4 KB plaintext limit, so each is
    encrypted by KMS itself: no data key to manage and no crypto library in the package.
    """

    key_id: str | None
    region: str = "us-east-1"
    client: Any = None

    def _kms(self) -> Any:
        if self.client is None:
            import boto3

            self.client = boto3.client("kms", region_name=self.region)
        return self.client

    def _key(self) -> str:
        if not self.key_id:
            raise ProcessingFailed("no KMS key is configured for calendar tokens (MENTORFLOW_CALENDAR_KMS_KEY_ID)")
        return self.key_id

    def seal(self, secret: str, *, tenant_id: str, connection_id: str) -> SealedSecret:
        answer = self._kms().encrypt(
            KeyId=self._key(),
            Plaintext=secret.encode("utf-8"),
            EncryptionContext={"tenant_id": tenant_id, "connection_id": connection_id},
        )
        return SealedSecret(key_id=self._key(), ciphertext=base64.b64encode(answer["CiphertextBlob"]).decode())

    def open(self, sealed: SealedSecret, *, tenant_id: str, connection_id: str) -> str:
        answer = self._kms().decrypt(
            KeyId=sealed.key_id,
            CiphertextBlob=base64.b64decode(sealed.ciphertext),
            EncryptionContext={"tenant_id": tenant_id, "connection_id": connection_id},
        )
        return bytes(answer["Plaintext"]).decode("utf-8")


@dataclass
class Secrets:
    """JSON secrets from Secrets Manager (app registrations, organisation grants), cached per warm container."""

    region: str = "us-east-1"
    client: Any = None
    _cache: dict[str, dict[str, Any]] = field(default_factory=dict)

    def read(self, arn: str) -> dict[str, Any]:
        if arn not in self._cache:
            if self.client is None:
                import boto3

                self.client = boto3.client("secretsmanager", region_name=self.region)
            value = json.loads(self.client.get_secret_value(SecretId=arn)["SecretString"])
            if not isinstance(value, dict):
                raise ProcessingFailed("a calendar secret is not a JSON object")
            self._cache[arn] = value
        return self._cache[arn]


@dataclass
class CalendarApis:
    """Everything the feature reaches outside the process, with the few settings it needs."""

    http: Http
    vault: TokenVault
    secrets: Secrets
    public_base_url: str | None = None
    app_secret_arn: str | None = None

    def app_registration(self, provider: str) -> dict[str, str]:
        """Our OAuth client (``client_id``, ``client_secret``, for Microsoft ``tenant``) at one provider."""
        if not self.app_secret_arn:
            raise ProcessingFailed("no app registration secret is configured (MENTORFLOW_CALENDAR_APP_SECRET_ARN)")
        found = self.secrets.read(self.app_secret_arn).get(provider)
        if not isinstance(found, dict):
            raise ProcessingFailed(f"the app registration secret has no {provider} entry")
        return {str(k): str(v) for k, v in found.items()}

    def hook_url(self, source: str, endpoint_id: str) -> str:
        if not self.public_base_url:
            raise ProcessingFailed("watches need MENTORFLOW_PUBLIC_BASE_URL: the vendors call it back")
        return f"{self.public_base_url.rstrip('/')}/hooks/{source}/{endpoint_id}"


@dataclass
class MailStore:
    """The raw messages SES receiving wrote to S3 (``<prefix><message id>``), read at most ``max_bytes``."""

    bucket: str | None
    prefix: str = ""
    region: str = "us-east-1"
    client: Any = None

    def read(self, message_id: str, max_bytes: int) -> bytes | None:
        if not self.bucket:
            raise ProcessingFailed("no invite bucket is configured (MENTORFLOW_INVITE_BUCKET)")
        if self.client is None:
            import boto3

            self.client = boto3.client("s3", region_name=self.region)
        key = f"{self.prefix}{message_id}"
        if int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]) > max_bytes:
            return None
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
