"""The layering of chalicelib, as the import-linter contracts in pyproject.toml state it.

The contracts are checked on the real tree, and each is shown to catch the import it
forbids: a copy of the package with one such import added must fail on that contract.
Imports inside functions count, so a rule cannot be dodged by importing lazily.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {contract["id"]: contract["name"] for contract in config["tool"]["importlinter"]["contracts"]}


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _broken(output: str) -> set[str]:
    """Names of the contracts lint-imports reports as broken (it folds long names over lines)."""
    flat = " ".join(output.split())
    return {name for name in _contracts().values() if f"{name} BROKEN" in flat}


def test_the_code_keeps_every_layering_contract() -> None:
    # WHEN the contracts are checked on the tree as it is
    result = _lint(ROOT)

    # THEN every one of them holds
    assert result.returncode == 0, result.stdout[-4000:]
    assert f"Contracts: {len(_contracts())} kept, 0 broken" in result.stdout


# One forbidden import per contract: the module that gains it, and what it imports.
VIOLATIONS = {
    "domain-is-pure": ("domain/pair.py", "from chalicelib.storage import keys"),
    "storage-below-services": ("storage/pairs.py", "from chalicelib.services import enrolment"),
    "services-know-no-routes": ("services/enrolment.py", "from chalicelib.api import http"),
    "webhooks-import-no-feature": ("webhooks/sources/tally.py", "from chalicelib.intake import processor"),
    "features-independent": ("intake/processor.py", "from chalicelib.webhooks import signing"),
    "features-know-no-wiring": ("intake/admin.py", "from chalicelib import registry"),
}


def test_every_contract_has_a_violation_that_shows_it_bites() -> None:
    assert set(VIOLATIONS) == set(_contracts())


@pytest.mark.parametrize("contract_id", sorted(VIOLATIONS))
def test_a_forbidden_import_breaks_its_contract(contract_id: str, tmp_path: Path) -> None:
    # GIVEN a copy of the package in which one module gains an import its layer may not make,
    # inside a function, where a lazy import would hide it from a reader
    shutil.copytree(ROOT / "chalicelib", tmp_path / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    module, statement = VIOLATIONS[contract_id]
    with (tmp_path / "chalicelib" / module).open("a", encoding="utf-8") as source:
        source.write(f"\n\ndef _stray() -> None:\n    {statement}  # noqa\n")

    # WHEN the contracts are checked on that copy
    result = _lint(tmp_path)

    # THEN the check fails on that contract (an import can break a second rule too)
    assert result.returncode != 0
    assert _contracts()[contract_id] in _broken(result.stdout)
