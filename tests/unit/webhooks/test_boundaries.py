"""Who may import whom around the webhook plug-ins: checked on the source, so a stray import fails a test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


def _imports(package: str) -> dict[str, set[str]]:
    """Every chalicelib module each file of ``package`` imports, lazily or not."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(ROOT))] = {name for name in names if name.startswith("chalicelib")}
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("chalicelib.services.inbox", ("chalicelib.webhooks", "chalicelib.intake", "chalicelib.registry")),
        ("chalicelib.webhooks", ("chalicelib.intake", "chalicelib.services.matching", "chalicelib.registry")),
        ("chalicelib.intake", ("chalicelib.webhooks", "chalicelib.registry")),
    ],
)
def test_the_inbox_vendors_and_features_know_each_other_only_through_the_registry(
    package: str, forbidden: tuple[str, ...]
) -> None:
    offending = {
        file: sorted(name for name in names if name.startswith(forbidden))
        for file, names in _imports(package).items()
        if any(name.startswith(forbidden) for name in names)
    }
    assert offending == {}


def test_the_domain_imports_only_the_domain_and_the_error_hierarchy() -> None:
    offending = {
        file: sorted(names - {"chalicelib.errors"})
        for file, names in _imports("chalicelib.domain").items()
        if any(not name.startswith("chalicelib.domain") and name != "chalicelib.errors" for name in names)
    }
    assert offending == {}
