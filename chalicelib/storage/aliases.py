"""E-mail aliases of participants: the repository, the item layout, DynamoDB and the in-memory fake.

An alias item is keyed by its address within the programme's partition, so creating it
once is what keeps an address to one person; the participant index lists a person's own.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from chalicelib.domain.aliases import EmailAlias
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class AliasRepository(ABC):
    @abstractmethod
    def add(self, alias: EmailAlias) -> bool:
        """Store the alias unless its address is already an alias in the programme; True if stored now."""

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, email: str) -> EmailAlias | None: ...

    @abstractmethod
    def of_participant(self, tenant_id: str, programme_id: str, participant_id: str) -> list[EmailAlias]:
        """One person's aliases, by address."""

    @abstractmethod
    def of_programme(self, tenant_id: str, programme_id: str) -> list[EmailAlias]:
        """Every alias of a programme, by address (meeting matching reads them in one query)."""

    @abstractmethod
    def delete(self, alias: EmailAlias) -> None: ...


def alias_key(tenant_id: str, programme_id: str, email: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.alias_sk(email)}


@register_entity("email_alias", EmailAlias)
def _alias_attributes(alias: EmailAlias) -> dict[str, str]:
    return {
        **alias_key(alias.tenant_id, alias.programme_id, alias.email),
        GSI1PK: keys.participant_aliases_gsi1(alias.tenant_id, alias.programme_id, alias.participant_id),
        GSI1SK: alias.email,
    }


class DynamoAliases(DynamoRepository, AliasRepository):
    """Aliases in their programme's partition, one item per address."""

    def add(self, alias: EmailAlias) -> bool:
        return self._add_once(alias)

    def get(self, tenant_id: str, programme_id: str, email: str) -> EmailAlias | None:
        return self._get(alias_key(tenant_id, programme_id, email), EmailAlias)

    def of_participant(self, tenant_id: str, programme_id: str, participant_id: str) -> builtins.list[EmailAlias]:
        return self._query(
            EmailAlias,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(
                keys.participant_aliases_gsi1(tenant_id, programme_id, participant_id)
            ),
        )

    def of_programme(self, tenant_id: str, programme_id: str) -> builtins.list[EmailAlias]:
        return self._query(
            EmailAlias,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.ALIAS_SK_PREFIX),
        )

    def delete(self, alias: EmailAlias) -> None:
        self._delete(alias)


class InMemoryAliases(AliasRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], EmailAlias] = VersionedStore()

    def add(self, alias: EmailAlias) -> bool:
        return self.items.put_new((alias.tenant_id, alias.programme_id, alias.email), alias)

    def get(self, tenant_id: str, programme_id: str, email: str) -> EmailAlias | None:
        return self.items.read((tenant_id, programme_id, email))

    def of_participant(self, tenant_id: str, programme_id: str, participant_id: str) -> builtins.list[EmailAlias]:
        return self.items.select(
            lambda a: (a.tenant_id, a.programme_id, a.participant_id) == (tenant_id, programme_id, participant_id),
            lambda a: a.email,
        )

    def of_programme(self, tenant_id: str, programme_id: str) -> builtins.list[EmailAlias]:
        return self.items.select(
            lambda a: (a.tenant_id, a.programme_id) == (tenant_id, programme_id), lambda a: a.email
        )

    def delete(self, alias: EmailAlias) -> None:
        self.items.remove((alias.tenant_id, alias.programme_id, alias.email))
