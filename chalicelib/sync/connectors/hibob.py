"""HiBob: ``POST /v1/people/search`` for the mapped field paths, leavers included.

HiBob has no changed-since filter, so every run reads everyone once and the engine's
fingerprints keep unchanged people from costing a write. A service user's id and token
are the basic-auth pair.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import PullPage

API = "https://api.hibob.com/v1"


class HiBobSource:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        self._base = connector.settings.get("base_url") or API
        # HiBob names fields by path ("/work/department"); responses nest them the same way.
        self._fields = ["/" + path.replace(".", "/") for path in connector.mapping.paths()]
        self._http = http
        self._auth = (connectors.secret(credentials, "service_user_id"), connectors.secret(credentials, "token"))

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        data = self._http.json(
            "POST",
            f"{self._base}/people/search",
            what="HiBob",
            json={"fields": self._fields, "showInactive": True, "humanReadable": "REPLACE"},
            auth=self._auth,
            headers={"Accept": "application/json"},
        )
        employees = data.get("employees") if isinstance(data, dict) else None
        if not isinstance(employees, list):
            raise VendorError("HiBob's people search has no employees list")
        return PullPage(records=[e for e in employees if isinstance(e, dict)])
