"""Loading the platform kits under ``integrations/``: plain scripts a coordinator runs, not a package."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.support.events import INTEGRATIONS


def load_kit(relative_path: str, name: str) -> ModuleType:
    """Import ``integrations/<relative_path>`` as module ``name``, the way ``python <file>`` would find it."""
    path = INTEGRATIONS / relative_path
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
