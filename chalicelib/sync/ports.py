"""The connector interface: what a vendor module provides and the engine relies on.

A ``PeopleSource`` pulls raw records changed since a cursor, one page at a time. The
engine maps them by configuration, so a source never reads a profile field itself: it
only asks the vendor for the fields the mapping names. A ``StatusPush`` sends programme
status back to a CRM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PullPage:
    """One page of raw vendor records; ``next_page`` is None on the last page of a run.

    ``watermark`` is the cursor to keep once the run is complete, when the vendor hands
    one out (a changed-since time it reports); otherwise the run's start time is kept.
    """

    records: Sequence[Mapping[str, Any]]
    next_page: str | None = None
    watermark: str | None = None


class PeopleSource(Protocol):
    def pull(self, *, since: str | None, page: str | None) -> PullPage:
        """Records changed since ``since`` (all of them when None), from position ``page`` of this run.

        Raises ``CursorRejected`` when the vendor no longer accepts ``since`` or ``page``.
        """
        ...


@dataclass(frozen=True)
class ProgrammeStatus:
    """What a CRM is told about one person: their programme and where they stand in it."""

    email: str
    programme_id: str
    programme_name: str
    status: str
    role: str
    extra: Mapping[str, str] = field(default_factory=dict)


class StatusPush(Protocol):
    def push(self, statuses: Sequence[ProgrammeStatus]) -> int:
        """Send each status; returns how many records the vendor accepted."""
        ...
