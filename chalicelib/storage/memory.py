"""The in-memory backend services are unit-tested with, held to the same contract as DynamoDB.

Each fake lives in its stored type's module next to the DynamoDB repository it stands in
for; the fakes tests reach into directly are re-exported here.
"""

from __future__ import annotations

from chalicelib.storage.messages import InMemoryMessages
from chalicelib.storage.pairs import InMemoryPairs
from chalicelib.storage.participants import InMemoryParticipants
from chalicelib.storage.repositories import in_memory_storage

__all__ = ["InMemoryMessages", "InMemoryPairs", "InMemoryParticipants", "in_memory_storage"]
