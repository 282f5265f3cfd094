"""Form responses: which participant each signup response enrolled (by the vendor's response id), with a TTL."""

from __future__ import annotations

from abc import ABC, abstractmethod

from chalicelib.domain.forms.submission import FormResponse
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, VersionedStore
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity


class FormResponseRepository(ABC):
    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, source: str, submission_id: str) -> FormResponse | None: ...

    @abstractmethod
    def save(self, response: FormResponse) -> FormResponse:
        """Create (version 0) or update the record; VersionConflict when it moved on meanwhile."""


def form_response_key(tenant_id: str, programme_id: str, source: str, submission_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.form_response_sk(source, submission_id)}


@register_entity("form_response", FormResponse)
def _form_response_attributes(response: FormResponse) -> dict[str, str]:
    return form_response_key(response.tenant_id, response.programme_id, response.source, response.submission_id)


class DynamoFormResponses(DynamoRepository, FormResponseRepository):
    def get(self, tenant_id: str, programme_id: str, source: str, submission_id: str) -> FormResponse | None:
        return self._get(form_response_key(tenant_id, programme_id, source, submission_id), FormResponse)

    def save(self, response: FormResponse) -> FormResponse:
        return self._save(response)


class InMemoryFormResponses(FormResponseRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str, str], FormResponse] = VersionedStore()

    def get(self, tenant_id: str, programme_id: str, source: str, submission_id: str) -> FormResponse | None:
        return self.items.read((tenant_id, programme_id, source, submission_id))

    def save(self, response: FormResponse) -> FormResponse:
        key = (response.tenant_id, response.programme_id, response.source, response.submission_id)
        return self.items.put_versioned(key, response)
