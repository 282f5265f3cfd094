"""Specification of the signup handler behind each form source (parse → map → onboard) and of the dry run."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.webhook import Delivery, DeliveryState, Purpose, WebhookEndpoint
from chalicelib.intake.processor import handle_signup, preview
from chalicelib.notify.outbox import Notifier
from chalicelib.registry import source_registry
from chalicelib.services.inbox import dispatch
from chalicelib.services.inbox.ports import ProcessingContext, ProcessOutcome
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import tally
from tests.support.events import load_event
from tests.support.forms import (
    JOTFORM_MAPPING,
    JOTFORM_SIGNUP,
    NOW,
    PROGRAMME,
    SIMPLE_MAPPING,
    TENANT,
    jotform_fields,
    make_programme,
    multipart,
    signup,
)

TYPEFORM_MAPPING: dict[str, Any] = {
    "role": {"hidden": "user_id", "choices": {"abc123456": "mentee"}},
    "email": {"ref": "readable_ref_email"},
    "name": {"ref": "readable_ref_short_text"},
    "tags": {"id": "PNe8ZKBK8C2Q", "pass_through": True},
    "consent": {"ref": "readable_ref_legal", "required": True},
}


def _endpoint(source: str, mapping: dict[str, Any] | None) -> WebhookEndpoint:
    return WebhookEndpoint(
        endpoint_id="ep_1",
        tenant_id=TENANT,
        programme_id=PROGRAMME,
        source=source,
        field_mapping=None if mapping is None else FieldMapping.model_validate(mapping),
        created_at=NOW,
        updated_at=NOW,
    )


def _delivery(source: str, body: bytes, content_type: str = "application/json") -> Delivery:
    return Delivery(
        delivery_id="d1",
        endpoint_id="ep_1",
        tenant_id=TENANT,
        programme_id=PROGRAMME,
        source=source,
        content_type=content_type,
        body=body,
        headers={"content-type": content_type},
        received_at=NOW,
        updated_at=NOW,
    )


def process_form_delivery(delivery: Delivery, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    """What the inbox does with a stored signup delivery: its source's parser, then the signup handler."""
    return dispatch(delivery, endpoint, source_registry(), ctx)


@pytest.fixture
def ctx(storage: Storage, notifier: Notifier, clock: FixedClock) -> ProcessingContext:
    storage.programmes.save(make_programme())
    return ProcessingContext(storage=storage, notifier=notifier, clock=clock)


def test_the_published_typeform_response_onboards_laura(ctx: ProcessingContext) -> None:
    # GIVEN Typeform's example delivered to an endpoint with a mapping for it
    delivery = _delivery("typeform", load_event("typeform_form_response.json"))

    # WHEN processed
    outcome = process_form_delivery(delivery, _endpoint("typeform", TYPEFORM_MAPPING), ctx)

    # THEN Laura is an accepted mentee and welcomed
    assert outcome.state is DeliveryState.DONE
    assert outcome.result is not None
    stored = ctx.storage.participants.get(TENANT, PROGRAMME, outcome.result["participant_id"])
    assert stored is not None
    assert (stored.profile.name, stored.profile.email, stored.profile.tags) == (
        "Laura",
        "laura@example.com",
        ["London", "Sydney"],
    )
    assert stored.status is ParticipantStatus.ACCEPTED
    assert outcome.result["outcome"] == "created"
    assert outcome.result["message_id"]


def test_the_jotform_signup_onboards_through_its_form_post(ctx: ProcessingContext) -> None:
    body, content_type = multipart(jotform_fields(JOTFORM_SIGNUP))
    outcome = process_form_delivery(
        _delivery("jotform", body, content_type), _endpoint("jotform", JOTFORM_MAPPING), ctx
    )
    assert outcome.state is DeliveryState.DONE
    [stored] = ctx.storage.participants.list(TENANT, PROGRAMME).items
    assert (stored.profile.name, stored.profile.email, stored.profile.language) == (
        "Eglė Čiurlionytė",
        "egle.ciurlionyte@example.lt",
        "lt",
    )


def test_an_endpoint_without_a_mapping_keeps_the_delivery_for_attention(ctx: ProcessingContext) -> None:
    outcome = process_form_delivery(
        _delivery("typeform", load_event("typeform_form_response.json")), _endpoint("typeform", None), ctx
    )
    assert (outcome.state, outcome.reason) == (
        DeliveryState.NEEDS_ATTENTION,
        "no field mapping is configured for this endpoint",
    )


def test_an_unreadable_body_is_kept_for_attention_with_what_is_wrong(ctx: ProcessingContext) -> None:
    body = load_event("typeform_form_response.json")[:500]
    outcome = process_form_delivery(_delivery("typeform", body), _endpoint("typeform", TYPEFORM_MAPPING), ctx)
    assert outcome.state is DeliveryState.NEEDS_ATTENTION
    assert outcome.reason is not None
    assert outcome.reason.startswith("the submission cannot be read: Typeform body is not valid JSON")
    assert ctx.storage.participants.list(TENANT, PROGRAMME).items == []


def test_a_delivery_whose_body_has_expired_is_kept_for_attention(ctx: ProcessingContext) -> None:
    delivery = _delivery("tally", b"{}").model_copy(update={"body": None})
    outcome = process_form_delivery(delivery, _endpoint("tally", TYPEFORM_MAPPING), ctx)
    assert outcome.state is DeliveryState.NEEDS_ATTENTION
    assert "no longer kept" in (outcome.reason or "")


def test_another_event_type_is_ignored(ctx: ProcessingContext) -> None:
    body = load_event("standardwebhooks_contact.created_full.json")
    outcome = process_form_delivery(_delivery("standard", body), _endpoint("standard", TYPEFORM_MAPPING), ctx)
    assert outcome.state is DeliveryState.IGNORED


def test_answers_that_do_not_fit_are_kept_with_each_problem(ctx: ProcessingContext) -> None:
    # GIVEN a mapping whose required language question is answered with a name not in its table
    mapping = TYPEFORM_MAPPING | {
        "language": {"ref": "readable_ref_multiple_choice", "choices": {"Paris": "fr"}, "required": True}
    }

    # WHEN the example is processed
    outcome = process_form_delivery(
        _delivery("typeform", load_event("typeform_form_response.json")), _endpoint("typeform", mapping), ctx
    )

    # THEN
    assert outcome.state is DeliveryState.NEEDS_ATTENTION
    # (the answer itself is not quoted: the reason is stored on the delivery and printed by the CLI)
    assert outcome.reason == 'the answers do not fit the field mapping: language: unknown choice "…" for language'
    assert outcome.result == {
        "submission_id": "a3a12ec67a1365927098a606107fac15",
        "problems": [{"field": "language", "code": "unknown_choice", "reason": 'unknown choice "…" for language'}],
    }
    json.dumps(outcome.result)


def test_a_signup_without_consent_is_kept_and_nobody_is_stored(ctx: ProcessingContext) -> None:
    # GIVEN the consent mapped to the example's "no" answer
    mapping = TYPEFORM_MAPPING | {"consent": {"ref": "readable_ref_yes_no"}}
    outcome = process_form_delivery(
        _delivery("typeform", load_event("typeform_form_response.json")), _endpoint("typeform", mapping), ctx
    )
    assert (outcome.state, outcome.reason) == (DeliveryState.NEEDS_ATTENTION, "consent not given")
    assert ctx.storage.participants.list(TENANT, PROGRAMME).items == []
    assert list(ctx.storage.messages.all) == []  # type: ignore[attr-defined]


def test_a_preview_shows_the_profile_or_the_problems_and_writes_nothing(ctx: ProcessingContext) -> None:
    # GIVEN a stored Tally delivery, a mapping that fits it and one that does not
    delivery = _delivery("tally", load_event("tally_FORM_RESPONSE.json"))
    good = FieldMapping.model_validate(
        {
            "role": {"constant": "mentor"},
            "email": {"label": "Email"},
            "name": {"label": "Payment (name)"},
            "capacity": {"label": "Number"},
            "tags": {"label": "Multi-select"},
            "ranked_preferences": {"label": "Ranking"},
            "consent": {"label": "Checkboxes (Swimming)"},
        }
    )
    bad = FieldMapping.model_validate(
        good.model_dump(exclude_none=True)
        | {"language": {"label": "Dropdown", "choices": {"Easy": "en"}, "required": True}}
    )

    # WHEN both are tried on the stored Tally example
    read = tally.SPEC.parsers[Purpose.SIGNUP]
    shown = preview(delivery, read, good)
    refused = preview(delivery, read, bad)

    # THEN the first shows the profile, the second the problem, and nothing is stored
    assert shown.ok
    assert shown.profile is not None
    assert (shown.profile.name, shown.profile.capacity, shown.profile.ranked_topics) == (
        "Alice Smith",
        10,
        ["Pear", "Apple", "Banana"],
    )
    assert shown.submission is not None
    assert shown.submission.hidden == {"utm_campaign": "newsletter"}
    assert not refused.ok
    assert [(p.field, p.reason) for p in refused.problems] == [("language", 'unknown choice "Hard" for language')]
    assert ctx.storage.participants.list(TENANT, PROGRAMME).items == []


def test_every_form_source_feeds_the_signup_handler_and_surveys_go_elsewhere() -> None:
    registry = source_registry()
    specs = {name: spec for name, spec in registry.specs.items() if Purpose.SIGNUP in spec.parsers}
    assert set(specs) == {"typeform", "tally", "jotform", "google-forms", "standard"}
    assert "multipart/form-data" in specs["jotform"].content_types
    assert "application/x-www-form-urlencoded" in specs["jotform"].content_types
    assert specs["typeform"].content_types == ("application/json",)
    assert all(registry.purposes(name)[0] is Purpose.SIGNUP for name in specs)
    assert all(set(registry.purposes(name)) <= {Purpose.SIGNUP, Purpose.SURVEY} for name in specs)
    assert all(route[1] is not handle_signup for name in specs if (route := registry.route(name, Purpose.SURVEY)))
    assert all(route[1] is handle_signup for name in specs if (route := registry.route(name, Purpose.SIGNUP)))


def test_the_same_e_mail_through_the_mentee_form_does_not_turn_a_mentor_into_a_mentee(
    ctx: ProcessingContext,
) -> None:
    # GIVEN Đorđe enrolled as a mentor with two places
    mapping = FieldMapping.model_validate(SIMPLE_MAPPING | {"capacity": {"label": "Places"}})
    endpoint = _endpoint("tally", None).model_copy(update={"field_mapping": mapping})
    as_mentor = handle_signup(signup(role="Mentor", Places="2"), endpoint, ctx)
    assert as_mentor.state is DeliveryState.DONE

    # WHEN a later signup with the same e-mail arrives through the mentee form
    as_mentee = handle_signup(signup(role="Mentee", at=NOW + timedelta(days=1)), endpoint, ctx)

    # THEN it is kept for a coordinator, and Đorđe is still a mentor with his places
    assert as_mentee.state is DeliveryState.NEEDS_ATTENTION
    assert as_mentee.reason is not None
    assert "other role" in as_mentee.reason
    assert as_mentor.result is not None
    stored = ctx.storage.participants.get(TENANT, PROGRAMME, as_mentor.result["participant_id"])
    assert stored is not None
    assert (stored.profile.role.value, stored.profile.capacity) == ("mentor", 2)


def test_an_edit_that_corrects_the_e_mail_moves_the_person_instead_of_making_a_second_one(
    ctx: ProcessingContext,
) -> None:
    # GIVEN a mentee who signed up with a mistyped address, and places for one mentee only
    ctx.storage.programmes.save(make_programme(max_mentees=1).model_copy(update={"version": 1}))
    endpoint = _endpoint("tally", None).model_copy(
        update={"field_mapping": FieldMapping.model_validate(SIMPLE_MAPPING)}
    )
    typo = handle_signup(signup(email="djordje@exmaple.rs"), endpoint, ctx)
    assert typo.state is DeliveryState.DONE

    # WHEN she edits the same response an hour later to fix it
    fixed = handle_signup(signup(email="djordje@example.rs", at=NOW + timedelta(hours=1)), endpoint, ctx)

    # THEN the corrected record holds the place, and the typo record holds nothing and cannot be matched
    assert fixed.state is DeliveryState.DONE
    assert typo.result is not None
    assert fixed.result is not None
    corrected = ctx.storage.participants.get(TENANT, PROGRAMME, fixed.result["participant_id"])
    mistyped = ctx.storage.participants.get(TENANT, PROGRAMME, typo.result["participant_id"])
    assert corrected is not None
    assert mistyped is not None
    assert corrected.status is ParticipantStatus.ACCEPTED
    assert mistyped.status is ParticipantStatus.WITHDRAWN


def test_an_older_copy_of_a_corrected_response_arriving_late_changes_nothing(ctx: ProcessingContext) -> None:
    # GIVEN a response whose address was already corrected
    endpoint = _endpoint("tally", None).model_copy(
        update={"field_mapping": FieldMapping.model_validate(SIMPLE_MAPPING)}
    )
    handle_signup(signup(email="djordje@exmaple.rs"), endpoint, ctx)
    fixed = handle_signup(signup(email="djordje@example.rs", at=NOW + timedelta(hours=1)), endpoint, ctx)

    # WHEN the first version is delivered again
    late = handle_signup(signup(email="djordje@exmaple.rs"), endpoint, ctx)

    # THEN the corrected person stays accepted
    assert late.state is DeliveryState.DONE
    assert fixed.result is not None
    corrected = ctx.storage.participants.get(TENANT, PROGRAMME, fixed.result["participant_id"])
    assert corrected is not None
    assert corrected.status is ParticipantStatus.ACCEPTED
