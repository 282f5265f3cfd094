"""Google Forms, through our Apps Script kit: the neutral submission, signed as Standard Webhooks.

Google Forms has no webhooks of its own; ``integrations/google-forms`` installs a script
that posts each response to ``/hooks/google-forms/…`` in the shape ``standard`` reads.
"""

from __future__ import annotations

from chalicelib.webhooks.sources.standard import standard_spec

NAME = "google-forms"

SPEC = standard_spec(NAME)
