"""What a job needs to put one-click links into the messages it queues: the signing keys and the public address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkIssuer:
    keys: Sequence[bytes]
    base_url: str
