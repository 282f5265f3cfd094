"""Which webhook sources this deployment accepts, and which feature acts on each purpose.

The one place that knows both the vendors (``chalicelib.webhooks.sources``) and the
features: the inbox dispatches through what ``source_registry()`` returns and imports
neither. A new vendor is one module in ``chalicelib/webhooks/sources`` and one line in
``SOURCES``; a new feature is one line in ``HANDLERS``, and a new kind of one-click link
one line in ``LINK_ACTIONS``.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.webhook import Purpose
from chalicelib.intake.processor import handle_signup
from chalicelib.services import review_links
from chalicelib.services.inbox.ports import Handler, SourceRegistry, SourceSpec
from chalicelib.services.links import LinkAction
from chalicelib.webhooks.sources import google_forms, jotform, standard, tally, typeform

SOURCES: tuple[SourceSpec, ...] = (
    typeform.SPEC,
    tally.SPEC,
    jotform.SPEC,
    google_forms.SPEC,
    standard.SPEC,
)

HANDLERS: dict[Purpose, Handler] = {
    Purpose.SIGNUP: handle_signup,
}

# One-click link actions features offer (``chalicelib.services.links``); one line each.
LINK_ACTIONS: tuple[LinkAction, ...] = (review_links.APPROVE_PAIR, review_links.REJECT_PAIR)


def source_registry(*extra: SourceSpec, handlers: Mapping[Purpose, Handler] | None = None) -> SourceRegistry:
    """The deployment's sources and handlers, plus ``extra`` sources and ``handlers`` (tests, local tools)."""
    return SourceRegistry(
        specs={spec.name: spec for spec in (*SOURCES, *extra)},
        handlers={**HANDLERS, **(handlers or {})},
    )
