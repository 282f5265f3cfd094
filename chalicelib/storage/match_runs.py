"""Matching runs and each programme's matching lease: the repository, the item layout, DynamoDB and the fake.

A run is stored as one head item (``RunHead``: the run's summary) plus ``RunPart`` items
holding its per-person lists in slices, because a 20,000-person cohort's lists are far
beyond DynamoDB's 400 KB item limit. Both models exist for storage only.
"""

from __future__ import annotations

import builtins
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from pydantic import Field

from chalicelib.domain.common import DomainModel
from chalicelib.domain.matching_run import (
    WAITING_STATUSES,
    MatchingLease,
    MatchRun,
    MatchRunSummary,
    UnmatchedEntry,
)
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity

# Well below DynamoDB's 400 KB item limit, leaving room for attribute names and a part's keys.
_RUN_PART_BYTES = 300_000


class MatchRunRepository(ABC):
    """Matching runs of programmes, and each programme's matching lease."""

    @abstractmethod
    def add(self, run: MatchRun) -> MatchRun:
        """Store a run at version 1, whatever the length of its lists; ``Conflict`` if its id exists."""

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, run_id: str) -> MatchRun | None: ...

    @abstractmethod
    def list(self, tenant_id: str, programme_id: str) -> builtins.list[MatchRunSummary]:
        """The programme's runs without their per-person lists, newest first."""

    @abstractmethod
    def replace(self, run: MatchRun) -> MatchRun:
        """Overwrite a stored run (its head at ``run.version``, and its lists); ``VersionConflict`` if it moved on.

        The matching job claims a queued run and stores its result this way, so two
        job instances never both run it.
        """

    @abstractmethod
    def waiting(self, limit: int = 25) -> builtins.list[MatchRunSummary]:
        """Queued and running runs of every tenant, oldest request first, for the matching job."""

    @abstractmethod
    def lease(self, tenant_id: str, programme_id: str) -> MatchingLease | None: ...

    @abstractmethod
    def save_lease(self, lease: MatchingLease) -> MatchingLease:
        """Create (version 0) or update a lease; ``VersionConflict`` when another run took it first."""


class RunHead(DomainModel):
    """The item that stands for a matching run: its summary, plus how many ``RunPart`` items hold the rest."""

    summary: MatchRunSummary
    mentee_ids: list[str] = Field(default_factory=list)
    parts: int = Field(ge=0)


class RunPart(DomainModel):
    """One slice of a run's unmatched people and proposed pair ids, in run order."""

    tenant_id: str
    programme_id: str
    run_id: str
    index: int = Field(ge=0)
    unmatched: list[dict[str, Any]] = Field(default_factory=list)
    pair_ids: list[str] = Field(default_factory=list)


def run_key(tenant_id: str, programme_id: str, run_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.run_sk(run_id)}


def run_part_key(tenant_id: str, programme_id: str, run_id: str, index: int) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.run_part_sk(run_id, index)}


def lease_key(tenant_id: str, programme_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.MATCHING_LEASE_SK}


@register_entity("match_run", RunHead)
def _run_head_attributes(head: RunHead) -> dict[str, str]:
    summary = head.summary
    attributes = run_key(summary.tenant_id, summary.programme_id, summary.run_id)
    if summary.status in WAITING_STATUSES:
        attributes[GSI1PK] = keys.MATCH_RUNS_WAITING_GSI1
        attributes[GSI1SK] = keys.due_gsi_sk(
            summary.requested_at, summary.tenant_id, summary.programme_id, summary.run_id
        )
    return attributes


@register_entity("match_run_part", RunPart)
def _run_part_attributes(part: RunPart) -> dict[str, str]:
    return run_part_key(part.tenant_id, part.programme_id, part.run_id, part.index)


@register_entity("matching_lease", MatchingLease)
def _lease_attributes(lease: MatchingLease) -> dict[str, str]:
    return lease_key(lease.tenant_id, lease.programme_id)


def _newest_first(runs: Iterable[MatchRunSummary]) -> builtins.list[MatchRunSummary]:
    return sorted(runs, key=lambda r: (r.requested_at, r.run_id), reverse=True)


class DynamoMatchRuns(DynamoRepository, MatchRunRepository):
    """Matching runs on DynamoDB, each a head item plus parts, and the programme's matching lease."""

    def add(self, run: MatchRun) -> MatchRun:
        """Store a run: the head first (it alone decides whether the id is new), then its parts.

        Raises
        ------
        Conflict
            When a run with this id exists; nothing of it is overwritten.
        """
        parts = _run_parts(run)
        head = RunHead(summary=run.summary(), mentee_ids=list(run.mentee_ids), parts=len(parts))
        self._create(head, "matching run")
        for part in parts:
            self._put_unconditionally(part.model_copy(update={"version": 1}))
        return run.model_copy(deep=True, update={"version": 1})

    def replace(self, run: MatchRun) -> MatchRun:
        """Overwrite the head at ``run.version``, then its parts; a waiting run has none to clear.

        Raises
        ------
        VersionConflict
            When the stored head is not at ``run.version``.
        """
        parts = _run_parts(run)
        head = RunHead(summary=run.summary(), mentee_ids=list(run.mentee_ids), parts=len(parts), version=run.version)
        saved = self._save(head)
        for part in parts:
            self._put_unconditionally(part.model_copy(update={"version": 1}))
        return run.model_copy(deep=True, update={"version": saved.version})

    def waiting(self, limit: int = 25) -> builtins.list[MatchRunSummary]:
        heads = self._query(
            RunHead,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.MATCH_RUNS_WAITING_GSI1),
        )
        return [head.summary for head in heads]

    def get(self, tenant_id: str, programme_id: str, run_id: str) -> MatchRun | None:
        head = self._get(run_key(tenant_id, programme_id, run_id), RunHead)
        if head is None:
            return None
        parts = self._query(
            RunPart,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.run_parts_prefix(run_id)),
            ConsistentRead=True,
        )
        summary = head.summary
        return MatchRun(
            run_id=summary.run_id,
            tenant_id=summary.tenant_id,
            programme_id=summary.programme_id,
            trigger=summary.trigger,
            dry_run=summary.dry_run,
            requested_at=summary.requested_at,
            finished_at=summary.finished_at,
            matching_date=summary.matching_date,
            mentee_ids=head.mentee_ids,
            figures=summary.figures,
            unmatched=[UnmatchedEntry.model_validate(entry) for part in parts for entry in part.unmatched],
            pair_ids=[pair_id for part in parts for pair_id in part.pair_ids],
            pairs_skipped=summary.pairs_skipped,
            status=summary.status,
            reason=summary.reason,
            claimed_until=summary.claimed_until,
            attempts=summary.attempts,
            version=head.version,
        )

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[MatchRunSummary]:
        heads = self._query(
            RunHead,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.RUN_SK_PREFIX),
            ConsistentRead=True,
        )
        return _newest_first(head.summary for head in heads)

    def lease(self, tenant_id: str, programme_id: str) -> MatchingLease | None:
        return self._get(lease_key(tenant_id, programme_id), MatchingLease)

    def save_lease(self, lease: MatchingLease) -> MatchingLease:
        """Create (version 0) or update the programme's lease.

        Raises
        ------
        VersionConflict
            When the stored lease is not at ``lease.version``: another run took or released it.
        """
        return self._save(lease)


def _run_parts(run: MatchRun) -> builtins.list[RunPart]:
    """The run's lists cut into parts of at most ``_RUN_PART_BYTES`` of JSON each, in order."""
    slices: builtins.list[tuple[builtins.list[dict[str, Any]], builtins.list[str]]] = []
    unmatched: builtins.list[dict[str, Any]] = []
    pair_ids: builtins.list[str] = []
    size = 0
    records: builtins.list[dict[str, Any] | str] = [e.model_dump(mode="json") for e in run.unmatched]
    records.extend(run.pair_ids)
    for record in records:
        cost = len(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        if size + cost > _RUN_PART_BYTES and (unmatched or pair_ids):
            slices.append((unmatched, pair_ids))
            unmatched, pair_ids, size = [], [], 0
        if isinstance(record, str):
            pair_ids.append(record)
        else:
            unmatched.append(record)
        size += cost
    if unmatched or pair_ids:
        slices.append((unmatched, pair_ids))
    return [
        RunPart(
            tenant_id=run.tenant_id,
            programme_id=run.programme_id,
            run_id=run.run_id,
            index=index,
            unmatched=part_unmatched,
            pair_ids=part_pair_ids,
        )
        for index, (part_unmatched, part_pair_ids) in enumerate(slices)
    ]


class InMemoryMatchRuns(MatchRunRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], MatchRun] = VersionedStore()
        self.leases: VersionedStore[tuple[str, str], MatchingLease] = VersionedStore()

    def add(self, run: MatchRun) -> MatchRun:
        return self.items.create((run.tenant_id, run.programme_id, run.run_id), run, "matching run")

    def get(self, tenant_id: str, programme_id: str, run_id: str) -> MatchRun | None:
        return self.items.read((tenant_id, programme_id, run_id))

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[MatchRunSummary]:
        runs = self.items.select(
            lambda r: r.tenant_id == tenant_id and r.programme_id == programme_id,
            lambda r: r.run_id,
        )
        return _newest_first(r.summary() for r in runs)

    def replace(self, run: MatchRun) -> MatchRun:
        return self.items.put_versioned((run.tenant_id, run.programme_id, run.run_id), run)

    def waiting(self, limit: int = 25) -> builtins.list[MatchRunSummary]:
        runs = self.items.select(lambda r: r.status in WAITING_STATUSES, lambda r: (r.requested_at, r.run_id))
        return [r.summary() for r in runs[:limit]]

    def lease(self, tenant_id: str, programme_id: str) -> MatchingLease | None:
        return self.leases.read((tenant_id, programme_id))

    def save_lease(self, lease: MatchingLease) -> MatchingLease:
        return self.leases.put_versioned((lease.tenant_id, lease.programme_id), lease)
