"""What services get from storage: the ``Storage`` aggregate of every repository, and its two backends.

Each stored type's module (``tenants``, ``programmes``, ``participants``, ...) holds that
type's repository interface, item layout, DynamoDB implementation and in-memory fake.
``Storage`` names one repository per type, with the two implementations it is built from
on each backend, so ``dynamo_storage`` and ``in_memory_storage`` need no edit when a type
is added. The interfaces and ``Page`` are re-exported here for the services that name them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.storage.aliases import AliasRepository, DynamoAliases, InMemoryAliases
from chalicelib.storage.archives import ArchiveRepository, DynamoArchives, InMemoryArchives
from chalicelib.storage.base import Page
from chalicelib.storage.calendar_connections import (
    CalendarConnectionRepository,
    DynamoCalendarConnections,
    InMemoryCalendarConnections,
)
from chalicelib.storage.deliveries import DeliveryRepository, DynamoDeliveries, InMemoryDeliveries
from chalicelib.storage.delivery_bodies import DeliveryBodyRepository, DynamoDeliveryBodies, InMemoryDeliveryBodies
from chalicelib.storage.endpoints import DynamoEndpoints, EndpointRepository, InMemoryEndpoints
from chalicelib.storage.erasures import DynamoErasures, ErasureRepository, InMemoryErasures
from chalicelib.storage.events import DynamoEvents, EventRepository, InMemoryEvents
from chalicelib.storage.form_responses import DynamoFormResponses, FormResponseRepository, InMemoryFormResponses
from chalicelib.storage.links import DynamoUsedLinks, InMemoryUsedLinks, UsedLinkRepository
from chalicelib.storage.mailbox_events import (
    DynamoMailboxEvents,
    InMemoryMailboxEvents,
    MailboxEventRepository,
)
from chalicelib.storage.match_runs import DynamoMatchRuns, InMemoryMatchRuns, MatchRunRepository
from chalicelib.storage.meetings import DynamoMeetings, InMemoryMeetings, MeetingRepository
from chalicelib.storage.messages import DynamoMessages, InMemoryMessages, MessageRepository
from chalicelib.storage.pairs import DynamoPairs, InMemoryPairs, PairRepository
from chalicelib.storage.participants import DynamoParticipants, InMemoryParticipants, ParticipantRepository
from chalicelib.storage.places import DynamoPlaces, InMemoryPlaces, PlaceRepository
from chalicelib.storage.programmes import DynamoProgrammes, InMemoryProgrammes, ProgrammeRepository
from chalicelib.storage.surveys import DynamoSurveys, InMemorySurveys, SurveyRepository
from chalicelib.storage.sync_connectors import DynamoSyncConnectors, InMemorySyncConnectors, SyncConnectorRepository
from chalicelib.storage.sync_invitations import (
    DynamoSyncInvitations,
    InMemorySyncInvitations,
    SyncInvitationRepository,
)
from chalicelib.storage.synced_people import DynamoSyncedPeople, InMemorySyncedPeople, SyncedPersonRepository
from chalicelib.storage.tenants import DynamoTenants, InMemoryTenants, TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

S = TypeVar("S", bound="Storage")

_ON_DYNAMODB = "dynamodb"
_IN_MEMORY = "memory"


def backends(on_dynamodb: Callable[[Table], Any], in_memory: Callable[[], Any]) -> dict[str, Any]:
    """Metadata of a ``Storage`` field: how its repository is built on a table, and as an in-memory fake."""
    return {_ON_DYNAMODB: on_dynamodb, _IN_MEMORY: in_memory}


@dataclass
class Storage:
    """All repositories of one storage backend, handed to services as one dependency."""

    tenants: TenantRepository = field(metadata=backends(DynamoTenants, InMemoryTenants))
    programmes: ProgrammeRepository = field(metadata=backends(DynamoProgrammes, InMemoryProgrammes))
    participants: ParticipantRepository = field(metadata=backends(DynamoParticipants, InMemoryParticipants))
    pairs: PairRepository = field(metadata=backends(DynamoPairs, InMemoryPairs))
    meetings: MeetingRepository = field(metadata=backends(DynamoMeetings, InMemoryMeetings))
    endpoints: EndpointRepository = field(metadata=backends(DynamoEndpoints, InMemoryEndpoints))
    deliveries: DeliveryRepository = field(metadata=backends(DynamoDeliveries, InMemoryDeliveries))
    messages: MessageRepository = field(metadata=backends(DynamoMessages, InMemoryMessages))
    runs: MatchRunRepository = field(metadata=backends(DynamoMatchRuns, InMemoryMatchRuns))
    form_responses: FormResponseRepository = field(metadata=backends(DynamoFormResponses, InMemoryFormResponses))
    calendars: CalendarConnectionRepository = field(
        metadata=backends(DynamoCalendarConnections, InMemoryCalendarConnections)
    )
    used_links: UsedLinkRepository = field(metadata=backends(DynamoUsedLinks, InMemoryUsedLinks))
    connectors: SyncConnectorRepository = field(metadata=backends(DynamoSyncConnectors, InMemorySyncConnectors))
    synced_people: SyncedPersonRepository = field(metadata=backends(DynamoSyncedPeople, InMemorySyncedPeople))
    sync_invitations: SyncInvitationRepository = field(
        metadata=backends(DynamoSyncInvitations, InMemorySyncInvitations)
    )
    erasures: ErasureRepository = field(metadata=backends(DynamoErasures, InMemoryErasures))
    places: PlaceRepository = field(metadata=backends(DynamoPlaces, InMemoryPlaces))
    delivery_bodies: DeliveryBodyRepository = field(metadata=backends(DynamoDeliveryBodies, InMemoryDeliveryBodies))
    surveys: SurveyRepository = field(metadata=backends(DynamoSurveys, InMemorySurveys))
    events: EventRepository = field(metadata=backends(DynamoEvents, InMemoryEvents))
    archives: ArchiveRepository = field(metadata=backends(DynamoArchives, InMemoryArchives))
    aliases: AliasRepository = field(metadata=backends(DynamoAliases, InMemoryAliases))
    mailbox_events: MailboxEventRepository = field(metadata=backends(DynamoMailboxEvents, InMemoryMailboxEvents))


def on_dynamodb(kind: type[S], table: Table) -> S:
    """A ``Storage`` (or a subclass with more repositories) with every repository on ``table``."""
    return kind(**{f.name: f.metadata[_ON_DYNAMODB](table) for f in fields(kind)})


def in_memory(kind: type[S]) -> S:
    """A ``Storage`` (or a subclass with more repositories) of fresh in-memory fakes."""
    return kind(**{f.name: f.metadata[_IN_MEMORY]() for f in fields(kind)})


def dynamo_storage(table: Table) -> Storage:
    """Every repository on one table.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource); not touched until a repository is used.
    """
    return on_dynamodb(Storage, table)


def in_memory_storage() -> Storage:
    """Every repository as an in-memory fake, empty."""
    return in_memory(Storage)


__all__ = [
    "AliasRepository",
    "DeliveryBodyRepository",
    "DeliveryRepository",
    "EndpointRepository",
    "ErasureRepository",
    "FormResponseRepository",
    "MatchRunRepository",
    "MeetingRepository",
    "MessageRepository",
    "Page",
    "PairRepository",
    "ParticipantRepository",
    "PlaceRepository",
    "ProgrammeRepository",
    "Storage",
    "TenantRepository",
    "backends",
    "dynamo_storage",
    "in_memory",
    "in_memory_storage",
    "on_dynamodb",
]
