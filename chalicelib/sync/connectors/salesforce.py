"""Salesforce: programme status upserted on a contact or custom object by an external id, through the REST API.

``PATCH /services/data/v60.0/sobjects/{object}/{external id field}/{value}`` creates or
updates one record (201 or 204); the setting ``object`` (``Contact`` or a custom
``Mentoring_Participant__c``) and ``external_id_field`` (an e-mail field marked External
ID) say where. The credential holds ``instance_url`` and an OAuth ``access_token`` from the
connected app (see ``integrations/salesforce``).

Access tokens expire. When Salesforce answers 401 ``INVALID_SESSION_ID`` and the
credential also holds ``refresh_token``, ``client_id`` (and ``client_secret``), a new
access token is asked for once per run at the token endpoint (``{instance}/services/oauth2/token``,
or the setting ``token_url``) and the request is sent again. The new token lives only for
the run: nothing is written back to the secret store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import ProgrammeStatus, PullPage

if TYPE_CHECKING:
    import requests

API_VERSION = "v60.0"
EXPIRED_SESSION = "INVALID_SESSION_ID"


class SalesforcePush:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        instance = connectors.secret(credentials, "instance_url")
        if not instance.startswith("https://"):
            raise VendorError("the Salesforce instance URL must use https")
        self._object = connector.settings.get("object") or "Contact"
        self._external_id = connector.settings.get("external_id_field") or "Mentorflow_Email__c"
        self._fields = {
            "programme": connector.settings.get("programme_field") or "Mentorflow_Programme__c",
            "status": connector.settings.get("status_field") or "Mentorflow_Status__c",
            "role": connector.settings.get("role_field") or "Mentorflow_Role__c",
        }
        self._base = f"{instance.rstrip('/')}/services/data/{API_VERSION}/sobjects"
        self._token_url = connector.settings.get("token_url") or f"{instance.rstrip('/')}/services/oauth2/token"
        if not self._token_url.startswith("https://"):
            raise VendorError("the Salesforce token URL must use https")
        self._credentials = credentials
        self._refreshed = False
        self._http = http
        self._headers = {"Authorization": f"Bearer {connectors.secret(credentials, 'access_token', 'token')}"}

    def push(self, statuses: Sequence[ProgrammeStatus]) -> int:
        accepted = 0
        for status in statuses:
            url = f"{self._base}/{self._object}/{self._external_id}/{quote(status.email, safe='@')}"
            body = {
                self._fields["programme"]: status.programme_name,
                self._fields["status"]: status.status,
                self._fields["role"]: status.role,
                **status.extra,
            }
            self._upsert(url, body)
            accepted += 1
        return accepted

    def _upsert(self, url: str, body: Mapping[str, str]) -> None:
        answer = self._http.send("PATCH", url, what="Salesforce", json=body, headers=self._headers, passthrough=(401,))
        if answer.status_code != 401:
            return
        if self._refreshed or not _session_expired(answer) or not self._credentials.get("refresh_token"):
            raise VendorError("Salesforce refused the credentials (401)")
        self._refresh()
        self._http.send("PATCH", url, what="Salesforce", json=body, headers=self._headers)

    def _refresh(self) -> None:
        """Exchange the refresh token for a new access token, once per run."""
        self._refreshed = True
        form = {
            "grant_type": "refresh_token",
            "refresh_token": connectors.secret(self._credentials, "refresh_token"),
            "client_id": connectors.secret(self._credentials, "client_id"),
        }
        if self._credentials.get("client_secret"):
            form["client_secret"] = self._credentials["client_secret"]
        granted = self._http.json("POST", self._token_url, what="Salesforce's token endpoint", data=form)
        token = granted.get("access_token") if isinstance(granted, dict) else None
        if not isinstance(token, str) or not token:
            raise VendorError("Salesforce's token endpoint gave no access token")
        self._headers = {"Authorization": f"Bearer {token}"}


class SalesforceRecords(SalesforcePush):
    """The records an Outbound Message names, read by id with only the mapped fields (top-level field names)."""

    def __init__(
        self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str], ids: Sequence[str]
    ) -> None:
        super().__init__(connector, http, credentials)
        self._ids = [i for i in ids if i.isalnum() and len(i) in (15, 18)]
        self._read_fields = ",".join(connector.mapping.vendor_fields())

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        records = []
        for record_id in self._ids:
            url = f"{self._base}/{self._object}/{record_id}"
            answer = self._read(url)
            if isinstance(answer, dict):
                records.append(answer)
        return PullPage(records=records)

    def _read(self, url: str) -> object:
        params = {"fields": self._read_fields}
        answer = self._http.send(
            "GET", url, what="Salesforce", params=params, headers=self._headers, passthrough=(401, 404)
        )
        if answer.status_code == 404:
            return None
        if answer.status_code == 401:
            if self._refreshed or not _session_expired(answer) or not self._credentials.get("refresh_token"):
                raise VendorError("Salesforce refused the credentials (401)")
            self._refresh()
            answer = self._http.send("GET", url, what="Salesforce", params=params, headers=self._headers)
        try:
            return answer.json()
        except ValueError as exc:
            raise VendorError("Salesforce answered something that is not JSON") from exc


def _session_expired(answer: requests.Response) -> bool:
    try:
        errors: Any = answer.json()
    except ValueError:
        return False
    return isinstance(errors, list) and any(
        isinstance(error, dict) and error.get("errorCode") == EXPIRED_SESSION for error in errors
    )
