"""A connector may name its credential only where the deployed policy lets the stage read."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from chalicelib.domain.sync import CredentialRef, SecretStore
from devtools.package import stage_policy


def _granted(stage: str, arn: str) -> bool:
    statement = next(s for s in stage_policy(stage)["Statement"] if s["Sid"] == "ReadSyncCredentials")
    return any(fnmatchcase(arn, resource) for resource in statement["Resource"])


def _arn(ref: CredentialRef) -> str:
    if ref.store is SecretStore.SSM:
        return f"arn:aws:ssm:eu-central-1:123456789012:parameter{ref.name}"
    return f"arn:aws:secretsmanager:eu-central-1:123456789012:secret:{ref.name}-AbC123"


@pytest.mark.parametrize(
    ("store", "name", "readable"),
    [
        (SecretStore.SSM, "/mentorflow/prod/hr/bamboohr", True),
        (SecretStore.SECRETS_MANAGER, "mentorflow/prod/crm/hubspot", True),
        (SecretStore.SSM, "/mentorflow/dev/hr/bamboohr", False),
        (SecretStore.SSM, "/mentorflow/prodx/hr", False),
        (SecretStore.SSM, "/other-app/prod/hr", False),
        (SecretStore.SECRETS_MANAGER, "/mentorflow/prod/crm", False),
        (SecretStore.SECRETS_MANAGER, "mentorflow/dev/crm", False),
    ],
)
def test_a_credential_is_accepted_exactly_where_the_stage_policy_grants_reading_it(
    store: SecretStore, name: str, readable: bool
) -> None:
    # GIVEN a reference to a credential
    ref = CredentialRef(store=store, name=name)

    # WHEN the prod stage checks it, and its policy is asked about the same ARN
    accepted = ref.readable_in("prod")
    granted = _granted("prod", _arn(ref))

    # THEN the check and the policy agree
    assert accepted is readable
    assert granted is readable


def test_a_credential_named_by_the_bare_prefix_or_climbing_out_of_it_is_refused() -> None:
    # GIVEN references that name no credential under the prefix
    bare = CredentialRef(store=SecretStore.SSM, name="/mentorflow/prod/")
    climbing = CredentialRef(store=SecretStore.SSM, name="/mentorflow/prod/../dev/hr")

    # WHEN / THEN neither is accepted
    assert not bare.readable_in("prod")
    assert not climbing.readable_in("prod")
