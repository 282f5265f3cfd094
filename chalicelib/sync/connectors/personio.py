"""Personio: ``GET /v1/company/employees`` in pages of ``limit`` from ``offset``, changed since ``updated_since``.

A bearer token comes from ``POST /v1/auth`` with the client id and secret; attributes
arrive as ``{"attributes": {"email": {"value": ...}}}``, so mappings read ``attributes.email``.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.sync import SyncConnector
from chalicelib.sync.connectors import _common as connectors
from chalicelib.sync.http import VendorError, VendorHttp
from chalicelib.sync.ports import PullPage

API = "https://api.personio.de/v1"
PAGE_SIZE = 200


class PersonioSource:
    def __init__(self, connector: SyncConnector, http: VendorHttp, credentials: Mapping[str, str]) -> None:
        self._base = connector.settings.get("base_url") or API
        self._http = http
        self._page_size = connectors.page_size(connector, PAGE_SIZE)
        self._client = {
            "client_id": connectors.secret(credentials, "client_id"),
            "client_secret": connectors.secret(credentials, "client_secret"),
        }
        self._token: str | None = None

    def _bearer(self) -> str:
        if self._token is None:
            data = self._http.json("POST", f"{self._base}/auth", what="Personio auth", json=self._client)
            token = (data.get("data") or {}).get("token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise VendorError("Personio's auth answer has no token")
            self._token = token
        return self._token

    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        offset = int(page) if page and page.isdigit() else 0
        params: dict[str, str | int] = {"limit": self._page_size, "offset": offset}
        if since is not None:
            # Personio takes a local time without zone: the stored UTC text is cut to seconds.
            params["updated_since"] = since[:19]
        data = self._http.json(
            "GET",
            f"{self._base}/company/employees",
            what="Personio",
            params=params,
            headers={"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"},
        )
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise VendorError("Personio's employee list has no data")
        records = [item for item in data["data"] if isinstance(item, dict)]
        total = (data.get("metadata") or {}).get("total_elements")
        more = len(records) == self._page_size if not isinstance(total, int) else offset + len(records) < total
        return PullPage(records=records, next_page=str(offset + len(records)) if more and records else None)
