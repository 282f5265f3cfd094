"""The one error hierarchy of mentorflow.

Every error a caller can cause is a ``MentoringError`` whose class carries the HTTP
status and a short machine-readable code. The HTTP layer maps them to responses in
exactly one place (``chalicelib.api.http``); domain and services never import chalice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError


class MentoringError(Exception):
    """Base of every error mentorflow raises on purpose."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(MentoringError):
    """Raised when input does not satisfy the schema or a business precondition."""

    status_code = 400
    code = "invalid_request"

    @classmethod
    def from_pydantic(cls, exc: ValidationError, *, where: str, path: Sequence[str | int] = ()) -> ValidationFailed:
        """The error that names the first bad field (``"<where>: <field>: <problem>"``) and lists them all.

        ``path`` is where the validated value sits inside ``where``, so that a field is
        named as the caller wrote it (``body: profile.capacity``). Input values are never
        quoted: they may be personal data.
        """
        details = []
        for error in exc.errors(include_url=False, include_input=False):
            field = ".".join(str(part) for part in (*path, *error["loc"])) or where
            problem = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
            details.append({"field": field, "message": problem})
        first = details[0]
        return cls(f"{where}: {first['field']}: {first['message']}", details=details)


class Unauthorized(MentoringError):
    """Raised when a request carries no valid API key."""

    status_code = 401
    code = "unauthorized"


class WebhookVerificationError(Unauthorized):
    """Raised when a webhook's signature, token or timestamp does not verify."""

    code = "invalid_signature"


class NotFound(MentoringError):
    """Raised when an object does not exist or belongs to another tenant (both look the same)."""

    status_code = 404
    code = "not_found"


class Conflict(MentoringError):
    """Raised when a write would break a uniqueness rule."""

    status_code = 409
    code = "conflict"


class VersionConflict(Conflict):
    """Raised when an optimistic-concurrency check fails: someone else updated the record first."""

    code = "version_conflict"


class IllegalTransition(Conflict):
    """Raised when a status change is not among the allowed transitions."""

    code = "illegal_transition"


class SenderNotVerified(Conflict):
    """Raised when a tenant's From address is not an identity SES lets this account send from."""

    code = "sender_not_verified"


class PayloadTooLarge(MentoringError):
    """Raised when a request body exceeds the configured limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(MentoringError):
    """Raised when a request's content type is not one the route accepts."""

    status_code = 415
    code = "unsupported_media_type"


class ConfigurationError(MentoringError):
    """Raised when the deployment lacks a setting an operation needs (a signing key, a table name)."""

    status_code = 500
    code = "configuration_error"


class ProcessingFailed(MentoringError):
    """Raised by a webhook processor when a delivery cannot be processed now and should be retried."""

    status_code = 500
    code = "processing_failed"


class LinkForged(MentoringError):
    """Raised when a one-click link's token is malformed, altered, or signed with a key we do not hold."""

    status_code = 403
    code = "invalid_link"


class LinkExpired(MentoringError):
    """Raised when a one-click link is genuine but past its expiry."""

    status_code = 410
    code = "link_expired"


class LinkUsed(Conflict):
    """Raised when a single-use link is used a second time."""

    code = "link_used"
