"""Signed vendor payloads for the demo: form signups, a survey answered in a form tool, a Cal.com booking.

Each form tool posts in its own shape and signs its own way (``chalicelib.webhooks.sources``);
the answers are addressed by the selectors of the platform kit's mapping
(``integrations/<kit>/mapping.*.json``: a ``ref``, a ``label`` or a Jotform unique name), so a
signup built here is read by the same mapping a coordinator installs. Only the demo's
fictional people ever pass through here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from chalicelib.webhooks.signing import StandardWebhooksVerifier
from chalicelib.webhooks.sources import calcom, tally, typeform

KITS = Path(__file__).resolve().parents[1] / "integrations"
KIT_FOLDER = {
    "typeform": "typeform",
    "tally": "tally",
    "jotform": "jotform",
    "google-forms": "google-forms",
    "standard": "microsoft-forms",
}
# The choice texts the kits' mappings turn into language codes.
LANGUAGE_CHOICES = {"en": "English", "sr": "Srpski", "lt": "Lietuvių", "sl": "Slovenščina", "da": "Dansk"}


@dataclass(frozen=True)
class WebhookPost:
    """One request a vendor would send: the path (with a query where the vendor signs by token), headers, body."""

    path: str
    headers: dict[str, str]
    body: bytes


def kit_mapping(source: str, role: str) -> dict[str, Any]:
    """The platform kit's signup mapping for ``role`` (``mentor`` or ``mentee``), as the JSON the API takes."""
    path = KITS / KIT_FOLDER[source] / f"mapping.{role}-signup.json"
    mapping: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return mapping


def standard_headers(
    secret: str, body: bytes, *, msg_id: str, at: datetime, content_type: str = "application/json"
) -> dict[str, str]:
    """Standard Webhooks headers signing ``body`` at ``at`` (Microsoft Forms and Google Forms kits post so)."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": StandardWebhooksVerifier.sign(secret, msg_id, timestamp, body),
        "Content-Type": content_type,
    }


# The order in which the kits list a question's titles in ``labels``.
_LABEL_LANGUAGES = ("en", "sl", "da", "lt", "sr")


def _selector(rule: Any, language: str | None = None) -> tuple[str, str] | None:
    if not isinstance(rule, dict) or "constant" in rule:
        return None
    if isinstance(rule.get("labels"), list) and rule["labels"]:
        # The form is written in the programme's language, as its respondents would see it.
        titles = rule["labels"]
        index = _LABEL_LANGUAGES.index(language) if language in _LABEL_LANGUAGES else 0
        return "label", str(titles[index] if index < len(titles) else titles[0])
    for kind in ("ref", "label", "id"):
        if kind in rule:
            return kind, str(rule[kind])
    return None


def _as_choice(rule: dict[str, Any], value: Any) -> Any:
    """A code as the choice text the respondent picked (the mapping turns it back into the code)."""
    choices = rule.get("choices")
    if not choices:
        return value
    texts = {code: text for text, code in reversed(list(choices.items()))}
    return [texts.get(v, v) for v in value] if isinstance(value, list) else texts.get(value, value)


def form_answers(mapping: dict[str, Any], profile: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(selector kind, selector, answer) for every profile field the mapping reads and the person gave."""
    answers = []
    for field, rule in mapping.items():
        selected = _selector(rule, profile.get("language"))
        if selected is None or profile.get(field) is None:
            continue
        answers.append((*selected, _as_choice(rule, profile[field])))
    return answers


def signup_post(
    source: str,
    endpoint_id: str,
    secret: str,
    mapping: dict[str, Any],
    profile: dict[str, Any],
    *,
    number: int,
    at: datetime,
) -> WebhookPost:
    """A signed signup from ``source``'s form with the person's ``profile`` answered to ``mapping``'s questions."""
    answers = form_answers(mapping, profile)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if source == "typeform":
        return _typeform(endpoint_id, secret, answers, number, stamp)
    if source == "tally":
        return _tally(endpoint_id, secret, answers, number, stamp)
    if source == "jotform":
        return _jotform(endpoint_id, secret, answers, number)
    body = _standard_body(answers, form_id=f"{source}-signup", response_id=f"r{number}", stamp=stamp, hidden={})
    return WebhookPost(
        f"/hooks/{source}/{endpoint_id}", standard_headers(secret, body, msg_id=f"msg_{number}", at=at), body
    )


def survey_form_post(
    endpoint_id: str,
    secret: str,
    *,
    survey_id: str,
    rating: int,
    good_fit: bool,
    comment: str,
    at: datetime,
) -> WebhookPost:
    """A survey answered in a form tool posting Standard Webhooks, carrying the hidden ``survey_id``.

    One response per survey: its id names the delivery, so a resent answer is a duplicate.
    """
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    answers = [("ref", "rating", rating), ("ref", "good_fit", "Yes" if good_fit else "No"), ("ref", "comment", comment)]
    body = _standard_body(
        answers, form_id="survey", response_id=survey_id, stamp=stamp, hidden={"survey_id": survey_id}
    )
    headers = standard_headers(secret, body, msg_id=f"answer_{survey_id}", at=at)
    return WebhookPost(f"/hooks/standard/{endpoint_id}", headers, body)


def calcom_booking_post(
    endpoint_id: str, secret: str, *, uid: str, organizer: str, attendee: str, starts_at: datetime, booked_at: datetime
) -> WebhookPost:
    """Cal.com's ``BOOKING_CREATED`` for an hour-long meeting the organiser booked with the attendee."""
    body = json.dumps(
        {
            "triggerEvent": "BOOKING_CREATED",
            "createdAt": booked_at.isoformat(),
            "payload": {
                "uid": uid,
                "title": "Mentoring",
                "startTime": starts_at.isoformat(),
                "endTime": (starts_at + timedelta(hours=1)).isoformat(),
                "organizer": {"email": organizer},
                "attendees": [{"email": attendee}],
            },
        }
    ).encode()
    headers = {"Content-Type": "application/json", "X-Cal-Signature-256": calcom.SIGNING.sign(secret, body)}
    return WebhookPost(f"/hooks/calcom/{endpoint_id}", headers, body)


def _typeform_answer(kind: str, selector: str, value: Any) -> dict[str, Any]:
    field = {"id": f"f_{selector}", "ref": selector}
    if isinstance(value, bool):
        return {"type": "boolean", "boolean": value, "field": {**field, "type": "legal"}}
    if isinstance(value, int):
        return {"type": "number", "number": value, "field": {**field, "type": "number"}}
    if isinstance(value, list):
        return {"type": "choices", "choices": {"labels": value}, "field": {**field, "type": "multiple_choice"}}
    return {"type": "text", "text": value, "field": {**field, "type": "short_text"}}


def _typeform(
    endpoint_id: str, secret: str, answers: list[tuple[str, str, Any]], number: int, stamp: str
) -> WebhookPost:
    body = json.dumps(
        {
            "event_id": f"evt-{number}",
            "event_type": "form_response",
            "form_response": {
                "form_id": "signup",
                "token": f"tf{number}",
                "submitted_at": stamp,
                "landed_at": stamp,
                "answers": [_typeform_answer(*a) for a in answers],
            },
        },
        ensure_ascii=False,
    ).encode()
    headers = {"Content-Type": "application/json", "Typeform-Signature": typeform.SIGNING.sign(secret, body)}
    return WebhookPost(f"/hooks/typeform/{endpoint_id}", headers, body)


def _tally_field(index: int, label: str, value: Any) -> dict[str, Any]:
    key = f"question_{index}"
    if isinstance(value, bool):
        return {"key": key, "label": label, "type": "INPUT_TEXT", "value": "Yes" if value else "No"}
    if isinstance(value, int):
        return {"key": key, "label": label, "type": "INPUT_NUMBER", "value": value}
    if isinstance(value, list):
        options = [{"id": text, "text": text} for text in value]
        return {"key": key, "label": label, "type": "CHECKBOXES", "value": value, "options": options}
    return {"key": key, "label": label, "type": "INPUT_TEXT", "value": value}


def _tally(endpoint_id: str, secret: str, answers: list[tuple[str, str, Any]], number: int, stamp: str) -> WebhookPost:
    body = json.dumps(
        {
            "eventId": f"evt-{number}",
            "eventType": "FORM_RESPONSE",
            "createdAt": stamp,
            "data": {
                "responseId": f"tl{number}",
                "submissionId": f"tl{number}",
                "respondentId": f"resp{number}",
                "formId": "signup",
                "formName": "Signup",
                "createdAt": stamp,
                "fields": [_tally_field(i, selector, value) for i, (_kind, selector, value) in enumerate(answers)],
            },
        },
        ensure_ascii=False,
    ).encode()
    headers = {"Content-Type": "application/json", "Tally-Signature": tally.SIGNING.sign(secret, body)}
    return WebhookPost(f"/hooks/tally/{endpoint_id}", headers, body)


def _jotform(endpoint_id: str, secret: str, answers: list[tuple[str, str, Any]], number: int) -> WebhookPost:
    raw = {f"q{i + 3}_{selector}": _jotform_value(value) for i, (_kind, selector, value) in enumerate(answers)}
    body = urlencode(
        {
            "formID": "2432312713",
            "submissionID": f"59123456789{number:04d}",
            "rawRequest": json.dumps(raw, ensure_ascii=False),
            "type": "WEB",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return WebhookPost(f"/hooks/jotform/{endpoint_id}?{urlencode({'token': secret})}", headers, body)


def _jotform_value(value: Any) -> Any:
    if isinstance(value, bool):
        return ["Yes"] if value else []
    return str(value) if isinstance(value, int) else value


def _standard_body(
    answers: list[tuple[str, str, Any]], *, form_id: str, response_id: str, stamp: str, hidden: dict[str, str]
) -> bytes:
    def answer(index: int, kind: str, selector: str, value: Any) -> dict[str, Any]:
        shape = "choices" if isinstance(value, list) else "text" if isinstance(value, bool | str) else "number"
        named = {"title": selector} if kind == "label" else {"ref": selector}
        return {"id": f"q{index}", **named, "type": shape, "value": "Yes" if value is True else value}

    return json.dumps(
        {
            "type": "form.submitted",
            "timestamp": stamp,
            "data": {
                "form_id": form_id,
                "response_id": response_id,
                "submitted_at": stamp,
                "answers": [answer(i, *a) for i, a in enumerate(answers)],
                "hidden": hidden,
            },
        },
        ensure_ascii=False,
    ).encode()
