"""E-mail channels: the one place a stored message leaves mentorflow.

``SesEmailChannel`` sends through Amazon SES, ``FileEmailChannel`` writes ``.eml`` files
for the local stack, and ``RecordingChannel`` is the fake other test suites send to.
Channels send one message and report the provider's id; deciding what to send, retries
and bookkeeping belong to ``chalicelib.services.notifications``.

Errors and logs name message ids and provider error codes only: never a recipient,
subject or body, and never a provider's error text (SES puts addresses in it).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.message import Message
from chalicelib.errors import MentoringError
from chalicelib.logging import log_warning
from chalicelib.settings import Settings

if TYPE_CHECKING:
    # Stubs only exist in development environments, not in the deployed package.
    from mypy_boto3_ses import SESClient

_CHARSET = "UTF-8"


class DeliveryFailed(MentoringError):
    """Raised when a channel could not hand a message over; the sender sweep retries it later.

    The message text holds only an error code or class name, so it can be stored on the
    message and logged.
    """

    status_code = 502
    code = "delivery_failed"


class EmailChannel(Protocol):
    def send(self, message: Message, *, sender: str) -> str:
        """Hand ``message`` over for delivery from ``sender``; return the provider's message id.

        Raises ``DeliveryFailed`` when the message was not accepted.
        """
        ...


class SesEmailChannel:
    """Sends through SES ``SendEmail`` as UTF-8 plain text. The client is made on the first send."""

    def __init__(self, client_factory: Callable[[], SESClient]) -> None:
        self._client_factory = client_factory
        self._client: SESClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SesEmailChannel:
        def factory() -> SESClient:
            return boto3.client("ses", region_name=settings.aws_region, endpoint_url=settings.ses_endpoint_url)

        return cls(factory)

    def send(self, message: Message, *, sender: str) -> str:
        client = self._get_client()
        try:
            if message.attachments:
                # SendEmail carries no attachments; the raw form is the whole MIME message.
                response = client.send_raw_email(
                    Source=sender,
                    Destinations=[message.recipient],
                    RawMessage={"Data": mime_message(message, sender=sender).as_bytes()},
                )
            else:
                response = client.send_email(
                    Source=sender,
                    Destination={"ToAddresses": [message.recipient]},
                    Message={
                        "Subject": {"Data": message.subject, "Charset": _CHARSET},
                        "Body": {"Text": {"Data": message.body_text, "Charset": _CHARSET}},
                    },
                    ReplyToAddresses=[message.reply_to] if message.reply_to else [],
                )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            log_warning("SES did not accept a message", message_id=message.message_id, code=code)
            raise DeliveryFailed(f"SES error {code}", details={"code": code}) from exc
        except BotoCoreError as exc:
            kind = type(exc).__name__
            log_warning("SES could not be reached", message_id=message.message_id, error_type=kind)
            raise DeliveryFailed(f"SES unreachable ({kind})", details={"code": kind}) from exc
        return response["MessageId"]

    def max_send_rate(self) -> float | None:
        """SES's own limit for this account and region, in messages per second; None if it cannot be read."""
        try:
            return float(self._get_client().get_send_quota()["MaxSendRate"])
        except (ClientError, BotoCoreError, KeyError) as exc:
            log_warning("SES send quota not read", error_type=type(exc).__name__)
            return None

    def identity_verified(self, address: str) -> bool | None:
        """Whether SES lets this account send From ``address`` (it or its domain is verified); None if unreadable."""
        domain = address.rpartition("@")[2]
        try:
            answer = self._get_client().get_identity_verification_attributes(Identities=[address, domain])
        except (ClientError, BotoCoreError) as exc:
            log_warning("SES identities not read", error_type=type(exc).__name__)
            return None
        found = answer["VerificationAttributes"]
        return any(
            identity in found and found[identity]["VerificationStatus"] == "Success" for identity in (address, domain)
        )

    def _get_client(self) -> SESClient:
        with self._lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client


class FileEmailChannel:
    """Writes each message as ``<message id>.eml`` (RFC 822, UTF-8) into ``folder``, for the local stack.

    Writing the same message again replaces its file, so a folder never holds duplicates.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = Path(folder)

    def send(self, message: Message, *, sender: str) -> str:
        message_id_header = f"<{message.message_id}@mentorflow.local>"
        email = mime_message(message, sender=sender)
        email["Message-ID"] = message_id_header
        email["X-Mentorflow-Template"] = message.template
        try:
            self._write(f"{message.message_id}.eml", email.as_bytes())
            # Beside the mail, so a developer can open an invitation in a calendar straight away.
            for attachment in message.attachments:
                self._write(f"{message.message_id}.{attachment.filename}", attachment.text.encode("utf-8"))
        except OSError as exc:
            kind = type(exc).__name__
            log_warning("could not write a message file", message_id=message.message_id, error_type=kind)
            raise DeliveryFailed(f"outbox folder not writable ({kind})", details={"code": kind}) from exc
        return message_id_header

    def _write(self, name: str, data: bytes) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, self._folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def mime_message(message: Message, *, sender: str) -> EmailMessage:
    """The message as RFC 5322 MIME: UTF-8 plain text, and its attachments (an invitation as text/calendar)."""
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = message.recipient
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email.set_content(message.body_text, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header set before it.
    email["Content-Language"] = message.language
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition(";")[0].partition("/")
        params = dict(part.strip().split("=", 1) for part in attachment.content_type.split(";")[1:] if "=" in part)
        email.add_attachment(
            attachment.text.encode("utf-8"),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return email


class RecordingChannel:
    """A fake channel that keeps what it was given. Failure injection for tests of retry paths.

    ``fail_times`` makes the next that many sends fail; ``fail_when`` fails every message
    it returns True for. Safe to share between threads.
    """

    def __init__(self, *, fail_times: int = 0, fail_when: Callable[[Message], bool] | None = None) -> None:
        self.sent: list[Message] = []
        self.senders: list[str] = []
        self.attempts = 0
        self._fail_times = fail_times
        self._fail_when = fail_when
        self._lock = threading.Lock()

    def fail_next(self, times: int = 1) -> None:
        with self._lock:
            self._fail_times += times

    def send(self, message: Message, *, sender: str) -> str:
        with self._lock:
            self.attempts += 1
            if self._fail_times > 0 or (self._fail_when is not None and self._fail_when(message)):
                self._fail_times = max(0, self._fail_times - 1)
                raise DeliveryFailed("injected failure", details={"code": "Injected"})
            self.sent.append(message.model_copy(deep=True))
            self.senders.append(sender)
            return f"recorded-{len(self.sent)}"


def channel_from_settings(settings: Settings) -> EmailChannel:
    """The channel a stage is configured for (``email_channel``: ``ses`` or ``file``)."""
    if settings.email_channel == "file":
        return FileEmailChannel(Path(settings.outbox_dir))
    return SesEmailChannel.from_settings(settings)


__all__ = [
    "DeliveryFailed",
    "EmailChannel",
    "FileEmailChannel",
    "RecordingChannel",
    "SesEmailChannel",
    "channel_from_settings",
    "mime_message",
]
