"""Every webhook source mentorflow accepts, gathered from the features that provide them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.webhook import Source
    from chalicelib.webhooks.sources import SourceSpec


def all_sources() -> dict[Source, SourceSpec]:
    from chalicelib.intake import intake_sources

    specs: dict[Source, SourceSpec] = {}
    specs.update(intake_sources())
    return specs
