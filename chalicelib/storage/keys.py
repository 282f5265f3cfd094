"""Every DynamoDB key format of mentorflow, in one place.

mentorflow keeps all state in one table (single-table design) with a partition key
``PK``, a sort key ``SK`` and two overloaded global secondary indexes, ``GSI1`` and
``GSI2`` (attributes ``GSI1PK``/``GSI1SK``, ``GSI2PK``/``GSI2SK``). Both indexes are
*sparse*: an item carries an index's attributes only while it must be found that way
(a delivery leaves the retry index once done, a message the outbox index once sent,
a pair the due index once closed and the awaiting-mentor index once answered). Items
with an ``expires_at`` number are removed by DynamoDB's TTL.

Access patterns
===============

=====================================================  ======  =====================================================
Pattern                                                Where   Key condition
=====================================================  ======  =====================================================
Tenant by id                                           table   PK=TENANT#<t>, SK=TENANT
API key by secret hash (every admin request)           table   PK=APIKEY#<sha256>, SK=APIKEY
API keys of a tenant                                   GSI1    GSI1PK=TENANT#<t>#APIKEYS
Programme by id / programmes of a tenant               table   PK=TENANT#<t>, SK=PROGRAMME#<p> / begins_with
Programmes with a matching date (scheduled matching)   GSI2    GSI2PK=MATCHING_DATE, GSI2SK<=<date>#...
Open programmes naming coordinators (daily digest)     GSI1    GSI1PK=COORDINATED, GSI1SK=<t>#<p>
Participant enrolled by a form response                table   PK=TENANT#<t>#PROGRAMME#<p>, SK=RESPONSE#<source>#<id>
Participant by id                                      table   PK=TENANT#<t>#PROGRAMME#<p>, SK=PARTICIPANT#<id>
Participants of a programme (paged)                    table   PK=TENANT#<t>#PROGRAMME#<p>, begins_with PARTICIPANT#
Participants of a programme by status (paged)          GSI1    GSI1PK=TENANT#<t>#PROGRAMME#<p>#STATUS#<s>
Participant by e-mail within a tenant (all programmes) GSI2    GSI2PK=TENANT#<t>#EMAIL#<e>
E-mail alias by address / aliases of a programme       table   PK=TENANT#<t>#PROGRAMME#<p>, SK=ALIAS#<e> / begins_with
E-mail aliases of a participant (admin, erasure)       GSI1    GSI1PK=TENANT#<t>#PROGRAMME#<p>#ALIASES#<participant>
Pair by id / pairs of a programme                      table   PK=TENANT#<t>#PROGRAMME#<p>, SK=PAIR#<id> / begins_with
Pairs by next-due time (reminder sweep, all tenants)   GSI2    GSI2PK=PAIRS_DUE, GSI2SK<=<iso time>#...
Pairs awaiting the mentor, by deadline (all tenants)   GSI1    GSI1PK=PAIRS_AWAITING_MENTOR, GSI1SK<=<iso time>#...
Running pairs of a programme by meeting health         GSI1    GSI1PK=TENANT#<t>#PROGRAMME#<p>#HEALTH#<state>
Meetings of a pair                                     table   PK=TENANT#<t>#PROGRAMME#<p>, begins_with MEETING#<pair>#
Meeting by vendor id (calendar webhooks)               GSI1    GSI1PK=TENANT#<t>#MEETING#<source>#<external id>
Matching run by id / runs of a programme               table   PK=TENANT#<t>#PROGRAMME#<p>, SK=RUN#<id> / begins_with
Matching runs waiting for the job, oldest first        GSI1    GSI1PK=MATCH_RUNS_WAITING, GSI1SK=<iso time>#...
Per-person detail of a run, in parts                   table   PK=TENANT#<t>#PROGRAMME#<p>, begins_with RUNPART#<id>#
Mentee place slots of a programme (places limit)       table   PK=TENANT#<t>#PROGRAMME#<p>, begins_with PLACE#
  … and whether earlier mentees were given slots     table   PK=TENANT#<t>#PROGRAMME#<p>, SK=PLACE#~counted (same query)
Matching lease of a programme (one run at a time)      table   PK=TENANT#<t>#PROGRAMME#<p>, SK=MATCHING_LEASE
Webhook endpoint by id (every webhook request)         table   PK=ENDPOINT#<e>, SK=ENDPOINT
Webhook endpoints of a tenant                          GSI1    GSI1PK=TENANT#<t>#ENDPOINTS
Delivery by endpoint and delivery id (idempotency)     table   PK=ENDPOINT#<e>, SK=DELIVERY#<d>
Parts of a delivery's body too large for its item      table   PK=ENDPOINT#<e>, begins_with BODYPART#<d>#
Deliveries of an endpoint (admin, needs attention)     table   PK=ENDPOINT#<e>, begins_with DELIVERY#
Deliveries by state, oldest due first (retry sweep)    GSI1    GSI1PK=DELIVERIES#<state>, GSI1SK<=<iso time>#...
Deliveries of one sender, by keyed hash (erasure)      GSI2    GSI2PK=TENANT#<t>#SENDER#<hmac>
Calendar connection by id / connections of a tenant   table   PK=TENANT#<t>, SK=CALENDAR#<c> / begins_with
Calendar connection by watch (every calendar push)     GSI1    GSI1PK=CALENDAR_WATCH#<provider>#<watch id>
Calendar watches due for renewal (all tenants)         GSI2    GSI2PK=CALENDAR_RENEWALS, GSI2SK<=<iso time>#...
Meeting UID of a mailbox's event id (Graph deletions)  table   PK=TENANT#<t>#MAILBOX_EVENT#<event id>, SK=MAILBOX_EVENT
Message by idempotency key (outbox dedupe)             table   PK=TENANT#<t>#OUTBOX, SK=MESSAGE#<id>
Messages by state, oldest first (sender sweep)         GSI1    GSI1PK=MESSAGES#<state>, GSI1SK<=<iso time>#...
Messages of a participant (export, erasure)            GSI2    GSI2PK=TENANT#<t>#PARTICIPANT#<id>
Use of a single-use link by link id (one-click pages)  table   PK=LINK#<l>, SK=USED
Sync connector by id / connectors of a tenant          table   PK=TENANT#<t>, SK=CONNECTOR#<c> / begins_with
Enabled sync connectors, all tenants (nightly sync)    GSI1    GSI1PK=SYNC_CONNECTORS
Synced person's fingerprint by vendor id               table   PK=TENANT#<t>#CONNECTOR#<c>, SK=PERSON#<external id>
Employee id of a synced participant (claim)            table   PK=TENANT#<t>#CONNECTOR#<c>#CLAIMS, SK=CLAIM#<id>
Open sync invitation of a participant                  table   PK=TENANT#<t>#PROGRAMME#<p>, SK=SYNCINVITE#<participant>
Open sync invitations by next due time (all tenants)   GSI1    GSI1PK=SYNC_INVITATIONS_DUE, GSI1SK<=<iso time>#...
Messages of a tenant (erasure)                         table   PK=TENANT#<t>#OUTBOX, begins_with MESSAGE#
Erasure by subject hash / erasures of a tenant         table   PK=TENANT#<t>, SK=ERASURE#<hmac> / begins_with
Survey plan of a pair                                  table   PK=TENANT#<t>#PROGRAMME#<p>, SK=SURVEYPLAN#<pair>
Survey plans by next check (survey sweep, all tenants) GSI1    GSI1PK=SURVEY_PLANS_DUE, GSI1SK<=<iso time>#...
Survey request by id / of a programme (figures)        table   PK=TENANT#<t>#PROGRAMME#<p>, SK=SURVEY#<id> / begins_with
Survey requests by next reminder (all tenants)         GSI1    GSI1PK=SURVEY_REMINDERS_DUE, GSI1SK<=<iso time>#...
Event by id / events of a programme                    table   PK=TENANT#<t>#PROGRAMME#<p>, SK=EVENT#<id> / begins_with
Invitations of an event (attendance, figures)          table   PK=TENANT#<t>#PROGRAMME#<p>, begins_with INVITE#<event>#
Invitations by next reminder (all tenants)             GSI1    GSI1PK=EVENT_REMINDERS_DUE, GSI1SK<=<iso time>#...
Archive of a programme (signups refused, scrub date)   table   PK=TENANT#<t>, SK=ARCHIVE#<p>
Archived programmes due for their scrub (all tenants)  GSI1    GSI1PK=ARCHIVES_DUE, GSI1SK<=<iso time>#...
=====================================================  ======  =====================================================
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


TENANT_SK = "TENANT"


def api_key_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


API_KEY_SK = "APIKEY"


def tenant_api_keys_gsi1(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#APIKEYS"


def programme_sk(programme_id: str) -> str:
    return f"PROGRAMME#{programme_id}"


PROGRAMME_SK_PREFIX = "PROGRAMME#"
MATCHING_DATE_GSI2 = "MATCHING_DATE"


def form_response_sk(source: str, submission_id: str) -> str:
    return f"RESPONSE#{source}#{submission_id}"


COORDINATED_GSI1 = "COORDINATED"


def coordinated_gsi1sk(tenant_id: str, programme_id: str) -> str:
    return f"{tenant_id}#{programme_id}"


def matching_date_gsi2sk(day: date, tenant_id: str, programme_id: str) -> str:
    return f"{day.isoformat()}#{tenant_id}#{programme_id}"


def matching_date_upper_bound(day: date) -> str:
    """Exclusive upper bound of ``matching_date_gsi2sk`` values dated ``day`` or earlier."""
    return (day + timedelta(days=1)).isoformat()


def programme_pk(tenant_id: str, programme_id: str) -> str:
    """The partition holding everything that belongs to one programme."""
    return f"TENANT#{tenant_id}#PROGRAMME#{programme_id}"


def participant_sk(participant_id: str) -> str:
    return f"PARTICIPANT#{participant_id}"


PARTICIPANT_SK_PREFIX = "PARTICIPANT#"


def participants_by_status_gsi1(tenant_id: str, programme_id: str, status: str) -> str:
    return f"TENANT#{tenant_id}#PROGRAMME#{programme_id}#STATUS#{status}"


def participant_email_gsi2(tenant_id: str, email: str) -> str:
    return f"TENANT#{tenant_id}#EMAIL#{email}"


def alias_sk(email: str) -> str:
    return f"ALIAS#{email}"


ALIAS_SK_PREFIX = "ALIAS#"


def participant_aliases_gsi1(tenant_id: str, programme_id: str, participant_id: str) -> str:
    return f"TENANT#{tenant_id}#PROGRAMME#{programme_id}#ALIASES#{participant_id}"


def pair_sk(pair_id: str) -> str:
    return f"PAIR#{pair_id}"


PAIR_SK_PREFIX = "PAIR#"
PAIRS_DUE_GSI2 = "PAIRS_DUE"


def pair_due_gsi2sk(at: datetime, pair_id: str) -> str:
    return f"{utc_text(at)}#{pair_id}"


def pairs_by_health_gsi1(tenant_id: str, programme_id: str, state: str) -> str:
    """Only running pairs carry it; one awaiting its mentor is on the awaiting-mentor index instead."""
    return f"TENANT#{tenant_id}#PROGRAMME#{programme_id}#HEALTH#{state}"


def meeting_sk(pair_id: str, meeting_id: str) -> str:
    return f"MEETING#{pair_id}#{meeting_id}"


def meetings_of_pair_prefix(pair_id: str) -> str:
    return f"MEETING#{pair_id}#"


def meeting_external_gsi1(tenant_id: str, source: str, external_id: str) -> str:
    return f"TENANT#{tenant_id}#MEETING#{source}#{external_id}"


def run_sk(run_id: str) -> str:
    return f"RUN#{run_id}"


RUN_SK_PREFIX = "RUN#"


def run_part_sk(run_id: str, index: int) -> str:
    """A run's lists of unmatched people and pair ids outgrow one item for a large cohort; they go in parts."""
    return f"RUNPART#{run_id}#{index:05d}"


def run_parts_prefix(run_id: str) -> str:
    return f"RUNPART#{run_id}#"


MATCHING_LEASE_SK = "MATCHING_LEASE"
#: Only queued and running runs carry it, so the matching job's query reads nothing finished.
MATCH_RUNS_WAITING_GSI1 = "MATCH_RUNS_WAITING"


def place_sk(index: int) -> str:
    return f"PLACE#{index:05d}"


PLACE_SK_PREFIX = "PLACE#"
# After every slot's zero-padded index, so one query of the prefix reads the slots and this marker.
PLACES_COUNTED_SK = "PLACE#~counted"
PAIRS_AWAITING_MENTOR_GSI1 = "PAIRS_AWAITING_MENTOR"


def endpoint_pk(endpoint_id: str) -> str:
    return f"ENDPOINT#{endpoint_id}"


ENDPOINT_SK = "ENDPOINT"


def tenant_endpoints_gsi1(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#ENDPOINTS"


def delivery_sk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"


DELIVERY_SK_PREFIX = "DELIVERY#"


def body_part_sk(delivery_id: str, index: int) -> str:
    return f"BODYPART#{delivery_id}#{index:05d}"


def body_parts_prefix(delivery_id: str) -> str:
    return f"BODYPART#{delivery_id}#"


def deliveries_by_state_gsi1(state: str) -> str:
    return f"DELIVERIES#{state}"


def due_gsi_sk(at: datetime, *parts: str) -> str:
    return "#".join((utc_text(at), *parts))


def calendar_connection_sk(connection_id: str) -> str:
    return f"CALENDAR#{connection_id}"


CALENDAR_CONNECTION_SK_PREFIX = "CALENDAR#"
CALENDAR_RENEWALS_GSI2 = "CALENDAR_RENEWALS"


def calendar_watch_gsi1(provider: str, watch_id: str) -> str:
    return f"CALENDAR_WATCH#{provider}#{watch_id}"


def mailbox_event_pk(tenant_id: str, event_id: str) -> str:
    return f"TENANT#{tenant_id}#MAILBOX_EVENT#{event_id}"


MAILBOX_EVENT_SK = "MAILBOX_EVENT"


def outbox_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#OUTBOX"


def message_sk(message_id: str) -> str:
    return f"MESSAGE#{message_id}"


def messages_by_state_gsi1(state: str) -> str:
    return f"MESSAGES#{state}"


def participant_messages_gsi2(tenant_id: str, participant_id: str) -> str:
    return f"TENANT#{tenant_id}#PARTICIPANT#{participant_id}"


MESSAGE_SK_PREFIX = "MESSAGE#"


def erasure_sk(subject: str) -> str:
    return f"ERASURE#{subject}"


ERASURE_SK_PREFIX = "ERASURE#"


def utc_text(at: datetime) -> str:
    """Fixed-width UTC ISO text, so string order in an index is time order."""
    if at.tzinfo is None:
        raise ValueError("index times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_pk(link_id: str) -> str:
    return f"LINK#{link_id}"


USED_LINK_SK = "USED"


def connector_sk(connector_id: str) -> str:
    return f"CONNECTOR#{connector_id}"


CONNECTOR_SK_PREFIX = "CONNECTOR#"
SYNC_CONNECTORS_GSI1 = "SYNC_CONNECTORS"


def synced_people_pk(tenant_id: str, connector_id: str) -> str:
    return f"TENANT#{tenant_id}#CONNECTOR#{connector_id}"


def synced_person_sk(external_id: str) -> str:
    return f"PERSON#{external_id}"


def synced_claims_pk(tenant_id: str, connector_id: str) -> str:
    return f"TENANT#{tenant_id}#CONNECTOR#{connector_id}#CLAIMS"


def synced_claim_sk(participant_id: str) -> str:
    return f"CLAIM#{participant_id}"


def sync_invitation_sk(participant_id: str) -> str:
    return f"SYNCINVITE#{participant_id}"


SYNC_INVITATIONS_DUE_GSI1 = "SYNC_INVITATIONS_DUE"


def survey_plan_sk(pair_id: str) -> str:
    return f"SURVEYPLAN#{pair_id}"


SURVEY_PLANS_DUE_GSI1 = "SURVEY_PLANS_DUE"


def survey_sk(survey_id: str) -> str:
    return f"SURVEY#{survey_id}"


SURVEY_SK_PREFIX = "SURVEY#"
SURVEY_REMINDERS_DUE_GSI1 = "SURVEY_REMINDERS_DUE"


def event_sk(event_id: str) -> str:
    return f"EVENT#{event_id}"


EVENT_SK_PREFIX = "EVENT#"


def invitation_sk(event_id: str, participant_id: str) -> str:
    return f"INVITE#{event_id}#{participant_id}"


def invitations_of_event_prefix(event_id: str) -> str:
    return f"INVITE#{event_id}#"


EVENT_REMINDERS_DUE_GSI1 = "EVENT_REMINDERS_DUE"


def archive_sk(programme_id: str) -> str:
    return f"ARCHIVE#{programme_id}"


ARCHIVES_DUE_GSI1 = "ARCHIVES_DUE"


def delivery_sender_gsi2(tenant_id: str, person: str) -> str:
    """Never the address itself: ``person`` is the erasure key's hash of it."""
    return f"TENANT#{tenant_id}#SENDER#{person}"
