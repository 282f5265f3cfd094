"""Tenants and their API keys: the repository, the item layout, DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from chalicelib.domain.tenant import ApiKey, Tenant
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class TenantRepository(ABC):
    @abstractmethod
    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant; ``Conflict`` if the id exists."""

    @abstractmethod
    def get(self, tenant_id: str) -> Tenant | None: ...

    @abstractmethod
    def save(self, tenant: Tenant) -> Tenant:
        """Store a changed tenant (its sending settings); VersionConflict when it moved on meanwhile."""

    @abstractmethod
    def add_key(self, key: ApiKey) -> ApiKey:
        """Store a new API key; ``Conflict`` if its hash exists."""

    @abstractmethod
    def save_key(self, key: ApiKey) -> ApiKey: ...

    @abstractmethod
    def key_by_hash(self, key_hash: str) -> ApiKey | None: ...

    @abstractmethod
    def list_keys(self, tenant_id: str) -> list[ApiKey]: ...


def tenant_key(tenant_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.TENANT_SK}


def api_key_key(key_hash: str) -> dict[str, str]:
    return {PK: keys.api_key_pk(key_hash), SK: keys.API_KEY_SK}


@register_entity("tenant", Tenant)
def _tenant_attributes(tenant: Tenant) -> dict[str, str]:
    return tenant_key(tenant.tenant_id)


@register_entity("api_key", ApiKey)
def _api_key_attributes(key: ApiKey) -> dict[str, str]:
    return {
        **api_key_key(key.key_hash),
        GSI1PK: keys.tenant_api_keys_gsi1(key.tenant_id),
        GSI1SK: key.key_id,
    }


class DynamoTenants(DynamoRepository, TenantRepository):
    """Tenants and their API keys on DynamoDB."""

    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant at version 1.

        Raises
        ------
        Conflict
            When a tenant with this id exists.
        """
        return self._create(tenant, "tenant")

    def save(self, tenant: Tenant) -> Tenant:
        return self._save(tenant)

    def get(self, tenant_id: str) -> Tenant | None:
        return self._get(tenant_key(tenant_id), Tenant)

    def add_key(self, key: ApiKey) -> ApiKey:
        """Store a new API key at version 1.

        Raises
        ------
        Conflict
            When a key with the same hash exists.
        """
        return self._create(key, "API key")

    def save_key(self, key: ApiKey) -> ApiKey:
        """Store a changed API key (for example revoked).

        Raises
        ------
        VersionConflict
            When the stored key is no longer at ``key.version``.
        """
        return self._save(key)

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        return self._get(api_key_key(key_hash), ApiKey)

    def list_keys(self, tenant_id: str) -> builtins.list[ApiKey]:
        return self._query(
            ApiKey,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.tenant_api_keys_gsi1(tenant_id)),
        )


class InMemoryTenants(TenantRepository):
    def __init__(self) -> None:
        self.tenants: VersionedStore[str, Tenant] = VersionedStore()
        self.keys: VersionedStore[str, ApiKey] = VersionedStore()

    def add(self, tenant: Tenant) -> Tenant:
        return self.tenants.create(tenant.tenant_id, tenant, "tenant")

    def get(self, tenant_id: str) -> Tenant | None:
        return self.tenants.read(tenant_id)

    def save(self, tenant: Tenant) -> Tenant:
        return self.tenants.put_versioned(tenant.tenant_id, tenant)

    def add_key(self, key: ApiKey) -> ApiKey:
        return self.keys.create(key.key_hash, key, "API key")

    def save_key(self, key: ApiKey) -> ApiKey:
        return self.keys.put_versioned(key.key_hash, key)

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        return self.keys.read(key_hash)

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        return self.keys.select(lambda k: k.tenant_id == tenant_id, lambda k: k.key_id)
