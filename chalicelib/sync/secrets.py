"""Vendor credentials, read from Secrets Manager or SSM Parameter Store when a sync runs.

Only references are stored with a connector. A value is read once per reader, kept in
memory for the run, and never logged or put in an error. A secret holding JSON gives
named parts (``{"client_id": ..., "client_secret": ...}``); a plain one is ``{"token": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.sync import CredentialRef, SecretStore
from chalicelib.sync.http import VendorError


class SecretReader:
    """Reads credential references; the boto3 clients are created on first use, or injected."""

    def __init__(self, *, secretsmanager: Any = None, ssm: Any = None, region: str | None = None) -> None:
        self._clients: dict[SecretStore, Any] = {}
        if secretsmanager is not None:
            self._clients[SecretStore.SECRETS_MANAGER] = secretsmanager
        if ssm is not None:
            self._clients[SecretStore.SSM] = ssm
        self._region = region
        self._cache: dict[tuple[SecretStore, str], dict[str, str]] = {}

    def _client(self, store: SecretStore) -> Any:
        if store not in self._clients:
            import boto3

            self._clients[store] = boto3.client(store.value, region_name=self._region)
        return self._clients[store]

    def read(self, ref: CredentialRef) -> dict[str, str]:
        """The named parts of a credential.

        Raises
        ------
        VendorError
            The secret or parameter is missing or unreadable (named by reference only).
        """
        key = (ref.store, ref.name)
        if key not in self._cache:
            self._cache[key] = _parts(self._fetch(ref))
        return self._cache[key]

    def _fetch(self, ref: CredentialRef) -> str:
        from botocore.exceptions import ClientError

        client = self._client(ref.store)
        try:
            if ref.store is SecretStore.SECRETS_MANAGER:
                return str(client.get_secret_value(SecretId=ref.name)["SecretString"])
            return str(client.get_parameter(Name=ref.name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise VendorError(f"credential {ref.name} could not be read from {ref.store.value} ({code})") from exc


def _parts(value: str) -> dict[str, str]:
    try:
        data = json.loads(value)
    except ValueError:
        return {"token": value}
    if isinstance(data, dict):
        return {str(k): str(v) for k, v in data.items()}
    return {"token": value}
