"""Form intake: signups posted by form tools become participants of a programme.

The pieces: the inbox parses a delivery with its vendor's signup parser (in
``chalicelib.webhooks.sources``) into a ``FormSubmission``; the endpoint's
``FieldMapping`` (``chalicelib.domain.forms``) turns it into a ``Profile``;
``chalicelib.services.enrolment`` stores the participant and queues the confirmation; ``processor`` is the
``signup`` handler chaining the last two. ``chalicelib.registry`` plugs it in.
"""
