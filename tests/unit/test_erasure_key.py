"""The erasure key reaches erasure and signups through the container, as the link keys do."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.container import Container
from chalicelib.domain.erasure import erasure_subject
from chalicelib.errors import ConfigurationError
from chalicelib.services.erasures import LOCAL_KEY
from chalicelib.settings import Settings
from tests.support.aws import mock_aws


def test_a_deployed_stage_reads_the_erasure_key_once_from_its_ssm_parameter() -> None:
    # GIVEN a production container naming an SSM SecureString
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/mentorflow/prod/erasure-key", Value="prod-erasure-key", Type="SecureString")
        container = Container(
            settings=Settings(
                stage="prod", erasure_key_parameter="/mentorflow/prod/erasure-key", aws_region="us-east-1"
            )
        )

        # WHEN the key is asked for, the parameter changes, and it is asked for again
        first = container.erasure_key
        ssm.put_parameter(Name="/mentorflow/prod/erasure-key", Value="rotated", Type="SecureString", Overwrite=True)
        second = container.erasure_key

    # THEN the parameter's value is the key, read once per container
    assert first == second == b"prod-erasure-key"


def test_a_deployed_stage_without_an_erasure_key_refuses_rather_than_hash_with_the_local_one() -> None:
    # GIVEN a production container that names no key
    container = Container(settings=Settings(stage="prod"))

    # WHEN the key is asked for
    # THEN it is a configuration error, never the local stand-in
    with pytest.raises(ConfigurationError):
        _ = container.erasure_key


def test_the_local_stage_uses_its_own_key_or_the_stand_in_and_processing_carries_it() -> None:
    # GIVEN a local container with a key set, and one without
    keyed = Container(settings=Settings(erasure_key="local-dev-key"))
    bare = Container(settings=Settings())

    # WHEN their keys are used for a tombstone's subject
    subject = erasure_subject(keyed.erasure_key, "ten_a", "Laura@Example.lt")

    # THEN each uses its own, and the processing context hands it to signup handlers
    assert subject == erasure_subject(b"local-dev-key", "ten_a", "laura@example.lt")
    assert bare.erasure_key == LOCAL_KEY
    assert keyed.processing.erasure_key == b"local-dev-key"
