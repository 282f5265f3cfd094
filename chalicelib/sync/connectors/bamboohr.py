"""BambooHR: a custom report of the mapped fields, filtered to employees changed since the cursor.

``POST /api/gateway.php/{subdomain}/v1/reports/custom?format=JSON&onlyCurrent=false`` with
``filters.lastChanged`` returns every changed employee in one answer (no paging). The API
key is the basic-auth user name with any password.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import PullPage

API = "https://api.bamboohr.com/api/gateway.php/{subdomain}/v1"


class BambooHrSource:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        self._base = API.format(subdomain=connectors.setting(connector, "subdomain"))
        self._fields = connector.mapping.vendor_fields()
        self._http = http
        self._key = connectors.secret(credentials, "api_key", "token")

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        report: dict[str, object] = {"title": "mentorflow sync", "fields": self._fields}
        if since is not None:
            report["filters"] = {"lastChanged": {"includeNull": "no", "value": since}}
        data = self._http.json(
            "POST",
            f"{self._base}/reports/custom",
            what="BambooHR",
            params={"format": "JSON", "onlyCurrent": "false"},
            json=report,
            auth=(self._key, "x"),
            headers={"Accept": "application/json"},
        )
        employees = data.get("employees") if isinstance(data, dict) else None
        if not isinstance(employees, list):
            raise VendorError("BambooHR's report has no employees list")
        return PullPage(records=[e for e in employees if isinstance(e, dict)])
