"""Signed link tokens: only our keys make them, nothing in them can be changed, and they end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.links import MAX_TOKEN_LENGTH, LinkClaims, read_link, sign_link
from chalicelib.errors import LinkExpired, LinkForged

NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
KEY = b"current signing key"
OLD_KEY = b"previous signing key"


def _claims(**changes: object) -> LinkClaims:
    fields: dict[str, object] = {
        "link_id": "lnk_approve_1",
        "tenant_id": "ten_kulturni",
        "programme_id": "prg_2026",
        "action": "approve-pair",
        "subject_id": "pair_ana_marko",
        "participant_id": None,
        "language": "sr",
        "expires_at": NOW + timedelta(days=7),
    }
    return LinkClaims.model_validate(fields | changes)


def test_a_token_reads_back_as_the_claims_it_was_signed_with() -> None:
    # GIVEN a token for approving a pair
    token = sign_link(_claims(), KEY)

    # WHEN it is read a minute later
    claims = read_link(token, [KEY], NOW + timedelta(minutes=1))

    # THEN it says exactly what was signed
    assert claims == _claims()


def test_a_token_signed_with_the_previous_key_still_reads_during_a_rotation() -> None:
    token = sign_link(_claims(), OLD_KEY)

    assert read_link(token, [KEY, OLD_KEY], NOW).subject_id == "pair_ana_marko"


def test_a_token_signed_with_a_key_we_do_not_hold_is_forged() -> None:
    token = sign_link(_claims(), b"somebody else's key")

    with pytest.raises(LinkForged):
        read_link(token, [KEY], NOW)


def test_changing_any_claim_breaks_the_signature() -> None:
    # GIVEN a genuine token, and the same claims pointing at another tenant's pair
    genuine_payload, mac = sign_link(_claims(), KEY).split(".")
    other_payload, _ = sign_link(_claims(tenant_id="ten_other", subject_id="pair_other"), KEY).split(".")

    # WHEN the other payload is put under the genuine signature
    # THEN it is refused
    with pytest.raises(LinkForged):
        read_link(f"{other_payload}.{mac}", [KEY], NOW)
    assert genuine_payload != other_payload


def test_a_token_past_its_expiry_has_expired_and_says_in_which_language() -> None:
    token = sign_link(_claims(), KEY)

    with pytest.raises(LinkExpired) as raised:
        read_link(token, [KEY], NOW + timedelta(days=7))

    assert raised.value.details == {"language": "sr"}


@pytest.mark.parametrize(
    "token",
    ["", ".", "a.b.c", "no-dot-at-all", "x" * (MAX_TOKEN_LENGTH + 1), "Zm9v.%%%", "\u0000.\u0000"],
)
def test_garbage_is_forged_never_an_error(token: str) -> None:
    with pytest.raises(LinkForged):
        read_link(token, [KEY], NOW)


def test_claims_cannot_carry_an_email_address() -> None:
    # Links end up in URLs and logs: only ids may go in them.
    with pytest.raises(ValueError, match="subject_id"):
        _claims(subject_id="ana@example.org")


def test_a_token_stays_short_enough_for_any_mail_client() -> None:
    assert len(sign_link(_claims(participant_id="par_" + "x" * 120), KEY)) < 600
