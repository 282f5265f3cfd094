"""A tenant's sending settings: the From of its messages (a verified SES identity) and its share of SES's rate."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.common import normalise_email
from chalicelib.domain.tenant import Tenant
from chalicelib.errors import SenderNotVerified, ValidationFailed
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.tenants import get_tenant
from chalicelib.storage.repositories import Storage

# Whether the mail service lets us send From an address; None when it could not be asked.
SenderCheck = Callable[[str], bool | None]


def configure_sending(
    storage: Storage,
    *,
    tenant_id: str,
    sender_email: str | None,
    send_rate_per_second: float | None,
    sender_check: SenderCheck | None = None,
) -> Tenant:
    """Set the tenant's From address and sending rate (None leaves one as it is).

    With ``sender_check`` (every stage that sends through SES) a new address must be one
    SES lets this account send from; otherwise every message of the tenant would bounce
    at the sender, long after the setting was accepted.

    Raises
    ------
    NotFound
        When there is no such tenant.
    ValidationFailed
        When the address or rate is not acceptable.
    SenderNotVerified
        When SES does not let us send from the address, or could not say.
    """
    if sender_email is not None and sender_check is not None:
        _check_sender(sender_email, sender_check)

    def change(tenant: Tenant) -> Tenant:
        updates = {
            name: value
            for name, value in (("sender_email", sender_email), ("send_rate_per_second", send_rate_per_second))
            if value is not None
        }
        try:
            return Tenant.model_validate(tenant.model_dump() | updates)
        except ValueError as exc:
            raise ValidationFailed("the sender address or rate is not acceptable") from exc

    return update_with_retry(
        lambda: get_tenant(storage, tenant_id),
        change,
        storage.tenants.save,
        message="the tenant kept changing; try again",
    )


def _check_sender(sender_email: str, sender_check: SenderCheck) -> None:
    # The address is not repeated in the error: it may be a person's, and errors reach logs.
    try:
        address = normalise_email(sender_email)
    except ValueError as exc:
        raise ValidationFailed("the sender address is not an e-mail address") from exc
    verified = sender_check(address)
    if verified is None:
        raise SenderNotVerified("SES could not be asked whether the From address is verified; try again later")
    if not verified:
        raise SenderNotVerified(
            "the From address is not a verified SES identity: verify the address or its domain in SES, then set it"
        )


__all__ = ["SenderCheck", "configure_sending"]
