"""DynamoDB repositories: the production implementation of ``chalicelib.storage.repositories``.

Every repository works on the one table described in ``chalicelib.storage.table``,
handed in as a boto3 ``Table`` resource; nothing here talks to AWS at import or
construction. Item layout and keys come from ``chalicelib.storage.mappers`` and
``chalicelib.storage.keys``.

This module is the boundary for DynamoDB errors: a failed write condition becomes
``VersionConflict``, ``Conflict`` or ``False`` as the repository contract says, a bad
paging cursor becomes ``ValidationFailed``, and every other ``ClientError`` propagates
unchanged. Whole items are always written with ``put_item`` so that an item's index
attributes are exactly those of its new state (sparse indexes).
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.domain.common import DomainModel
from chalicelib.domain.matching_run import MatchingLease, MatchRun, MatchRunSummary, UnmatchedEntry
from chalicelib.domain.message import Message, MessageState
from chalicelib.domain.pair import Meeting, Pair
from chalicelib.domain.participant import Participant
from chalicelib.domain.programme import Programme
from chalicelib.domain.tenant import ApiKey, Tenant
from chalicelib.domain.webhook import Delivery, DeliveryState, WebhookEndpoint
from chalicelib.errors import Conflict, PayloadTooLarge, ValidationFailed, VersionConflict
from chalicelib.storage import keys, mappers
from chalicelib.storage.mappers import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK, VERSION, RunHead, RunPart
from chalicelib.storage.repositories import (
    DeliveryRepository,
    EndpointRepository,
    MatchRunRepository,
    MeetingRepository,
    MessageRepository,
    Page,
    PairRepository,
    ParticipantRepository,
    ProgrammeRepository,
    Storage,
    TenantRepository,
)

if TYPE_CHECKING:
    import builtins
    from collections.abc import Mapping
    from datetime import datetime

    from boto3.dynamodb.conditions import ConditionBase
    from mypy_boto3_dynamodb.service_resource import Table

    from chalicelib.domain.pair import PairStatus
    from chalicelib.domain.participant import ParticipantStatus

E = TypeVar("E", bound=DomainModel)
Item = dict[str, Any]

GSI1 = "GSI1"
GSI2 = "GSI2"

# Index times have microsecond resolution, so "at or before t" is "before t + 1 µs".
_TIME_RESOLUTION = timedelta(microseconds=1)


class _DynamoRepository:
    """The table operations every repository shares: versioned writes, reads and paged queries."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def _get(self, key: Mapping[str, str], model: type[E]) -> E | None:
        response = self._table.get_item(Key=dict(key), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else mappers.from_item_as(item, model)

    def _save(self, entity: E) -> E:
        expected = entity.version
        saved = entity.model_copy(deep=True, update={"version": expected + 1})
        # Version 0 means "never stored": it may only create. Otherwise the stored record
        # must still be the version the caller read, or someone else's write would be lost.
        is_new = Attr(PK).not_exists()
        unchanged = Attr(VERSION).eq(expected)
        condition = is_new if expected == 0 else unchanged
        try:
            self._table.put_item(Item=mappers.to_item(saved), ConditionExpression=condition)
        except ClientError as exc:
            if _condition_failed(exc):
                raise VersionConflict("the record was changed by someone else; read it again") from exc
            raise
        return saved

    def _create(self, entity: E, what: str) -> E:
        stored = entity.model_copy(deep=True, update={"version": 1})
        # Creating must never overwrite: an id or hash that exists is a uniqueness conflict.
        is_new = Attr(PK).not_exists()
        try:
            self._table.put_item(Item=mappers.to_item(stored), ConditionExpression=is_new)
        except ClientError as exc:
            if _condition_failed(exc):
                raise Conflict(f"{what} exists") from exc
            if _item_too_large(exc):
                raise PayloadTooLarge(f"{what} is too large to store") from exc
            raise
        return stored

    def _add_once(self, entity: E) -> bool:
        # The record's own key is the idempotency key: a second arrival finds it stored.
        try:
            self._create(entity, type(entity).__name__)
        except Conflict:
            return False
        return True

    def _delete(self, key: Mapping[str, str]) -> None:
        self._table.delete_item(Key=dict(key))

    def _query(self, model: type[E], *, limit: int | None = None, **query: Any) -> builtins.list[E]:
        """Every item the query selects (up to ``limit``), following DynamoDB's pages."""
        items: builtins.list[Item] = []
        filtered = "FilterExpression" in query
        while limit is None or len(items) < limit:
            if limit is not None and not filtered:
                # With a filter, Limit counts items read before filtering, so it cannot be the shortfall.
                query["Limit"] = limit - len(items)
            response = self._table.query(**query)
            items.extend(response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        chosen = items if limit is None else items[:limit]
        return [mappers.from_item_as(item, model) for item in chosen]

    def _query_page(
        self,
        model: type[E],
        *,
        limit: int,
        cursor: str | None,
        position: tuple[str, ...],
        partition: tuple[str, str],
        sort_prefix: tuple[str, str] | None = None,
        **query: Any,
    ) -> Page[E]:
        """One page of a query; ``position`` names the attributes of the index's key (LastEvaluatedKey)."""
        if limit < 1:
            raise ValidationFailed("limit must be at least 1", details={"limit": limit})
        if cursor is not None:
            query["ExclusiveStartKey"] = _decode_cursor(cursor, position, partition, sort_prefix)
        items: builtins.list[Item] = []
        # One item more than asked tells whether another page exists, so the last page has no cursor.
        while len(items) <= limit:
            query["Limit"] = limit + 1 - len(items)
            response = self._table.query(**query)
            items.extend(response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        next_cursor = None
        if len(items) > limit:
            last = items[limit - 1]
            next_cursor = _encode_cursor({name: last[name] for name in position})
        return Page(
            items=[mappers.from_item_as(item, model) for item in items[:limit]],
            next_cursor=next_cursor,
        )


def _item_too_large(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationException" and "size" in str(error.get("Message", "")).lower()


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _encode_cursor(position: Mapping[str, Any]) -> str:
    text = json.dumps(dict(position), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(
    cursor: str,
    position: tuple[str, ...],
    partition: tuple[str, str],
    sort_prefix: tuple[str, str] | None,
) -> dict[str, str]:
    """The start key a cursor stands for, checked to belong to the query it is passed to.

    Raises
    ------
    ValidationFailed
        When the cursor is not one this listing handed out.
    """
    invalid = ValidationFailed("the cursor is not valid for this listing")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        decoded = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise invalid from exc
    if not isinstance(decoded, dict) or set(decoded) != set(position):
        raise invalid
    if not all(isinstance(value, str) for value in decoded.values()):
        raise invalid
    # DynamoDB answers a start key outside the key condition with a ValidationException, which
    # would pass through as a server error; a cursor from another listing is the caller's mistake.
    name, value = partition
    if decoded[name] != value:
        raise invalid
    if sort_prefix is not None and not decoded[sort_prefix[0]].startswith(sort_prefix[1]):
        raise invalid
    return decoded


class DynamoTenants(_DynamoRepository, TenantRepository):
    """Tenants and their API keys.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant at version 1.

        Raises
        ------
        Conflict
            When a tenant with this id exists.
        """
        return self._create(tenant, "tenant")

    def get(self, tenant_id: str) -> Tenant | None:
        return self._get(mappers.tenant_key(tenant_id), Tenant)

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
        return self._get(mappers.api_key_key(key_hash), ApiKey)

    def list_keys(self, tenant_id: str) -> builtins.list[ApiKey]:
        return self._query(
            ApiKey,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.tenant_api_keys_gsi1(tenant_id)),
        )


class DynamoProgrammes(_DynamoRepository, ProgrammeRepository):
    """Programmes, listed per tenant and found by matching date.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def save(self, programme: Programme) -> Programme:
        """Create (version 0) or update a programme.

        Raises
        ------
        VersionConflict
            When the stored programme is not at ``programme.version``.
        """
        return self._save(programme)

    def get(self, tenant_id: str, programme_id: str) -> Programme | None:
        return self._get(mappers.programme_key(tenant_id, programme_id), Programme)

    def list(self, tenant_id: str) -> builtins.list[Programme]:
        return self._query(
            Programme,
            KeyConditionExpression=Key(PK).eq(keys.tenant_pk(tenant_id))
            & Key(SK).begins_with(keys.PROGRAMME_SK_PREFIX),
            ConsistentRead=True,
        )

    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        return self._query(
            Programme,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.MATCHING_DATE_GSI2)
            & Key(GSI2SK).lt(keys.matching_date_upper_bound(on_or_before.date())),
        )


class DynamoParticipants(_DynamoRepository, ParticipantRepository):
    """Participants of programmes, by id, by status and by e-mail.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def save(self, participant: Participant) -> Participant:
        """Create (version 0) or update a participant; its status and e-mail index entries follow.

        Raises
        ------
        VersionConflict
            When the stored participant is not at ``participant.version``.
        """
        return self._save(participant)

    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> Participant | None:
        return self._get(mappers.participant_key(tenant_id, programme_id, participant_id), Participant)

    def list(
        self,
        tenant_id: str,
        programme_id: str,
        *,
        status: ParticipantStatus | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Participant]:
        """One page of a programme's participants, by participant id.

        Raises
        ------
        ValidationFailed
            When ``cursor`` was not handed out by this same listing, or ``limit`` is below 1.
        """
        if status is None:
            partition = keys.programme_pk(tenant_id, programme_id)
            prefix = keys.PARTICIPANT_SK_PREFIX
            return self._query_page(
                Participant,
                limit=limit,
                cursor=cursor,
                position=(PK, SK),
                partition=(PK, partition),
                sort_prefix=(SK, prefix),
                KeyConditionExpression=Key(PK).eq(partition) & Key(SK).begins_with(prefix),
                ConsistentRead=True,
            )
        by_status = keys.participants_by_status_gsi1(tenant_id, programme_id, status.value)
        return self._query_page(
            Participant,
            limit=limit,
            cursor=cursor,
            position=(PK, SK, GSI1PK, GSI1SK),
            partition=(GSI1PK, by_status),
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(by_status),
        )

    def by_email(self, tenant_id: str, email: str) -> builtins.list[Participant]:
        return self._query(
            Participant,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.participant_email_gsi2(tenant_id, email)),
        )

    def delete(self, participant: Participant) -> None:
        self._delete(mappers.key_of(participant))


class DynamoPairs(_DynamoRepository, PairRepository):
    """Pairs of programmes and the reminder sweep's due index.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def save(self, pair: Pair) -> Pair:
        """Create (version 0) or update a pair; it leaves the due index once closed.

        Raises
        ------
        VersionConflict
            When the stored pair is not at ``pair.version``.
        """
        return self._save(pair)

    def get(self, tenant_id: str, programme_id: str, pair_id: str) -> Pair | None:
        return self._get(mappers.pair_key(tenant_id, programme_id, pair_id), Pair)

    def list(
        self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None
    ) -> builtins.list[Pair]:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.PAIR_SK_PREFIX),
            "ConsistentRead": True,
        }
        if status is not None:
            query["FilterExpression"] = Attr("status").eq(status.value)
        return self._query(Pair, **query)

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        if limit < 1:
            return []
        return self._query(
            Pair,
            limit=limit,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.PAIRS_DUE_GSI2)
            & Key(GSI2SK).lt(keys.due_gsi_sk(at_or_before + _TIME_RESOLUTION)),
        )

    def awaiting_mentor(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        if limit < 1:
            return []
        return self._query(
            Pair,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.PAIRS_AWAITING_MENTOR_GSI1)
            & Key(GSI1SK).lt(keys.due_gsi_sk(at_or_before + _TIME_RESOLUTION)),
        )


# Well below DynamoDB's 400 KB item limit, leaving room for attribute names and a part's keys.
_RUN_PART_BYTES = 300_000


class DynamoMatchRuns(_DynamoRepository, MatchRunRepository):
    """Matching runs, each a head item plus parts, and the programme's matching lease.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

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
            self._table.put_item(Item=mappers.to_item(part.model_copy(update={"version": 1})))
        return run.model_copy(deep=True, update={"version": 1})

    def get(self, tenant_id: str, programme_id: str, run_id: str) -> MatchRun | None:
        head = self._get(mappers.run_key(tenant_id, programme_id, run_id), RunHead)
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
            version=head.version,
        )

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[MatchRunSummary]:
        heads = self._query(
            RunHead,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.RUN_SK_PREFIX),
            ConsistentRead=True,
        )
        summaries = [head.summary for head in heads]
        return sorted(summaries, key=lambda r: (r.requested_at, r.run_id), reverse=True)

    def lease(self, tenant_id: str, programme_id: str) -> MatchingLease | None:
        return self._get(mappers.lease_key(tenant_id, programme_id), MatchingLease)

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


class DynamoMeetings(_DynamoRepository, MeetingRepository):
    """Meetings of pairs, also found by the calendar vendor's id.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def save(self, meeting: Meeting) -> Meeting:
        """Create (version 0) or update a meeting.

        Raises
        ------
        VersionConflict
            When the stored meeting is not at ``meeting.version``.
        """
        return self._save(meeting)

    def by_external_id(self, tenant_id: str, source: str, external_id: str) -> Meeting | None:
        found = self._query(
            Meeting,
            limit=1,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.meeting_external_gsi1(tenant_id, source, external_id)),
        )
        return found[0] if found else None

    def for_pair(self, tenant_id: str, programme_id: str, pair_id: str) -> builtins.list[Meeting]:
        return self._query(
            Meeting,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.meetings_of_pair_prefix(pair_id)),
            ConsistentRead=True,
        )


class DynamoEndpoints(_DynamoRepository, EndpointRepository):
    """Webhook endpoints, by id (webhook requests) and per tenant (admin).

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        """Create (version 0) or update an endpoint.

        Raises
        ------
        VersionConflict
            When the stored endpoint is not at ``endpoint.version``.
        """
        return self._save(endpoint)

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._get(mappers.endpoint_key(endpoint_id), WebhookEndpoint)

    def list(self, tenant_id: str) -> builtins.list[WebhookEndpoint]:
        return self._query(
            WebhookEndpoint,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.tenant_endpoints_gsi1(tenant_id)),
        )

    def delete(self, endpoint: WebhookEndpoint) -> None:
        self._delete(mappers.key_of(endpoint))


class DynamoDeliveries(_DynamoRepository, DeliveryRepository):
    """Received webhook deliveries: idempotent intake, per-endpoint listing and the retry sweep.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def add(self, delivery: Delivery) -> bool:
        """Store a delivery at version 1 unless its endpoint already has one with this id.

        Returns
        -------
        bool
            True if stored now, False if it was a repeat.
        """
        return self._add_once(delivery)

    def save(self, delivery: Delivery) -> Delivery:
        """Update a delivery; it leaves the state index once in a state nobody sweeps.

        Raises
        ------
        VersionConflict
            When the stored delivery is not at ``delivery.version``.
        """
        return self._save(delivery)

    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        return self._get(mappers.delivery_key(endpoint_id, delivery_id), Delivery)

    def for_endpoint(
        self, endpoint_id: str, *, state: DeliveryState | None = None, limit: int = 100
    ) -> builtins.list[Delivery]:
        if limit < 1:
            return []
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(PK).eq(keys.endpoint_pk(endpoint_id))
            & Key(SK).begins_with(keys.DELIVERY_SK_PREFIX),
            "ConsistentRead": True,
        }
        if state is not None:
            query["FilterExpression"] = Attr("state").eq(state.value)
        return self._query(Delivery, limit=limit, **query)

    def by_state(
        self, state: DeliveryState, *, due_before: datetime | None = None, limit: int = 100
    ) -> builtins.list[Delivery]:
        state = DeliveryState(state)
        if limit < 1 or state not in mappers.LISTABLE_DELIVERY_STATES:
            return []
        return self._query(
            Delivery,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=_due_condition(keys.deliveries_by_state_gsi1(state.value), due_before),
        )


class DynamoMessages(_DynamoRepository, MessageRepository):
    """The notifier's outbox: idempotent queueing, the sender sweep and a participant's messages.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

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
        return self._get(mappers.message_key(tenant_id, message_id), Message)

    def by_state(
        self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100
    ) -> builtins.list[Message]:
        state = MessageState(state)
        if limit < 1 or state not in mappers.LISTABLE_MESSAGE_STATES:
            return []
        return self._query(
            Message,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=_due_condition(keys.messages_by_state_gsi1(state.value), due_before),
        )

    def for_participant(self, tenant_id: str, participant_id: str) -> builtins.list[Message]:
        return self._query(
            Message,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.participant_messages_gsi2(tenant_id, participant_id)),
        )

    def delete(self, message: Message) -> None:
        self._delete(mappers.key_of(message))


def _due_condition(partition: str, due_before: datetime | None) -> ConditionBase:
    in_state = Key(GSI1PK).eq(partition)
    if due_before is None:
        return in_state
    return in_state & Key(GSI1SK).lt(keys.due_gsi_sk(due_before + _TIME_RESOLUTION))


def dynamo_storage(table: Table) -> Storage:
    """Every repository on one table.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource); not touched until a repository is used.
    """
    return Storage(
        tenants=DynamoTenants(table),
        programmes=DynamoProgrammes(table),
        participants=DynamoParticipants(table),
        pairs=DynamoPairs(table),
        meetings=DynamoMeetings(table),
        endpoints=DynamoEndpoints(table),
        deliveries=DynamoDeliveries(table),
        messages=DynamoMessages(table),
        runs=DynamoMatchRuns(table),
    )
