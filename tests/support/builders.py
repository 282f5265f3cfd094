"""Builders of valid domain entities: each takes the identifiers and accepts any field as a keyword override.

Defaults are deliberately non-ASCII where people write names, so every tier round-trips UTF-8.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.meetings import Meeting
from chalicelib.domain.message import Message, message_id_for
from chalicelib.domain.pair import Pair
from chalicelib.domain.participant import Participant, Profile, Role
from chalicelib.domain.programme import Programme
from chalicelib.domain.tenant import ApiKey, Tenant, hash_api_key
from chalicelib.domain.webhook import Delivery, WebhookEndpoint

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
BELGRADE = ZoneInfo("Europe/Belgrade")
VILNIUS = ZoneInfo("Europe/Vilnius")


def at(minutes: int) -> datetime:
    """A point in time ``minutes`` after T0, so ordering in a test reads as plain numbers."""
    return T0 + timedelta(minutes=minutes)


def tenant(tenant_id: str = "ten_a", **fields: Any) -> Tenant:
    return Tenant(**{"tenant_id": tenant_id, "name": "Søren Ærø ApS", "created_at": T0, **fields})


def api_key(tenant_id: str, key_id: str, **fields: Any) -> ApiKey:
    return ApiKey(
        **{
            "key_id": key_id,
            "tenant_id": tenant_id,
            "name": "Ključ za Đorđevića",
            "key_hash": hash_api_key(f"mf_secret_{key_id}"),
            "display_prefix": "mf_abc",
            "created_at": T0,
            **fields,
        }
    )


# A cohort in all five languages the templates speak, as the notify, intake and matching stories run it.
COHORT: dict[str, Any] = {
    "name": "Mentorstvo 2026",
    "timezone": "Europe/Belgrade",
    "languages": ["en", "sr", "lt", "sl", "da"],
}


def programme(tenant_id: str, programme_id: str, **fields: Any) -> Programme:
    return Programme(
        **{
            "programme_id": programme_id,
            "tenant_id": tenant_id,
            "name": "Mentorystės programa",
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def profile(email: str = "ana@example.org", **fields: Any) -> Profile:
    return Profile(**{"role": Role.MENTEE, "email": email, "name": "Ana Đorđević", **fields})


def participant(
    tenant_id: str, programme_id: str, participant_id: str, *, email: str = "ana@example.org", **fields: Any
) -> Participant:
    return Participant(
        **{
            "participant_id": participant_id,
            "tenant_id": tenant_id,
            "programme_id": programme_id,
            "profile": profile(email),
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def pair(tenant_id: str, programme_id: str, pair_id: str, **fields: Any) -> Pair:
    return Pair(
        **{
            "pair_id": pair_id,
            "tenant_id": tenant_id,
            "programme_id": programme_id,
            "mentor_id": "par_mentor",
            "mentee_id": "par_mentee",
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def meeting(tenant_id: str, programme_id: str, pair_id: str, meeting_id: str, **fields: Any) -> Meeting:
    return Meeting(
        **{
            "meeting_id": meeting_id,
            "tenant_id": tenant_id,
            "programme_id": programme_id,
            "pair_id": pair_id,
            "source": "calendly",
            "external_id": f"ext-{meeting_id}",
            "starts_at": at(60),
            "updated_at": T0,
            **fields,
        }
    )


def endpoint(tenant_id: str, endpoint_id: str, **fields: Any) -> WebhookEndpoint:
    return WebhookEndpoint(
        **{
            "endpoint_id": endpoint_id,
            "tenant_id": tenant_id,
            "programme_id": "prg_1",
            "source": "typeform",
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def delivery(endpoint_id: str, delivery_id: str, *, tenant_id: str = "ten_a", **fields: Any) -> Delivery:
    return Delivery(
        **{
            "delivery_id": delivery_id,
            "endpoint_id": endpoint_id,
            "tenant_id": tenant_id,
            "programme_id": "prg_1",
            "source": "typeform",
            "content_type": "application/json",
            "body": b'{"ok": true}',
            "received_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def message(tenant_id: str, idempotency_key: str, **fields: Any) -> Message:
    return Message(
        **{
            "message_id": message_id_for(tenant_id, idempotency_key),
            "tenant_id": tenant_id,
            "idempotency_key": idempotency_key,
            "recipient": "ana@example.org",
            "language": "sr",
            "template": "welcome",
            "subject": "Dobrodošli, Ana Đorđević",
            "body_text": "Zdravo!",
            "created_at": T0,
            **fields,
        }
    )


def cohort_programme(tenant_id: str, programme_id: str, *, now: datetime, **fields: Any) -> Programme:
    """A ``COHORT`` programme created and last changed at ``now``."""
    return programme(tenant_id, programme_id, **{**COHORT, "created_at": now, "updated_at": now, **fields})
