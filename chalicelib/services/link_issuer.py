"""What a job needs to put one-click links into the messages it queues, and the language a link's page speaks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_BASE_LANGUAGE = re.compile(r"^[a-z]{2}")


@dataclass(frozen=True)
class LinkIssuer:
    """The keys that sign one-click links and the public address they point at."""

    keys: Sequence[bytes]
    base_url: str


def link_language(*candidates: str | None) -> str | None:
    """The base language (``sr`` of ``sr-Latn``) of the first candidate that has one; pages fall back to English.

    A link carries only a two-letter code: a profile's ``pt_BR`` or ``x-klingon`` must not
    stop the message from being queued.
    """
    for candidate in candidates:
        match = _BASE_LANGUAGE.match((candidate or "").strip().lower())
        if match:
            return match.group(0)
    return None
