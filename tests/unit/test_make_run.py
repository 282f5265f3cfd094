"""Specification of ``make run``'s one option: the port the local stack serves on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_hands_another_port_to_the_local_stack() -> None:
    # GIVEN / WHEN make says what `make run PORT=8081` would run, without running it
    planned = subprocess.run(
        ["make", "--dry-run", "--always-make", "run", "PORT=8081"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    # THEN the local stack is started on that port
    assert "-m devtools.local_stack --port 8081" in planned
