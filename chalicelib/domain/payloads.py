"""How reading a verified webhook body can end short of a domain object, whatever the source or purpose."""

from __future__ import annotations


class PayloadParseError(ValueError):
    """A verified body that its source's parser cannot read. The message names what is wrong, never a value."""

    what = "payload"


class IrrelevantEvent(Exception):
    """A verified, well-formed event that the endpoint's purpose does not act on (another event type)."""
