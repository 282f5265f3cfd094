"""Which webhook sources this deployment accepts, and which feature acts on each purpose.

The one place that knows both the vendors (``chalicelib.webhooks.sources``) and the
features: the inbox dispatches through what ``source_registry()`` returns and imports
neither. A new vendor is one module in ``chalicelib/webhooks/sources`` and one line in
``SOURCES``; a new feature is one line in ``HANDLERS``, and a new kind of one-click link
one line in ``LINK_ACTIONS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chalicelib.domain.webhook import Purpose
from chalicelib.errors import ConfigurationError
from chalicelib.intake.processor import handle_signup
from chalicelib.services.inbox.ports import Handler, SourceRegistry, SourceSpec
from chalicelib.services.links import LinkAction
from chalicelib.sync.handler import people_handler
from chalicelib.sync.invitations import JOIN_PROGRAMME, Inviter
from chalicelib.sync.service import SyncTools
from chalicelib.webhooks.sources import (
    bamboohr,
    google_forms,
    hibob,
    hubspot,
    jotform,
    merge,
    salesforce,
    standard,
    tally,
    typeform,
)

if TYPE_CHECKING:
    from chalicelib.container import Container

SOURCES: tuple[SourceSpec, ...] = (
    typeform.SPEC,
    tally.SPEC,
    jotform.SPEC,
    google_forms.SPEC,
    standard.SPEC,
    bamboohr.SPEC,
    hibob.SPEC,
    merge.SPEC,
    hubspot.SPEC,
    salesforce.SPEC,
)

HANDLERS: dict[Purpose, Handler] = {
    Purpose.SIGNUP: handle_signup,
    Purpose.PEOPLE: people_handler(lambda: sync_tools()),
}

# One-click link actions features offer (``chalicelib.services.links``); one line each.
LINK_ACTIONS: tuple[LinkAction, ...] = (JOIN_PROGRAMME,)


def source_registry(*extra: SourceSpec, handlers: Mapping[Purpose, Handler] | None = None) -> SourceRegistry:
    """The deployment's sources and handlers, plus ``extra`` sources and ``handlers`` (tests, local tools)."""
    return SourceRegistry(
        specs={spec.name: spec for spec in (*SOURCES, *extra)},
        handlers={**HANDLERS, **(handlers or {})},
    )


def sync_tools(container: Container | None = None) -> SyncTools:
    """What an HR sync needs from the deployment: link keys and the public URL, for invitations, read when used."""
    from chalicelib.container import get_container

    container = container or get_container()

    def base_url() -> str:
        if not container.settings.public_base_url:
            raise ConfigurationError("invitation links need MENTORFLOW_PUBLIC_BASE_URL")
        return container.settings.public_base_url

    return SyncTools(inviter=Inviter(keys=lambda: container.link_keys, base_url=base_url))
