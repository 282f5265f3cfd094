"""Jotform webhooks: a form post whose ``rawRequest`` field holds the answers as JSON.

Jotform signs nothing. The endpoint's secret is a long random token that the
coordinator puts in the webhook URL (``?token=…``); a request without it, or with
another, is refused. Jotform posts ``multipart/form-data`` (fields ``formID``,
``submissionID``, ``pretty``, ``rawRequest`` …); the url-encoded flavour is read too.
The delivery id is ``submissionID`` and a digest of the answers, so a redelivery is one
delivery and an edited submission (same id, other answers) is processed, not dropped.

Answers in ``rawRequest`` are keyed ``q<qid>_<unique name>`` (``q3_fullName``): the
qid becomes ``Answer.id`` and the unique name ``Answer.ref``. Jotform sends no question
labels and no submission time, so mappings select Jotform questions by ref or id, and
the time the delivery was received stands in for the submission time.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

from chalicelib.domain.forms.submission import Answer, AnswerType, AnswerValue, FormSubmission, SubmissionParseError
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec, WebhookRequest
from chalicelib.webhooks.signing import SharedToken, TokenPlace
from chalicelib.webhooks.sources._payload import MAX_ID_LENGTH, aware

NAME = "jotform"
TOKEN_PARAMETER = "token"  # noqa: S105 - the name of the query parameter, not a token
MAX_FORM_FIELDS = 1000
_QUESTION_KEY = re.compile(r"^q(\d+)_(.+)$")
_NAME_PARTS = ("prefix", "first", "middle", "last", "suffix")
_DATE_PARTS = frozenset({"month", "day", "year"})


SIGNING = SharedToken(place=TokenPlace.QUERY, name=TOKEN_PARAMETER)


def submission_id(request: WebhookRequest) -> str | None:
    """Jotform's ``submissionID`` form field with a digest of ``rawRequest``: the delivery id."""
    try:
        fields = read_form_fields(request.body, request.header("content-type") or "")
    except SubmissionParseError:
        return None
    found = (fields.get("submissionID") or "").strip()
    if not found or len(found) > MAX_ID_LENGTH - 17:
        return None
    answers = hashlib.sha256((fields.get("rawRequest") or "").encode("utf-8")).hexdigest()[:16]
    return f"{found}.{answers}"


def read_form_fields(body: bytes, content_type: str) -> dict[str, str]:
    """The text fields of a ``multipart/form-data`` or url-encoded body; uploaded files are skipped.

    Raises
    ------
    SubmissionParseError
        The body is neither, or is malformed.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return _urlencoded(body)
    if media_type == "multipart/form-data":
        return _multipart(body, content_type)
    raise SubmissionParseError(f"Jotform posts form data, not {media_type or 'an unnamed content type'}")


def _urlencoded(body: bytes) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
        )
    except UnicodeDecodeError as exc:
        raise SubmissionParseError("Jotform form body is not UTF-8") from exc
    except ValueError as exc:
        raise SubmissionParseError("Jotform form body has too many fields") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def _boundary(body: bytes, content_type: str) -> str:
    header = Message()
    header["content-type"] = content_type
    declared = header.get_param("boundary")
    if isinstance(declared, str) and declared:
        return declared
    # Some proxies drop the parameter; the first line of the body still names the boundary.
    first_line = body.split(b"\r\n", 1)[0].strip()
    if first_line.startswith(b"--") and 2 < len(first_line) <= 72:
        return first_line[2:].decode("ascii", errors="replace")
    raise SubmissionParseError("Jotform multipart body has no boundary")


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    boundary = _boundary(body, content_type)
    if '"' in boundary or "\r" in boundary or "\n" in boundary:
        raise SubmissionParseError("Jotform multipart boundary is malformed")
    head = f'Content-Type: multipart/form-data; boundary="{boundary}"\r\nMIME-Version: 1.0\r\n\r\n'.encode("ascii")
    message = BytesParser(policy=email_policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise SubmissionParseError("Jotform body is not multipart form data")
    fields: dict[str, str] = {}
    for count, part in enumerate(message.iter_parts()):
        if count >= MAX_FORM_FIELDS:
            raise SubmissionParseError("Jotform form body has too many fields")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise SubmissionParseError(f"Jotform form field {name[:60]!r} is not {charset[:30]} text") from exc
        fields.setdefault(name, text)
    if not fields:
        raise SubmissionParseError("Jotform multipart body has no form fields")
    return fields


def parse_jotform(body: bytes | None, content_type: str, received_at: datetime) -> FormSubmission:
    """Read a Jotform webhook body; ``received_at`` stands in for the submission time Jotform does not send.

    Raises
    ------
    SubmissionParseError
        The body is not Jotform's form post, or its ``rawRequest`` is not a JSON object.
    """
    if body is None:
        raise SubmissionParseError("the raw body is no longer kept, so the submission cannot be read")
    fields = read_form_fields(body, content_type)
    submission_id = (fields.get("submissionID") or "").strip()
    if not submission_id:
        raise SubmissionParseError("Jotform body has no submissionID field")
    raw_request = fields.get("rawRequest")
    if raw_request is None:
        raise SubmissionParseError("Jotform body has no rawRequest field")
    try:
        answers_json = json.loads(raw_request)
    except json.JSONDecodeError as exc:
        raise SubmissionParseError(
            f"Jotform rawRequest is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise SubmissionParseError("Jotform rawRequest is nested too deeply") from exc
    if not isinstance(answers_json, dict):
        raise SubmissionParseError("Jotform rawRequest is not a JSON object")
    return FormSubmission(
        source=NAME,
        form_id=(fields.get("formID") or "").strip() or None,
        submission_id=submission_id,
        submitted_at=aware(received_at),
        answers=answers_from_raw_request(answers_json),
    )


def answers_from_raw_request(raw: Mapping[str, Any]) -> list[Answer]:
    """Every ``q<qid>_<name>`` entry as an answer; uploads are read from ``temp_upload`` and their URL lists."""
    answers: list[Answer] = []
    for key, value in raw.items():
        matched = _QUESTION_KEY.match(key)
        if matched is None:
            continue
        answer_type, plain = _value(value)
        answers.append(
            Answer(id=matched.group(1), ref=matched.group(2), type=answer_type, value=plain, vendor_type=None)
        )
    uploads = raw.get("temp_upload")
    if isinstance(uploads, dict):
        for key in uploads:
            matched = _QUESTION_KEY.match(str(key))
            if matched is None:
                continue
            urls = raw.get(matched.group(2))
            answers.append(
                Answer(
                    id=matched.group(1),
                    ref=matched.group(2),
                    type=AnswerType.FILE,
                    value=[u for u in urls if isinstance(u, str)] if isinstance(urls, list) else [],
                    vendor_type="control_fileupload",
                )
            )
    return answers


def _value(value: Any) -> tuple[AnswerType, AnswerValue]:
    if value is None:
        return AnswerType.TEXT, None
    if isinstance(value, bool | int | float):
        return AnswerType.NUMBER if not isinstance(value, bool) else AnswerType.BOOLEAN, value
    if isinstance(value, str):
        return AnswerType.TEXT, value if value.strip() else None
    if isinstance(value, list):
        return AnswerType.CHOICES, [_text(item) for item in value if _text(item).strip()]
    if isinstance(value, dict):
        keys = set(value)
        if keys and keys <= set(_NAME_PARTS):
            parts = [_text(value.get(part)).strip() for part in _NAME_PARTS]
            joined = " ".join(part for part in parts if part)
            return AnswerType.TEXT, joined or None
        if keys >= _DATE_PARTS:
            return AnswerType.DATE, _date(value)
        flat: dict[str, str | list[str]] = {str(k): _text(v) for k, v in value.items() if _text(v).strip()}
        return AnswerType.OTHER, flat or None
    return AnswerType.OTHER, None


def _date(value: Mapping[str, Any]) -> str | None:
    year, month, day = (_text(value.get(k)).strip() for k in ("year", "month", "day"))
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        return None
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _parse_signup(delivery: Delivery) -> FormSubmission:
    content_type = delivery.headers.get("content-type") or delivery.content_type
    return parse_jotform(delivery.body, content_type, delivery.received_at)


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.SIGNUP: _parse_signup, Purpose.SURVEY: _parse_signup},
    content_types=("multipart/form-data", "application/x-www-form-urlencoded"),
    secret_style=SecretStyle.TOKEN,
    token_parameter=TOKEN_PARAMETER,
    delivery_id=submission_id,
)
