"""Workday: a Report-as-a-Service report, read as JSON from the URL the tenant's report gives.

The report's field names are the tenant's (see ``integrations/workday``); the mapping
names them. With the setting ``since_parameter``, the report's prompt of that name
receives the cursor, so a run reads only workers changed since; without it, everyone.
An integration system user's name and password are the basic-auth pair.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import PullPage


class WorkdaySource:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        self._url = connectors.setting(connector, "report_url")
        if not self._url.startswith("https://"):
            raise VendorError("the Workday report URL must use https")
        self._since_parameter = connector.settings.get("since_parameter")
        self._http = http
        self._auth = (connectors.secret(credentials, "username"), connectors.secret(credentials, "password"))

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        params = {"format": "json"}
        if since is not None and self._since_parameter:
            params[self._since_parameter] = since[:19]
        data = self._http.json("GET", self._url, what="Workday", params=params, auth=self._auth)
        entries = data.get("Report_Entry") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise VendorError("the Workday report has no Report_Entry list")
        return PullPage(records=[e for e in entries if isinstance(e, dict)])
