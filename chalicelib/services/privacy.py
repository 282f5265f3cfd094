"""Per-person data export and erasure (GDPR articles 15 and 17), within one tenant.

What holds a person, and how each is found from their e-mail address:

* participant records, one per programme (the tenant's e-mail index);
* raw webhook deliveries of the tenant's endpoints whose body names the address;
* pairs they are in (history, end reason, the explanation that quotes their goals, the
  mentee's goals and both people's contacts kept for nudges);
* messages to them (the outbox's participant index) and about them (a partner's match
  or pair-ended e-mail that names them or holds their id: the tenant's outbox, read whole);
* in each programme they are in: event invitations (answers, attendance), survey
  requests (their answers; a partner's comment may name them), the record of which form
  response enrolled them, and matching runs' unmatched entries (a sentence naming them);
* the HR sync's fingerprints, which remember their participant ids, its claims (which
  employee a participant id belongs to) and its open invitations to them.

Erasure releases their open pairs the way a withdrawal does (the partner is told and
the place offered again), scrubs the rest, and leaves a tombstone (``services.erasures``)
that turns a later replay or redelivery of their data into a no-op. Their participant ids
are an unkeyed hash of the address, so wherever one stays on an item that must remain
(a partner's pair, a run's figures, a meeting) it becomes ``ERASED_ID``, and an item
whose own key holds one goes. The erasure record
holds who asked, when and how many items went, never the person.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote_plus

from chalicelib.clock import Clock
from chalicelib.domain.calendars import CalendarConnection
from chalicelib.domain.common import DomainModel, normalise_email
from chalicelib.domain.erasure import Erasure
from chalicelib.domain.events import Invitation
from chalicelib.domain.feedback import SurveyRequest
from chalicelib.domain.forms.submission import FormResponse
from chalicelib.domain.matching_run import MatchRun, UnmatchedEntry
from chalicelib.domain.message import Message
from chalicelib.domain.pair import Pair
from chalicelib.domain.participant import Participant
from chalicelib.domain.places import PlaceSlot
from chalicelib.domain.sync import OpenInvitation
from chalicelib.domain.webhook import Delivery, DeliveryState
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.logging import log_event
from chalicelib.notify.outbox import Notifier
from chalicelib.services import erasures
from chalicelib.services.aliases import aliases_of, erase_aliases
from chalicelib.services.inbox.service import delete_delivery, with_body
from chalicelib.services.matching.ending import release_pairs_of
from chalicelib.storage.match_runs import RunPart
from chalicelib.storage.offboarding import Rewrite, rewrite_programme
from chalicelib.storage.registry import key_of
from chalicelib.storage.repositories import Storage

PARKED_STATES = (DeliveryState.RECEIVED, DeliveryState.RETRYING, DeliveryState.NEEDS_ATTENTION, DeliveryState.DEAD)
ERASED_NAME = "a former participant"
ERASED_REASON = "erased at the person's request"
ERASED_ID = "erased"
ERASED_SENTENCE = "This entry was erased at the person's request."
# Parked deliveries of every tenant are few (they need a person); reading them whole is bounded by retention.
_PARKED_SCAN = 10_000


@dataclass(frozen=True)
class Holdings:
    """Everything one tenant holds about one person, known by the address asked about and the others found from it."""

    email: str
    addresses: list[str]
    participants: list[Participant]
    pairs: list[Pair]
    messages_to: list[Message]
    messages_about: list[Message]
    deliveries: list[Delivery]

    @property
    def empty(self) -> bool:
        return not (self.participants or self.pairs or self.messages_to or self.messages_about or self.deliveries)


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except ValueError as exc:
        raise ValidationFailed("not a valid e-mail address") from exc


def _texts_of(body: bytes) -> Iterator[str]:
    """A body as the text a vendor may have encoded an address in: raw, URL-decoded, JSON-unescaped."""
    text = body.decode("utf-8", errors="replace")
    yield text
    yield unquote_plus(text)
    try:
        yield json.dumps(json.loads(text), ensure_ascii=False)
    except (ValueError, RecursionError):
        return


def names(delivery: Delivery, email: str) -> bool:
    """Whether a stored delivery's raw body holds ``email`` (already normalised)."""
    if delivery.body is None:
        return False
    return any(email in text.lower() for text in _texts_of(delivery.body))


def _deliveries(storage: Storage, tenant_id: str, email: str, key: bytes | None) -> list[Delivery]:
    """Deliveries from ``email``, each with its body in hand (parts read back).

    Those whose sender was read carry the keyed hash of the address and are found by it.
    Those nobody could read (the mapping failed, or before the hash existed) wait in the
    sweep's index of parked deliveries, whose bodies are searched; a processed delivery
    from before the hash is not found this way, and ends with its TTL (14 days).
    """
    found = {
        (d.endpoint_id, d.delivery_id): with_body(d, storage)
        for d in storage.deliveries.from_person(tenant_id, erasures.subject(key, tenant_id, email))
    }
    for state in PARKED_STATES:
        for stored in storage.deliveries.by_state(state, limit=_PARKED_SCAN):
            if stored.tenant_id != tenant_id or stored.person is not None:
                continue
            delivery = with_body(stored, storage)
            if names(delivery, email):
                found[(delivery.endpoint_id, delivery.delivery_id)] = delivery
    return [found[k] for k in sorted(found)]


def _mentions(message: Message, words: set[str], ids: set[str]) -> bool:
    text = f"{message.subject}\n{message.body_text}".lower()
    if any(word in text for word in words):
        return True
    held = message.model_dump_json()
    return any(participant_id in held for participant_id in ids)


def _enrolments(storage: Storage, tenant_id: str, addresses: list[str]) -> list[Participant]:
    found = {p.participant_id: p for a in addresses for p in storage.participants.by_email(tenant_id, a)}
    return [found[k] for k in sorted(found)]


def person_addresses(storage: Storage, tenant_id: str, address: str) -> list[str]:
    """``address`` (normalised), then the person's other addresses: when it is a participant's alias,
    the address they enrolled with, and every alias of the enrolments those addresses name.
    """
    owners = []
    for programme in storage.programmes.list(tenant_id):
        alias = storage.aliases.get(tenant_id, programme.programme_id, address)
        owner = None if alias is None else storage.participants.get(tenant_id, alias.programme_id, alias.participant_id)
        if owner is not None:
            owners.append(owner.email)
    enrolled = _enrolments(storage, tenant_id, list(dict.fromkeys([address, *owners])))
    others = [p.email for p in enrolled] + [a.email for a in aliases_of(storage, enrolled)]
    return list(dict.fromkeys(normalise_email(a) for a in [address, *others]))


def holdings(storage: Storage, tenant_id: str, email: str, key: bytes | None) -> Holdings:
    """Find every item of the tenant that holds ``email``, the person's other addresses or their name.

    ``email`` may be one of a participant's aliases: the person is found through it.
    See the module docstring.
    """
    address = _email(email)
    addresses = person_addresses(storage, tenant_id, address)
    participants = _enrolments(storage, tenant_id, addresses)
    ids = {p.participant_id for p in participants}
    pairs = [
        pair
        for programme_id in sorted({p.programme_id for p in participants})
        for pair in storage.pairs.list(tenant_id, programme_id)
        if ids & {pair.mentor_id, pair.mentee_id}
    ]
    to = [m for pid in sorted(ids) for m in storage.messages.for_participant(tenant_id, pid)]
    words = set(addresses) | {p.profile.name.lower() for p in participants if p.profile.name}
    about = [
        m
        for m in storage.messages.for_tenant(tenant_id)
        if m.participant_id not in ids and (m.recipient.lower() in addresses or _mentions(m, words, ids))
    ]
    found = {(d.endpoint_id, d.delivery_id): d for a in addresses for d in _deliveries(storage, tenant_id, a, key)}
    deliveries = [found[k] for k in sorted(found)]
    return Holdings(address, addresses, participants, pairs, to, about, deliveries)


def export_person(storage: Storage, *, tenant_id: str, email: str, erasure_key: bytes | None) -> dict[str, Any]:
    """Everything the tenant holds about one person as one JSON-ready document.

    Raises
    ------
    NotFound
        Nothing is held about that address.
    """
    held = holdings(storage, tenant_id, email, erasure_key)
    if held.empty:
        raise NotFound("nothing is held about that e-mail address")
    return {
        "email": held.email,
        "participants": [p.model_dump(mode="json") for p in held.participants],
        "aliases": [a.model_dump(mode="json") for a in aliases_of(storage, held.participants)],
        # A pair's contacts name the partner too; the person's own are in their enrolment.
        "pairs": [p.model_dump(mode="json", exclude={"contacts"}) for p in held.pairs],
        "messages": [m.model_dump(mode="json") for m in held.messages_to],
        "messages_about": [m.model_dump(mode="json") for m in held.messages_about],
        "submissions": [
            {
                "endpoint_id": d.endpoint_id,
                "delivery_id": d.delivery_id,
                "source": d.source,
                "state": d.state.value,
                "received_at": d.received_at.isoformat(),
                "content_type": d.content_type,
                "body": d.body.decode("utf-8", errors="replace") if d.body is not None else None,
            }
            for d in held.deliveries
        ],
    }


WatchStopper = Callable[[CalendarConnection], str | None]
"""Stops a connection's channel or subscription at its vendor; why it could not be, or None (``calendars.renewal``)."""


def erase_calendars(
    storage: Storage,
    *,
    tenant_id: str,
    addresses: list[str],
    participants: list[Participant],
    stop_watch: WatchStopper | None = None,
) -> tuple[int, int]:
    """Delete the calendar connections a person consented to, or that read one of their addresses.

    Each watch is stopped at the vendor first, as a revocation does: a deleted connection
    could no longer be found to stop it. A watch that would not stop is counted and lapses
    by itself (a week at most), its pushes then naming no connection. Returns how many
    connections went and how many watches were not stopped.
    """
    ids = {participant.participant_id for participant in participants}
    gone = not_stopped = 0
    for connection in storage.calendars.list(tenant_id):
        if connection.participant_id in ids or connection.calendar_id.strip().lower() in addresses:
            if stop_watch is not None and connection.readable and stop_watch(connection) is not None:
                not_stopped += 1
            storage.calendars.delete(connection)
            gone += 1
    return gone, not_stopped


def _scrub_text(text: str, words: set[str]) -> str:
    lowered = text.lower()
    for word in sorted(words, key=len, reverse=True):
        start = lowered.find(word)
        while start >= 0:
            text = text[:start] + ERASED_NAME + text[start + len(word) :]
            lowered = text.lower()
            start = lowered.find(word, start + len(ERASED_NAME))
    return text


def _forget_unmatched(entry: dict[str, Any], ids: frozenset[str], words: set[str]) -> dict[str, Any]:
    if entry.get("participant_id") in ids:
        return {**entry, "participant_id": ERASED_ID, "params": {}, "sentence": ERASED_SENTENCE}
    return {**entry, "sentence": _scrub_text(str(entry.get("sentence", "")), words)}


def _without_ids(value: Any, ids: frozenset[str]) -> Any:
    if isinstance(value, str):
        for erased in ids:
            value = value.replace(erased, ERASED_ID)
        return value
    if isinstance(value, dict):
        return {_without_ids(k, ids): _without_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_without_ids(v, ids) for v in value]
    return value


def unlinked(entity: DomainModel, ids: frozenset[str]) -> DomainModel | None:
    """``entity`` with each of the erased ``ids`` replaced by ``ERASED_ID``, wherever it is held.

    A participant id is an unkeyed hash of the address, so one left behind names the person
    to anyone who knows it. None when the item's own key holds one: that item must go, as
    it could only be stored again under a new key.
    """
    dumped = entity.model_dump()
    cleared = _without_ids(dumped, ids)
    if cleared == dumped:
        return entity
    replaced = type(entity).model_validate(cleared)
    try:
        if key_of(replaced) != key_of(entity):
            return None
    except TypeError:
        # A whole entity a fake keeps as one (a matching run and its parts) has no key of its own.
        pass
    return replaced


def forget_in_programme(ids: frozenset[str], words: set[str]) -> Rewrite:
    """What becomes of a programme's items when the people ``ids`` (named by ``words``) are erased.

    Their own invitations (to events, or the HR sync's to join), survey requests and
    form-response records go; their entries in matching runs keep the role and the reason's
    code (the run's figures stay true) but lose their id, sentence and parameters; text
    others wrote or were shown that names them is scrubbed; their place slots are freed;
    their ids on what stays (pairs, runs, meetings, survey plans) become ``ERASED_ID``.
    """

    def scrub(entity: DomainModel) -> DomainModel | None:
        if isinstance(entity, OpenInvitation):
            return None if entity.participant_id in ids else entity
        if isinstance(entity, Invitation | SurveyRequest | FormResponse):
            if entity.participant_id in ids:
                return None
            if isinstance(entity, SurveyRequest) and entity.comment:
                comment = _scrub_text(entity.comment, words)
                return entity if comment == entity.comment else entity.model_copy(update={"comment": comment})
            return entity
        if isinstance(entity, RunPart):
            unmatched = [_forget_unmatched(e, ids, words) for e in entity.unmatched]
            return entity if unmatched == entity.unmatched else entity.model_copy(update={"unmatched": unmatched})
        if isinstance(entity, MatchRun):
            before = [e.model_dump(mode="json") for e in entity.unmatched]
            after = [_forget_unmatched(e, ids, words) for e in before]
            if after == before:
                return entity
            return entity.model_copy(update={"unmatched": [UnmatchedEntry.model_validate(e) for e in after]})
        return entity

    def rewrite(entity: DomainModel) -> DomainModel | None:
        if isinstance(entity, Participant) and entity.participant_id in ids:
            # Deleted through its repository afterwards, which also drops it from its indexes.
            return entity
        if isinstance(entity, PlaceSlot) and entity.holder_id in ids:
            return None
        kept = scrub(entity)
        return None if kept is None else unlinked(kept, ids)

    return rewrite


def _forget_synced(storage: Storage, tenant_id: str, ids: frozenset[str]) -> int:
    """Drop the erased ids from the HR sync's fingerprints and delete their claims; how many items changed.

    The fingerprint itself stays, so a person the HR system still lists unchanged is not invited again.
    """
    changed = []
    unclaimed = 0
    for connector in storage.connectors.list(tenant_id):
        for person in storage.synced_people.list(tenant_id, connector.connector_id):
            kept = {programme: pid for programme, pid in person.participants.items() if pid not in ids}
            if kept != person.participants:
                changed.append(person.model_copy(update={"participants": kept}))
        unclaimed += storage.synced_people.unclaim(tenant_id, connector.connector_id, ids)
    return (storage.synced_people.put_many(changed) if changed else 0) + unclaimed


def erase_person(
    storage: Storage,
    notifier: Notifier,
    clock: Clock,
    *,
    tenant_id: str,
    email: str,
    erased_by: str,
    erasure_key: bytes | None,
    stop_watch: WatchStopper | None = None,
) -> Erasure:
    """Erase everything the tenant holds about one person and leave a tombstone; see the module docstring.

    ``email`` may be one of the person's aliases. Every address of theirs gets a tombstone,
    written first, so a delivery arriving while the erasure runs is already a no-op; the
    one asked about also records the counts. Erasing again finishes an interrupted erasure.

    Raises
    ------
    ValidationFailed
        ``email`` is not an e-mail address.
    """
    # ``stop_watch``: how the deployment stops a calendar's watch (None: no calendars are read).
    # ``erasure_key``: the container's, which later signups are checked against (``services.erasures``).
    address = _email(email)
    addresses = person_addresses(storage, tenant_id, address)
    tombstones = [
        Erasure(
            tenant_id=tenant_id,
            subject=erasures.subject(erasure_key, tenant_id, a),
            erased_by=erased_by,
            erased_at=clock.now(),
        )
        for a in addresses
    ]
    for tombstone in reversed(tombstones):
        storage.erasures.record(tombstone)
    for participant in _enrolments(storage, tenant_id, addresses):
        programme = storage.programmes.get(tenant_id, participant.programme_id)
        if programme is not None:
            release_pairs_of(storage, notifier, clock, programme, participant, reason=ERASED_REASON)

    held = holdings(storage, tenant_id, address, erasure_key)
    ids = frozenset(p.participant_id for p in held.participants)
    words = set(held.addresses) | {p.profile.name.lower() for p in held.participants if p.profile.name}
    for pair in held.pairs:
        update: dict[str, Any] = {"explanation": None, "reasons": [], "score": None, "goals": [], "contacts": []}
        if pair.end_reason is not None:
            update["end_reason"] = ERASED_REASON
        storage.pairs.save(pair.model_copy(update=update))
    for message in held.messages_to:
        storage.messages.delete(message)
    for message in held.messages_about:
        if message.recipient.lower() in held.addresses:
            storage.messages.delete(message)
            continue
        scrubbed = {"subject": _scrub_text(message.subject, words), "body_text": _scrub_text(message.body_text, words)}
        kept = unlinked(message.model_copy(update=scrubbed), ids)
        if kept is None:
            storage.messages.delete(message)
        else:
            storage.messages.save(cast(Message, kept))
    for delivery in held.deliveries:
        delete_delivery(delivery, storage)
    # Aliases are found by their owner's id, which the programme's rewrite below replaces.
    aliases = erase_aliases(storage, held.participants)
    programme_items = [0, 0]
    for programme_id in sorted({p.programme_id for p in held.participants}):
        replaced, deleted = rewrite_programme(storage, tenant_id, programme_id, forget_in_programme(ids, words))
        programme_items[0] += replaced
        programme_items[1] += deleted
    synced = _forget_synced(storage, tenant_id, ids)
    for participant in held.participants:
        storage.participants.delete(participant)

    calendars, watches_not_stopped = erase_calendars(
        storage, tenant_id=tenant_id, addresses=held.addresses, participants=held.participants, stop_watch=stop_watch
    )
    counts = {
        "participants": len(held.participants),
        "pairs_scrubbed": len(held.pairs),
        "messages_deleted": len(held.messages_to)
        + sum(m.recipient.lower() in held.addresses for m in held.messages_about),
        "messages_scrubbed": sum(m.recipient.lower() not in held.addresses for m in held.messages_about),
        "deliveries_deleted": len(held.deliveries),
        "calendars_deleted": calendars,
        "calendar_watches_not_stopped": watches_not_stopped,
        "programme_items_scrubbed": programme_items[0] + synced,
        "programme_items_deleted": programme_items[1],
        "aliases_deleted": aliases,
    }
    recorded = storage.erasures.record(tombstones[0].model_copy(update={"items": counts}))
    log_event("person erased", tenant_id=tenant_id, count=sum(counts.values()))
    return recorded


def erasure_summary(erasure: Erasure) -> dict[str, Any]:
    """The erasure as answered to an operator: no subject hash, which would let them look the address up."""
    return {"erased_at": erasure.erased_at.isoformat(), "erased_by": erasure.erased_by, "items": erasure.items}


def erasure_log(storage: Storage, *, tenant_id: str) -> list[dict[str, Any]]:
    """Every erasure of the tenant, newest first, as ``erasure_summary`` gives it."""
    erased = sorted(storage.erasures.list(tenant_id), key=lambda e: e.erased_at, reverse=True)
    return [erasure_summary(e) for e in erased]
