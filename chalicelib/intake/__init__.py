"""Form intake: signups posted by form tools become participants of a programme.

``intake_sources()`` contributes the form webhook sources (Typeform, Tally, Jotform,
Google Forms and any tool using our Standard Webhooks kit) to the webhook registry. The
pieces: vendor parsers (``sources``) read a body into a ``FormSubmission``; the
endpoint's ``FieldMapping`` (``mapping``) turns it into a ``Profile``; ``chalicelib.services.enrolment``
stores the participant and queues the confirmation; ``processor`` chains the three.

Nothing is imported here at module level: ``chalicelib.domain.webhook`` imports
``chalicelib.intake.mapping``, and the sources import the webhook domain back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.webhook import Source
    from chalicelib.webhooks.sources import SourceSpec


def intake_sources() -> dict[Source, SourceSpec]:
    """The ``SourceSpec`` of every form source, for the webhook registry."""
    from chalicelib.domain.webhook import Source
    from chalicelib.intake.processor import process_form_delivery
    from chalicelib.intake.sources._common import verifier_factory
    from chalicelib.intake.sources.jotform import jotform_verifier
    from chalicelib.intake.sources.tally import tally_verifier
    from chalicelib.intake.sources.typeform import typeform_verifier
    from chalicelib.webhooks.sources import SourceSpec
    from chalicelib.webhooks.verify import StandardWebhooksVerifier

    json_only = ("application/json",)
    form_post = ("multipart/form-data", "application/x-www-form-urlencoded")
    verifiers = {
        Source.TYPEFORM: (verifier_factory(typeform_verifier), json_only),
        Source.TALLY: (verifier_factory(tally_verifier), json_only),
        Source.JOTFORM: (verifier_factory(jotform_verifier), form_post),
        Source.GOOGLE_FORMS: (StandardWebhooksVerifier, json_only),
        Source.STANDARD: (StandardWebhooksVerifier, json_only),
    }
    return {
        source: SourceSpec(source, verifier, process_form_delivery, content_types)
        for source, (verifier, content_types) in verifiers.items()
    }


__all__ = ["intake_sources"]
