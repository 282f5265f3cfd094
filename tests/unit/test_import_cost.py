"""Importing the app, or any handler's module, loads no numpy or scipy: only a matching run needs them.

Each check runs in a fresh interpreter (``python -I``: no user site, no PYTHONPATH), as a
Lambda cold start would, so that modules imported by earlier tests cannot hide a cost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The engine's own modules are the ones allowed to need numpy and scipy.
ENGINE = tuple(
    f"chalicelib.domain.matching.{name}"
    for name in (
        "engine",
        "scoring",
        "criteria",
        "pair_lists",
        "types",
        "arrays",
        "solvers",
        "candidates",
        "repair",
        "stable",
        "auction",
        "flow",
    )
)

_PROBE = """
import importlib, json, pkgutil, sys
sys.path.insert(0, {root!r})
import app
loaded_by_app = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "scipy"))
import chalicelib
modules = [m.name for m in pkgutil.walk_packages(chalicelib.__path__, "chalicelib.")]
for name in modules:
    if name not in {engine!r}:
        importlib.import_module(name)
loaded_by_any = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "scipy"))
print(json.dumps({{"app": loaded_by_app, "all": loaded_by_any, "modules": modules}}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, list[str]]:
    script = _PROBE.format(root=str(ROOT), engine=ENGINE)
    done = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_app_loads_neither_numpy_nor_scipy(probe: dict[str, list[str]]) -> None:
    # GIVEN a fresh interpreter
    # WHEN it imports app.py, as every Lambda does at a cold start
    # THEN numpy and scipy are still unloaded
    assert probe["app"] == []


def test_importing_every_module_but_the_engine_loads_neither_numpy_nor_scipy(probe: dict[str, list[str]]) -> None:
    # GIVEN a fresh interpreter that imported the app
    # WHEN it imports every handler, service and domain module except the engine's own
    # THEN numpy and scipy are still unloaded
    assert "chalicelib.services.matching.runs" in probe["modules"]
    assert "chalicelib.jobs" in probe["modules"]
    assert probe["all"] == []
