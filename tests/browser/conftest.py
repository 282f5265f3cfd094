"""A real headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) against the app on 127.0.0.1.

The app is served by a small HTTP adapter in a thread: each request goes to the Chalice
app through ``chalice.test.Client``, the same way ``chalice local`` hands requests to it,
with the test world's container (in-memory storage, a fixed clock). Locally the tests
skip when Chromium or Playwright is missing; in CI (``CI`` set) they never skip.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Settings
from chalicelib.storage.repositories import in_memory_storage
from tests.support.world import TEST_LINK_KEYS, World, world_with

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class _Adapter(BaseHTTPRequestHandler):
    world: World

    def _forward(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name: value for name, value in self.headers.items() if name.lower() not in ("host", "connection")}
        answer = self.world.client.http.request(method, self.path, headers=headers, body=body)
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines hold link tokens; the test output does not need them.
        return


@pytest.fixture
def served() -> Iterator[tuple[World, str]]:
    """The test world, served on a random loopback port; its public base URL is that address."""
    server = HTTPServer(("127.0.0.1", 0), _Adapter)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url=base_url)
    with world_with(in_memory_storage(), settings=settings) as world:
        _Adapter.world = world
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield world, base_url
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture
def screenshots() -> Path:
    """Where page screenshots go: ``MENTORFLOW_SCREENSHOTS`` if set, else ``build/screenshots``."""
    folder = Path(os.environ.get("MENTORFLOW_SCREENSHOTS", "build/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
