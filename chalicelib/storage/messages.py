"""The notifier's outbox: the repository, the item layout (sparse state index), DynamoDB and the fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime

from chalicelib.domain.message import Message, MessageState
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, GSI2, DynamoRepository, Key, VersionedStore, due_condition
from chalicelib.storage.codec import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK
from chalicelib.storage.registry import register_entity

# Only these states are swept by the sender; a sent message leaves the index.
LISTABLE_MESSAGE_STATES = frozenset({MessageState.PENDING, MessageState.FAILED})


class MessageRepository(ABC):
    @abstractmethod
    def add(self, message: Message) -> bool:
        """Queue a message unless one with the same id (from its idempotency key) exists. True if queued now."""

    @abstractmethod
    def save(self, message: Message) -> Message: ...

    @abstractmethod
    def get(self, tenant_id: str, message_id: str) -> Message | None: ...

    @abstractmethod
    def by_state(self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100) -> list[Message]:
        """Messages of every tenant in ``state`` (pending or failed), oldest first."""

    @abstractmethod
    def for_participant(self, tenant_id: str, participant_id: str) -> list[Message]: ...

    @abstractmethod
    def delete(self, message: Message) -> None:
        """Remove the message for good (erasure)."""

    @abstractmethod
    def for_tenant(self, tenant_id: str) -> list[Message]:
        """Every message of a tenant (erasure looks for messages naming someone; off-boarding)."""


def message_key(tenant_id: str, message_id: str) -> dict[str, str]:
    return {PK: keys.outbox_pk(tenant_id), SK: keys.message_sk(message_id)}


def _due_time(message: Message) -> datetime:
    return message.not_before or message.created_at


@register_entity("message", Message)
def _message_attributes(message: Message) -> dict[str, str]:
    attributes = message_key(message.tenant_id, message.message_id)
    if message.state in LISTABLE_MESSAGE_STATES:
        attributes[GSI1PK] = keys.messages_by_state_gsi1(message.state.value)
        attributes[GSI1SK] = keys.due_gsi_sk(_due_time(message), message.message_id)
    if message.participant_id is not None:
        attributes[GSI2PK] = keys.participant_messages_gsi2(message.tenant_id, message.participant_id)
        attributes[GSI2SK] = keys.due_gsi_sk(message.created_at, message.message_id)
    return attributes


class DynamoMessages(DynamoRepository, MessageRepository):
    """The outbox on DynamoDB: idempotent queueing, the sender sweep and a participant's messages."""

    def add(self, message: Message) -> bool:
        """Queue a message at version 1 unless one with its id exists.

        Returns
        -------
        bool
            True if queued now, False if it was already queued (or sent).
        """
        return self._add_once(message)

    def save(self, message: Message) -> Message:
        """Update a message; once sent it leaves the state index.

        Raises
        ------
        VersionConflict
            When the stored message is not at ``message.version``.
        """
        return self._save(message)

    def get(self, tenant_id: str, message_id: str) -> Message | None:
        return self._get(message_key(tenant_id, message_id), Message)

    def by_state(
        self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100
    ) -> builtins.list[Message]:
        state = MessageState(state)
        if limit < 1 or state not in LISTABLE_MESSAGE_STATES:
            return []
        return self._query(
            Message,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=due_condition(keys.messages_by_state_gsi1(state.value), due_before),
        )

    def for_participant(self, tenant_id: str, participant_id: str) -> builtins.list[Message]:
        return self._query(
            Message,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.participant_messages_gsi2(tenant_id, participant_id)),
        )

    def delete(self, message: Message) -> None:
        self._delete(message)

    def for_tenant(self, tenant_id: str) -> builtins.list[Message]:
        return self._query(
            Message,
            KeyConditionExpression=Key(PK).eq(keys.outbox_pk(tenant_id)) & Key(SK).begins_with(keys.MESSAGE_SK_PREFIX),
        )


class InMemoryMessages(MessageRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], Message] = VersionedStore()

    def add(self, message: Message) -> bool:
        return self.items.put_new((message.tenant_id, message.message_id), message)

    def save(self, message: Message) -> Message:
        return self.items.put_versioned((message.tenant_id, message.message_id), message)

    def get(self, tenant_id: str, message_id: str) -> Message | None:
        return self.items.read((tenant_id, message_id))

    def by_state(self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100) -> list[Message]:
        if MessageState(state) not in LISTABLE_MESSAGE_STATES:
            return []
        chosen = self.items.select(
            lambda m: m.state == state and (due_before is None or _due_time(m) <= due_before),
            lambda m: (_due_time(m), m.message_id),
        )
        return chosen[:limit]

    def for_participant(self, tenant_id: str, participant_id: str) -> list[Message]:
        return self.items.select(
            lambda m: m.tenant_id == tenant_id and m.participant_id == participant_id,
            lambda m: (m.created_at, m.message_id),
        )

    def delete(self, message: Message) -> None:
        self.items.remove((message.tenant_id, message.message_id))

    def for_tenant(self, tenant_id: str) -> list[Message]:
        return self.items.select(lambda m: m.tenant_id == tenant_id, lambda m: m.message_id)

    @property
    def all(self) -> Iterable[Message]:
        return self.items.select(lambda m: True, lambda m: (m.created_at, m.message_id))
