"""A tenant's sending settings: the From of its messages (a verified SES identity) and its share of SES's rate."""

from __future__ import annotations

from chalicelib.domain.tenant import Tenant
from chalicelib.errors import ValidationFailed
from chalicelib.services.concurrency import update_with_retry
from chalicelib.services.tenants import get_tenant
from chalicelib.storage.repositories import Storage


def configure_sending(
    storage: Storage, *, tenant_id: str, sender_email: str | None, send_rate_per_second: float | None
) -> Tenant:
    """Set the tenant's From address and sending rate (None leaves one as it is).

    Raises
    ------
    NotFound
        When there is no such tenant.
    ValidationFailed
        When the address or rate is not acceptable.
    """

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


__all__ = ["configure_sending"]
