"""HubSpot: programme status pushed onto contacts as properties, upserted by e-mail.

``POST /crm/v3/objects/contacts/batch/upsert`` with ``idProperty=email`` creates or
updates up to 100 contacts per request. The contact properties (``mentorflow_programme``,
``mentorflow_status``, ``mentorflow_role``) are created once in the portal; see
``integrations/hubspot``. A private app's access token is the bearer token.

``HubSpotContacts`` reads the contacts a webhook names, by id, asking only for the
properties the connector's mapping reads (``POST /crm/v3/objects/contacts/batch/read``);
the mapping addresses them as ``properties.<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorHttp
from chalicelib.sync.ports import ProgrammeStatus, PullPage

API = "https://api.hubapi.com"
BATCH = 100


class HubSpotPush:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        self._base = connector.settings.get("base_url") or API
        self._http = http
        self._headers = {"Authorization": f"Bearer {connectors.secret(credentials, 'access_token', 'token')}"}

    def push(self, statuses: Sequence[ProgrammeStatus]) -> int:
        accepted = 0
        for start in range(0, len(statuses), BATCH):
            inputs = [
                {
                    "idProperty": "email",
                    "id": status.email,
                    "properties": {
                        "email": status.email,
                        "mentorflow_programme": status.programme_name,
                        "mentorflow_status": status.status,
                        "mentorflow_role": status.role,
                        **status.extra,
                    },
                }
                for status in statuses[start : start + BATCH]
            ]
            data = self._http.json(
                "POST",
                f"{self._base}/crm/v3/objects/contacts/batch/upsert",
                what="HubSpot",
                json={"inputs": inputs},
                headers=self._headers,
            )
            results = data.get("results") if isinstance(data, dict) else None
            accepted += len(results) if isinstance(results, list) else 0
        return accepted


class HubSpotContacts:
    """The contacts of given ids, as one page, with only the mapped properties."""

    def __init__(
        self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str], ids: Sequence[str]
    ) -> None:
        self._base = connector.settings.get("base_url") or API
        self._http = http
        self._headers = {"Authorization": f"Bearer {connectors.secret(credentials, 'access_token', 'token')}"}
        self._ids = list(ids)
        prefix = "properties."
        self._properties = sorted(
            {p[len(prefix) :].split(".")[0] for p in connector.mapping.paths() if p.startswith(prefix)}
        )

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        records: list[Mapping[str, object]] = []
        for start in range(0, len(self._ids), BATCH):
            data = self._http.json(
                "POST",
                f"{self._base}/crm/v3/objects/contacts/batch/read",
                what="HubSpot",
                json={"properties": self._properties, "inputs": [{"id": i} for i in self._ids[start : start + BATCH]]},
                headers=self._headers,
            )
            results = data.get("results") if isinstance(data, dict) else None
            records.extend(r for r in results or [] if isinstance(r, dict))
        return PullPage(records=records)
