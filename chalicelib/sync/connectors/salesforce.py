"""Salesforce: programme status upserted on a contact or custom object by an external id, through the REST API.

``PATCH /services/data/v60.0/sobjects/{object}/{external id field}/{value}`` creates or
updates one record (201 or 204); the setting ``object`` (``Contact`` or a custom
``Mentoring_Participant__c``) and ``external_id_field`` (an e-mail field marked External
ID) say where. The credential holds ``instance_url`` and an OAuth ``access_token`` from the
connected app (see ``integrations/salesforce``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import ProgrammeStatus

API_VERSION = "v60.0"


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
            self._http.send("PATCH", url, what="Salesforce", json=body, headers=self._headers)
            accepted += 1
        return accepted
