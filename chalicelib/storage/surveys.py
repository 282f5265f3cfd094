"""Survey plans and survey requests: the repository, their items (sparse due indexes), DynamoDB and the fake.

A plan sits in the survey sweep's index while its pair may still be surveyed, a
request in the reminder index while it is unanswered and has reminders left. Both
carry an ``expires_at`` (TTL): answers are kept for ``FEEDBACK_RETENTION`` after their
last change.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime
from typing import TypeVar

from chalicelib.domain.feedback import SurveyPlan, SurveyRequest
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, TIME_RESOLUTION, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity

Due = TypeVar("Due", SurveyPlan, SurveyRequest)


class SurveyRepository(ABC):
    @abstractmethod
    def add_plan(self, plan: SurveyPlan) -> bool:
        """Store a pair's plan unless it has one. True if this call stored it."""

    @abstractmethod
    def save_plan(self, plan: SurveyPlan) -> SurveyPlan:
        """Update a plan read at ``plan.version``; ``VersionConflict`` if it moved on."""

    @abstractmethod
    def get_plan(self, tenant_id: str, programme_id: str, pair_id: str) -> SurveyPlan | None: ...

    @abstractmethod
    def plans_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[SurveyPlan]:
        """Plans of every tenant whose ``next_at`` has come, oldest first."""

    @abstractmethod
    def add_request(self, request: SurveyRequest) -> bool:
        """Store a request unless one with its id is stored. True if this call stored it."""

    @abstractmethod
    def save_request(self, request: SurveyRequest) -> SurveyRequest: ...

    @abstractmethod
    def get_request(self, tenant_id: str, programme_id: str, survey_id: str) -> SurveyRequest | None: ...

    @abstractmethod
    def reminders_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[SurveyRequest]:
        """Unanswered requests of every tenant whose ``remind_at`` has come, oldest first."""

    @abstractmethod
    def requests(self, tenant_id: str, programme_id: str) -> builtins.list[SurveyRequest]:
        """Every request of a programme, in id order (figures and exports)."""


def survey_plan_key(tenant_id: str, programme_id: str, pair_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.survey_plan_sk(pair_id)}


def survey_key(tenant_id: str, programme_id: str, survey_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.survey_sk(survey_id)}


@register_entity("survey_plan", SurveyPlan)
def _plan_attributes(plan: SurveyPlan) -> dict[str, str]:
    attributes = survey_plan_key(plan.tenant_id, plan.programme_id, plan.pair_id)
    if plan.next_at is not None:
        attributes[GSI1PK] = keys.SURVEY_PLANS_DUE_GSI1
        attributes[GSI1SK] = keys.due_gsi_sk(plan.next_at, plan.tenant_id, plan.programme_id, plan.pair_id)
    return attributes


@register_entity("survey_request", SurveyRequest)
def _request_attributes(request: SurveyRequest) -> dict[str, str]:
    attributes = survey_key(request.tenant_id, request.programme_id, request.survey_id)
    if request.remind_at is not None and not request.answered:
        attributes[GSI1PK] = keys.SURVEY_REMINDERS_DUE_GSI1
        attributes[GSI1SK] = keys.due_gsi_sk(request.remind_at, request.survey_id)
    return attributes


class DynamoSurveys(DynamoRepository, SurveyRepository):
    """Plans and requests on DynamoDB; the sweeps read the two sparse GSI1 partitions, never the table."""

    def add_plan(self, plan: SurveyPlan) -> bool:
        return self._add_once(plan)

    def save_plan(self, plan: SurveyPlan) -> SurveyPlan:
        return self._save(plan)

    def get_plan(self, tenant_id: str, programme_id: str, pair_id: str) -> SurveyPlan | None:
        return self._get(survey_plan_key(tenant_id, programme_id, pair_id), SurveyPlan)

    def plans_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[SurveyPlan]:
        return self._due(SurveyPlan, keys.SURVEY_PLANS_DUE_GSI1, at_or_before, limit)

    def add_request(self, request: SurveyRequest) -> bool:
        return self._add_once(request)

    def save_request(self, request: SurveyRequest) -> SurveyRequest:
        return self._save(request)

    def get_request(self, tenant_id: str, programme_id: str, survey_id: str) -> SurveyRequest | None:
        return self._get(survey_key(tenant_id, programme_id, survey_id), SurveyRequest)

    def reminders_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[SurveyRequest]:
        return self._due(SurveyRequest, keys.SURVEY_REMINDERS_DUE_GSI1, at_or_before, limit)

    def requests(self, tenant_id: str, programme_id: str) -> builtins.list[SurveyRequest]:
        return self._query(
            SurveyRequest,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.SURVEY_SK_PREFIX),
            ConsistentRead=True,
        )

    def _due(self, model: type[Due], partition: str, at_or_before: datetime, limit: int) -> builtins.list[Due]:
        if limit < 1:
            return []
        return self._query(
            model,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(partition)
            & Key(GSI1SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )


class InMemorySurveys(SurveyRepository):
    def __init__(self) -> None:
        self.plans: VersionedStore[tuple[str, str, str], SurveyPlan] = VersionedStore()
        self.items: VersionedStore[tuple[str, str, str], SurveyRequest] = VersionedStore()

    def add_plan(self, plan: SurveyPlan) -> bool:
        return self.plans.put_new((plan.tenant_id, plan.programme_id, plan.pair_id), plan)

    def save_plan(self, plan: SurveyPlan) -> SurveyPlan:
        return self.plans.put_versioned((plan.tenant_id, plan.programme_id, plan.pair_id), plan)

    def get_plan(self, tenant_id: str, programme_id: str, pair_id: str) -> SurveyPlan | None:
        return self.plans.read((tenant_id, programme_id, pair_id))

    def plans_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[SurveyPlan]:
        chosen = self.plans.select(
            lambda p: p.next_at is not None and p.next_at <= at_or_before,
            lambda p: (p.next_at, p.tenant_id, p.programme_id, p.pair_id),
        )
        return chosen[: max(limit, 0)]

    def add_request(self, request: SurveyRequest) -> bool:
        return self.items.put_new((request.tenant_id, request.programme_id, request.survey_id), request)

    def save_request(self, request: SurveyRequest) -> SurveyRequest:
        return self.items.put_versioned((request.tenant_id, request.programme_id, request.survey_id), request)

    def get_request(self, tenant_id: str, programme_id: str, survey_id: str) -> SurveyRequest | None:
        return self.items.read((tenant_id, programme_id, survey_id))

    def reminders_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[SurveyRequest]:
        chosen = self.items.select(
            lambda r: r.remind_at is not None and not r.answered and r.remind_at <= at_or_before,
            lambda r: (r.remind_at, r.survey_id),
        )
        return chosen[: max(limit, 0)]

    def requests(self, tenant_id: str, programme_id: str) -> builtins.list[SurveyRequest]:
        return self.items.select(
            lambda r: r.tenant_id == tenant_id and r.programme_id == programme_id, lambda r: r.survey_id
        )
