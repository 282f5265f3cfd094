"""A tenant's From address is checked against SES when it is set, on moto's SES (no network, no real AWS).

Every stage that sends through SES refuses an address SES does not let the account send
from, saying so and changing nothing; the local stage, which writes mail to files, does
not ask SES at all.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import boto3
import pytest

from chalicelib.cli import run as run_cli
from chalicelib.errors import SenderNotVerified
from chalicelib.settings import Settings
from chalicelib.storage.repositories import in_memory_storage
from tests.support.aws import mock_aws
from tests.support.world import TEST_LINK_KEYS, World, world_with

REGION = "us-east-1"


@pytest.fixture
def ses() -> Iterator[object]:
    with mock_aws():
        yield boto3.client("ses", region_name=REGION)


def _world(stage: str) -> Iterator[World]:
    settings = Settings(stage=stage, email_channel="ses", aws_region=REGION, link_keys=TEST_LINK_KEYS)
    with world_with(in_memory_storage(), settings=settings) as built:
        yield built


@pytest.fixture
def deployed(ses: object) -> Iterator[World]:
    yield from _world("prod")


@pytest.fixture
def local(ses: object) -> Iterator[World]:
    yield from _world("local")


def _set_sender(world: World, tenant_id: str, sender: str) -> dict[str, object]:
    out = io.StringIO()
    assert run_cli(["set-sending", "--tenant", tenant_id, "--sender", sender], world.container, out) == 0
    return dict(json.loads(out.getvalue()))


def _sender_of(world: World, tenant_id: str) -> str | None:
    tenant = world.storage.tenants.get(tenant_id)
    assert tenant is not None
    return tenant.sender_email


def test_an_unverified_from_address_is_refused_with_a_409_naming_the_problem(deployed: World) -> None:
    # GIVEN a tenant on a stage that sends through SES, and an address SES never verified
    tenant_id = deployed.tenant().tenant_id

    # WHEN the operator sets it as the tenant's From
    with pytest.raises(SenderNotVerified) as refused:
        _set_sender(deployed, tenant_id, "mentorstvo@skupnost.example.si")

    # THEN it is refused as a 409 that says what to do, without repeating the address, and nothing changed
    assert (refused.value.status_code, refused.value.code) == (409, "sender_not_verified")
    assert "not a verified SES identity" in refused.value.message
    assert "skupnost" not in refused.value.message
    assert _sender_of(deployed, tenant_id) is None


def test_a_verified_address_or_an_address_of_a_verified_domain_is_accepted(deployed: World, ses: object) -> None:
    # GIVEN an address verified in SES, and a domain verified in SES
    ses.verify_email_identity(EmailAddress="mentorstvo@skupnost.example.si")  # type: ignore[attr-defined]
    ses.verify_domain_identity(Domain="mentoring.example.dk")  # type: ignore[attr-defined]
    slovenian, danish = deployed.tenant().tenant_id, deployed.tenant().tenant_id

    # WHEN each tenant sets one of them
    _set_sender(deployed, slovenian, "Mentorstvo@Skupnost.example.si")
    _set_sender(deployed, danish, "program@mentoring.example.dk")

    # THEN both are stored
    assert _sender_of(deployed, slovenian) == "mentorstvo@skupnost.example.si"
    assert _sender_of(deployed, danish) == "program@mentoring.example.dk"


def test_the_local_stage_which_never_sends_through_ses_does_not_check(local: World) -> None:
    # GIVEN the local stage and an address SES never verified
    tenant_id = local.tenant().tenant_id

    # WHEN the operator sets it
    answer = _set_sender(local, tenant_id, "mentorstvo@skupnost.example.si")

    # THEN it is taken as it is
    assert answer["sender_email"] == "mentorstvo@skupnost.example.si"
    assert _sender_of(local, tenant_id) == "mentorstvo@skupnost.example.si"
