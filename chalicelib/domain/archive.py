"""Archived programmes: when one stopped, when its people are scrubbed, and what anonymous figures remain.

An archived programme takes no signups and its pairs are closed. Its people are kept for
the tenant's retention period (a coordinator may still export or answer questions),
then scrubbed by a scheduled job; only counts stay, here, where the programme's figures
can still be read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from pydantic import Field

from chalicelib.domain.common import DomainModel
from chalicelib.domain.pair import Pair
from chalicelib.domain.participant import Participant

SIGNUPS_CLOSED = "the programme is archived and takes no more signups"
PAIRS_CLOSED = "the programme was archived"


class ProgrammeArchive(DomainModel):
    """One archived programme: who archived it and when, when its people go, and the figures that stay."""

    tenant_id: str
    programme_id: str
    archived_by: str = Field(max_length=100)
    archived_at: datetime
    scrub_at: datetime
    scrubbed_at: datetime | None = None
    figures: dict[str, int] = Field(
        default_factory=dict, description="Counts taken before the scrub: people by role and status, pairs by status."
    )

    @property
    def due(self) -> bool:
        return self.scrubbed_at is None


def figures_of(participants: Iterable[Participant], pairs: Iterable[Pair]) -> dict[str, int]:
    """Anonymous counts of a programme: participants by role and by status, pairs by status."""
    counts: Counter[str] = Counter()
    for participant in participants:
        counts["participants"] += 1
        counts[f"{participant.role.value}s"] += 1
        counts[f"participants_{participant.status.value}"] += 1
    for pair in pairs:
        counts["pairs"] += 1
        counts[f"pairs_{pair.status.value}"] += 1
    return dict(sorted(counts.items()))
