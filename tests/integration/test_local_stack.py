"""The local stack end to end: ``python -m devtools.local_stack --smoke`` starts, answers, and stops clean.

It runs as ``make run`` does, in a child interpreter, on a free port and a temporary
data folder: DynamoDB Local (or moto where Java is missing), the demo tenant, ``chalice
local`` and the scheduler. A second run on the same folder must reuse the demo tenant.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.local_stack import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SMOKE_TIMEOUT_SECONDS = 300


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def smoke(data_dir: Path, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devtools.local_stack", "--smoke", "--port", str(port),
         "--data-dir", str(data_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
        check=False,
    )


def test_smoke_run_passes_and_a_rerun_reuses_the_demo_tenant(tmp_path: Path) -> None:
    port = free_port()
    first = smoke(tmp_path, port)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    assert port_is_free(port), "chalice local outlived the stack"
    assert "smoke OK" in first.stdout
    assert "created now" in first.stdout
    persistent = (tmp_path / "demo.json").exists()

    second = smoke(tmp_path, free_port())
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    if persistent:
        assert "reused from" in second.stdout
