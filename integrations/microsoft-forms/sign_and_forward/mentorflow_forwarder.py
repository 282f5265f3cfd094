"""Sign a mentorflow form submission the Standard Webhooks way and forward it: what Power Automate cannot do.

Power Automate's expression language has no HMAC function, so the flow cannot sign.
The flow posts its Compose output (the neutral ``form.submitted`` JSON) to this Azure
Function; the function tidies what Microsoft Forms hands over as text, signs the body
with the endpoint secret from its own settings and posts it to the one mentorflow URL
it is configured with. It never forwards anywhere else, so a leaked function key lets
nobody use it to sign or send to other addresses.

Answers to the flow: 200 when mentorflow took the submission; 503 when mentorflow was
unreachable or failing (Power Automate's retry policy tries again); 400 when the flow
sent something that is not a submission and 424 when mentorflow refused it (a wrong
secret, a deleted endpoint): neither is retried, the run fails and shows why.

Pure apart from ``forward``'s one HTTP call through the session it is given; no Azure imports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

URL_SETTING = "MENTORFLOW_URL"
SECRET_SETTING = "MENTORFLOW_SECRET"  # noqa: S105 -- the setting's name, not a credential
SUBMISSION_EVENT = "form.submitted"
PLATFORM = "microsoft-forms"
# (connect, read) seconds; the flow's HTTP action waits up to 2 minutes for the function.
TIMEOUT = (5, 30)
_HOOK_PATH = re.compile(r"/hooks/standard/[^/]+$")
_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
_MS_FORMS_TIME = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p")
# The answer types of integrations/standard-submission.schema.json.
ANSWER_TYPES = (
    "text", "email", "number", "boolean", "date", "time", "phone", "url",
    "choice", "choices", "ranking", "file", "payment", "matrix", "calculated", "other",
)  # fmt: skip
_LIST_TYPES = frozenset({"choices", "ranking", "file"})
_NUMBER_TYPES = frozenset({"number"})
_ID_LENGTH = 200


class ConfigError(Exception):
    """The function app's settings are missing or unusable; the message names the setting, never its value."""


class SubmissionError(ValueError):
    """The flow posted something that is not a submission; the message names the field, never its value."""


@dataclass(frozen=True)
class ForwarderConfig:
    url: str
    secret: str = field(repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], target: str | None = None) -> ForwarderConfig:
        """Read ``MENTORFLOW_URL`` and ``MENTORFLOW_SECRET`` (app settings, or Key Vault references).

        One function app can serve several forms, each with its own mentorflow endpoint: the
        target ``mentees`` reads ``MENTORFLOW_URL_MENTEES`` and ``MENTORFLOW_SECRET_MENTEES``.

        Raises
        ------
        ConfigError
            The target is not a plain name, a setting is missing, the URL is not an https mentorflow
            endpoint, or the secret is not ``whsec_…``.
        """
        url_setting, secret_setting = setting_names(target)
        url = environ.get(url_setting, "").strip()
        secret = environ.get(secret_setting, "").strip()
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc or not _HOOK_PATH.search(parts.path):
            raise ConfigError(
                f"app setting {url_setting} must be the https://…/hooks/standard/<endpoint id> URL from mentorflow"
            )
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not secret.startswith("whsec_") or not key:
            raise ConfigError(f"app setting {secret_setting} must be the whsec_… secret shown by mentorflow")
        return cls(url=url, secret=secret)


def setting_names(target: str | None) -> tuple[str, str]:
    """The app settings holding the URL and the secret for ``target`` (None: the unnamed pair).

    Raises
    ------
    ConfigError
        ``target`` is not 1–40 letters, digits, ``-`` or ``_``.
    """
    if not target:
        return URL_SETTING, SECRET_SETTING
    if not _TARGET.fullmatch(target):
        raise ConfigError("the target in the URL must be 1-40 letters, digits, - or _")
    suffix = "_" + target.upper().replace("-", "_")
    return URL_SETTING + suffix, SECRET_SETTING + suffix


@dataclass(frozen=True)
class Outcome:
    """What the function answers to the flow."""

    status: int
    body: dict[str, Any]


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def message_id(event: Mapping[str, Any]) -> str:
    """One id per response and submission time, the same on every retry of the flow.

    mentorflow keeps the first delivery of an id and drops repeats; a response edited and
    sent again carries a later submission time, so it is a new delivery whose newer
    answers win. Microsoft Forms numbers responses 1, 2, 3… per form, so the form id is
    part of it.
    """
    data = event["data"]
    submitted = "".join(ch for ch in str(data.get("submitted_at") or "") if ch.isdigit())
    return f"msg_{data['form_id']}_{data['response_id']}_{submitted}"


def normalise(payload: Any, now: datetime) -> dict[str, Any]:
    """The flow's Compose output as mentorflow's neutral submission, with Microsoft Forms' text quirks undone.

    Microsoft Forms hands every answer to the flow as text: several choices as the text of a
    JSON list (``["A","B"]``), a ranking as ``A;B;C``, a rating as ``"4"``, an unanswered question as ``""``, the
    submission time as ``3/14/2025 9:29:58 AM`` (UTC) and an anonymous respondent as
    ``anonymous``. Each is turned into what it means.

    Raises
    ------
    SubmissionError
        The payload lacks the event type, the form or response id, or its answers are not a list.
    """
    if not isinstance(payload, dict):
        raise SubmissionError("the body must be the JSON object built by the flow's Compose step")
    event_type = payload.get("type", SUBMISSION_EVENT)
    if event_type != SUBMISSION_EVENT:
        raise SubmissionError(f"type must be {SUBMISSION_EVENT}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise SubmissionError("data must be an object")
    form_id = _identifier(data.get("form_id"), "data.form_id")
    response_id = _identifier(data.get("response_id"), "data.response_id")
    answers = data.get("answers", [])
    if not isinstance(answers, list):
        raise SubmissionError("data.answers must be a list")
    hidden = data.get("hidden") or {}
    return {
        "type": SUBMISSION_EVENT,
        "timestamp": _iso(now),
        "data": {
            "form_id": form_id,
            "form_title": _text(data.get("form_title")),
            "platform": _text(data.get("platform")) or PLATFORM,
            "response_id": response_id,
            "submitted_at": _submitted_at(data.get("submitted_at"), now),
            "respondent_email": _email(data.get("respondent_email")),
            "answers": [_answer(answer, index) for index, answer in enumerate(answers)],
            "hidden": {str(k): str(v) for k, v in hidden.items() if v is not None} if isinstance(hidden, dict) else {},
        },
    }


def forward(session: requests.Session, config: ForwarderConfig, payload: Any, now: datetime) -> Outcome:
    """Normalise, sign and post one submission to mentorflow; say how it went in the flow's terms."""
    try:
        event = normalise(payload, now)
    except SubmissionError as exc:
        return Outcome(400, {"error": str(exc)})
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    msg_id = message_id(event)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(config.secret, msg_id, timestamp, body),
    }
    try:
        response = session.post(config.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return Outcome(503, {"error": f"mentorflow could not be reached ({type(exc).__name__})", "webhook_id": msg_id})
    status = response.status_code
    if 200 <= status < 300:
        receipt = _receipt(response)
        return Outcome(200, {"delivered": True, "mentorflow_status": status, "webhook_id": msg_id, **receipt})
    if status in (408, 429) or status >= 500:
        return Outcome(503, {"error": f"mentorflow answered HTTP {status}; try again", "webhook_id": msg_id})
    hint = {
        401: "the signature was refused: MENTORFLOW_SECRET is not this endpoint's current secret",
        404: "no such endpoint: MENTORFLOW_URL names a deleted or mistyped endpoint",
    }.get(status, "mentorflow could not read the submission: check the Compose step against the README")
    return Outcome(424, {"error": f"mentorflow refused the submission (HTTP {status}): {hint}", "webhook_id": msg_id})


def _receipt(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    if not isinstance(answer, dict):
        return {}
    return {key: answer[key] for key in ("delivery_id", "state", "duplicate") if key in answer}


def _identifier(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SubmissionError(f"{name} is missing")
    text = str(value).strip()
    if not text or len(text) > _ID_LENGTH:
        raise SubmissionError(f"{name} must be 1 to {_ID_LENGTH} characters")
    return text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def _email(value: Any) -> str | None:
    text = (_text(value) or "").strip()
    # Forms open to anyone report the respondent as "anonymous" (or leave it empty).
    return text if "@" in text else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _submitted_at(value: Any, now: datetime) -> str:
    text = (_text(value) or "").strip()
    if not text:
        return _iso(now)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for layout in _MS_FORMS_TIME:
            try:
                parsed = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
    if parsed is None:
        raise SubmissionError("data.submitted_at is not a date and time")
    # Microsoft Forms gives UTC without saying so.
    return _iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _answer(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SubmissionError(f"data.answers[{index}] must be an object")
    answer_id = _identifier(raw.get("id"), f"data.answers[{index}].id")
    kind = str(raw.get("type") or "text").strip().lower()
    if kind not in ANSWER_TYPES:
        raise SubmissionError(f"data.answers[{index}].type must be one of: {', '.join(ANSWER_TYPES)}")
    answer: dict[str, Any] = {"id": answer_id, "title": _text(raw.get("title")), "type": kind}
    if raw.get("ref"):
        answer["ref"] = str(raw["ref"])
    answer["value"] = _value(kind, raw.get("value"))
    return answer


def _value(kind: str, value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        if kind in _LIST_TYPES:
            return _texts(value, separator=";" if kind == "ranking" else None)
        if kind in _NUMBER_TYPES:
            return _number(value)
        return value
    if isinstance(value, list):
        return [str(item) for item in value if item is not None and str(item).strip()]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _texts(value: str, *, separator: str | None) -> list[str]:
    """Several choices come as the text of a JSON list; a ranking as ``First;Second;Third``."""
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(item) for item in items if item is not None and str(item).strip()]
    if separator is not None:
        return [piece.strip() for piece in text.split(separator) if piece.strip()]
    return [text]


def _number(value: str) -> int | float | str:
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
