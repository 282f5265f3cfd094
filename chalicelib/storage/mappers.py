"""Raw items for tools and tests that read the table directly: whole items and the primary keys of stored types.

The mapping itself is generic (``chalicelib.storage.registry`` and ``codec``) and each
type's keys live in its own module; this module only gathers the names such readers use.
"""

from __future__ import annotations

from chalicelib.storage.deliveries import delivery_key
from chalicelib.storage.messages import message_key
from chalicelib.storage.pairs import pair_key
from chalicelib.storage.participants import participant_key
from chalicelib.storage.programmes import programme_key
from chalicelib.storage.registry import from_item, from_item_as, key_attributes, key_of, to_item

__all__ = [
    "delivery_key",
    "from_item",
    "from_item_as",
    "key_attributes",
    "key_of",
    "message_key",
    "pair_key",
    "participant_key",
    "programme_key",
    "to_item",
]
