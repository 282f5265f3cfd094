"""Merge HRIS: the unified ``Employee`` model, ``GET /api/hris/v1/employees`` paged by ``cursor``.

``modified_after`` narrows a run to changes since the cursor; ``expand=manager`` nests the
manager so a mapping can read ``manager.work_email``. The production key is the bearer
token and ``X-Account-Token`` names the linked account.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import PullPage

API = "https://api.merge.dev/api/hris/v1"
PAGE_SIZE = 100


class MergeSource:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        self._base = connector.settings.get("base_url") or API
        self._http = http
        self._page_size = connectors.page_size(connector, PAGE_SIZE)
        self._headers = {
            "Authorization": f"Bearer {connectors.secret(credentials, 'api_key', 'token')}",
            "X-Account-Token": connectors.secret(credentials, "account_token"),
            "Accept": "application/json",
        }
        self._expand = [
            name
            for name in ("manager", "company", "team", "work_location")
            if name in connector.mapping.vendor_fields()
        ]

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        params: dict[str, str | int] = {"page_size": self._page_size}
        if self._expand:
            params["expand"] = ",".join(self._expand)
        if since is not None:
            params["modified_after"] = since
        if page is not None:
            params["cursor"] = page
        data = self._http.json("GET", f"{self._base}/employees", what="Merge", params=params, headers=self._headers)
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise VendorError("Merge's employee list has no results")
        following = data.get("next")
        return PullPage(
            records=[r for r in data["results"] if isinstance(r, dict)],
            next_page=following if isinstance(following, str) and following else None,
        )
