"""The signup story's builders: its tenant and programme, form submissions, mappings and multipart bodies."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.forms.submission import Answer, AnswerType, AnswerValue, FormSubmission
from chalicelib.domain.programme import Programme
from tests.support.builders import cohort_programme

TENANT = "ten_kcb"
PROGRAMME = "prg_mentorstvo"
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def make_programme(**changes: Any) -> Programme:
    fields: dict[str, Any] = {"matching_date": date(2026, 10, 1), "default_language": "sr"}
    return cohort_programme(TENANT, PROGRAMME, now=NOW, **(fields | changes))


def answer(label: str, value: AnswerValue, type_: AnswerType = AnswerType.TEXT, **extra: Any) -> Answer:
    return Answer(id=extra.pop("id", label.lower().replace(" ", "_")), label=label, type=type_, value=value, **extra)


def submission(*answers: Answer, at: datetime = NOW, **fields: Any) -> FormSubmission:
    values: dict[str, Any] = {
        "source": "standard",
        "form_id": "form_1",
        "submission_id": "resp_1",
        "submitted_at": at,
        "answers": list(answers),
    }
    values.update(fields)
    return FormSubmission(**values)


def signup(
    *,
    name: str = "Đorđe Đorđević",
    email: str = "djordje@example.rs",
    role: str = "Mentee",
    consent: AnswerValue = True,
    at: datetime = NOW,
    language: str = "Srpski",
    **more: AnswerValue,
) -> FormSubmission:
    """A signup as the simple mapping below reads it; extra keyword answers are added by label."""
    answers = [
        answer("Full name", name),
        answer("Email", email, AnswerType.EMAIL),
        answer("Role", role, AnswerType.CHOICE),
        answer("Language", language, AnswerType.CHOICE),
        answer("Consent", consent, AnswerType.BOOLEAN),
    ]
    answers += [answer(label, value) for label, value in more.items()]
    return submission(*answers, at=at)


SIMPLE_MAPPING: dict[str, Any] = {
    "role": {"label": "Role", "choices": {"Mentor": "mentor", "Mentee": "mentee"}},
    "email": {"label": "Email"},
    "name": {"label": "Full name"},
    "language": {
        "label": "Language",
        "choices": {"English": "en", "Srpski": "sr", "Lietuvių": "lt", "Slovenščina": "sl", "Dansk": "da"},
    },
    "consent": {"label": "Consent", "required": True},
}


def simple_mapping(**changes: Any) -> FieldMapping:
    return FieldMapping.model_validate(SIMPLE_MAPPING | changes)


def multipart(fields: dict[str, str], *, boundary: str | None = None) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body as browsers and Jotform write it, and its content type."""
    boundary = boundary or "----mentorflow" + secrets.token_hex(8)
    chunks = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def jotform_fields(raw_request: dict[str, Any] | str, *, submission_id: str = "5912345678901234567") -> dict[str, str]:
    raw = raw_request if isinstance(raw_request, str) else json.dumps(raw_request, ensure_ascii=False)
    return {
        "formID": "243231271343446",
        "submissionID": submission_id,
        "webhookURL": "https://mentorflow.example.org/hooks/jotform/ep_1",
        "ip": "192.0.2.10",
        "formTitle": "Mentee signup",
        "pretty": "Full Name:Eglė Čiurlionytė, E-mail:egle@example.lt",
        "username": "coordinator",
        "rawRequest": raw,
        "type": "WEB",
    }


JOTFORM_SIGNUP: dict[str, Any] = {
    "slug": "submit/243231271343446",
    "q3_fullName": {"first": "Eglė", "last": "Čiurlionytė"},
    "q4_email": "Egle.Ciurlionyte@Example.LT ",
    "q5_language": "Lietuvių",
    "q6_topics": ["Leadership", "Public speaking"],
    "q7_consent": ["I agree that my answers are used to match me within this programme."],
    "q8_birthDate": {"month": "04", "day": "19", "year": "1990"},
    "event_id": "1732615894703_243231271343446_abc",
}

JOTFORM_MAPPING: dict[str, Any] = {
    "role": {"constant": "mentee"},
    "email": {"ref": "email"},
    "name": {"ref": "fullName"},
    "language": {"ref": "language", "choices": {"Lietuvių": "lt", "English": "en"}},
    "tags": {"ref": "topics", "pass_through": True},
    "consent": {"id": "7", "required": True},
}
