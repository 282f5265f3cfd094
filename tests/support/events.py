"""Files the tests read from disk: recorded vendor payloads in ``tests/events/``, the kits in ``integrations/``.

Payloads are copies kept in the repository, so no test depends on anything outside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"
INTEGRATIONS = Path(__file__).resolve().parents[2] / "integrations"


def load_event(name: str) -> bytes:
    """The raw body of a recorded payload, byte for byte, as a vendor would sign and send it."""
    return (EVENTS / name).read_bytes()


def load_event_json(name: str) -> Any:
    return json.loads(load_event(name))
