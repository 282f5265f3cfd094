"""The deploy package: what ``python -m devtools.package`` builds is complete, scoped and importable.

The package is built once for the module (``chalice package`` twice, with PyPI for the
manylinux wheels); then the SAM template is checked for the table, the schedules and
the policy, and ``deployment.zip`` is unpacked and its ``app`` imported in a clean
interpreter that sees nothing but the standard library and the unpacked folder, as on
Lambda (less boto3, which nothing may need at import time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.storage.table import TTL_ATTRIBUTE
from devtools.package import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    REPO_ROOT,
    TABLE_ENV_VAR,
    TABLE_RESOURCE,
    PackageResult,
    build_package,
    resources_of_type,
    stage_policy,
    template_policy,
)


def _scheduled() -> dict[str, str]:
    """Every job of chalicelib.jobs.JOBS, with the name chalice gives its function resource."""
    from chalicelib.jobs import JOBS

    return {name: "".join(part.capitalize() for part in name.split("-")) for name in JOBS}


SCHEDULED = _scheduled()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[PackageResult, float]:
    folder = tmp_path_factory.mktemp("package")
    started = time.monotonic()
    result = build_package("prod", folder / "out", merge_path=folder / "merge.json")
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def template(package: tuple[PackageResult, float]) -> dict[str, Any]:
    return package[0].template


@pytest.fixture(scope="module")
def unpacked(package: tuple[PackageResult, float], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    assert not any(folder.iterdir())
    with zipfile.ZipFile(package[0].out / "deployment.zip") as archive:
        archive.extractall(folder)
    return folder


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_policy_files_are_the_generated_ones(stage: str) -> None:
    stored = json.loads((REPO_ROOT / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8"))

    assert stored == stage_policy(stage)
    table_statement = stored["Statement"][0]
    assert table_statement["Resource"] == [
        f"arn:aws:dynamodb:*:*:table/mentorflow-{stage}",
        f"arn:aws:dynamodb:*:*:table/mentorflow-{stage}/index/*",
    ]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_config_uses_its_policy_file(stage: str) -> None:
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"][stage]

    assert config["autogen_policy"] is False
    assert config["iam_policy_file"] == f"policy-{stage}.json"


@pytest.mark.slow
@pytest.mark.integration
def test_template_declares_the_table_with_both_indexes_ttl_and_pitr(template: dict[str, Any]) -> None:
    table = template["Resources"][TABLE_RESOURCE]
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain"
    assert {index["IndexName"] for index in properties["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2"}
    assert properties["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize(("job", "resource"), sorted(SCHEDULED.items()))
def test_jobs_are_scheduled_functions(template: dict[str, Any], job: str, resource: str) -> None:
    from chalicelib.jobs import JOBS

    function = template["Resources"][resource]
    events = list(function["Properties"]["Events"].values())

    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Handler"] == f"chalicelib.jobs.{job.replace('-', '_')}"
    assert [event["Type"] for event in events] == ["Schedule"]
    assert events[0]["Properties"]["Schedule"] == f"rate({JOBS[job].every_minutes} minutes)"


@pytest.mark.slow
@pytest.mark.integration
def test_every_function_reads_the_table_name_from_the_template(template: dict[str, Any]) -> None:
    functions = resources_of_type(template, "AWS::Serverless::Function")

    assert {"APIHandler", *SCHEDULED.values()} <= set(functions)
    for name in functions:
        variables = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables[TABLE_ENV_VAR] == {"Ref": TABLE_RESOURCE}, name


@pytest.mark.slow
@pytest.mark.integration
def test_every_role_has_only_the_scoped_policy(template: dict[str, Any]) -> None:
    roles = resources_of_type(template, "AWS::IAM::Role")

    assert roles
    for name in roles:
        policies = template["Resources"][name]["Properties"]["Policies"]
        assert [p["PolicyDocument"] for p in policies] == [template_policy()], name
        for statement in policies[0]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any(action.endswith("*") for action in statement["Action"])
            if any(action.startswith("dynamodb:") for action in statement["Action"]):
                assert "*" not in statement["Resource"]
                assert {"Fn::GetAtt": [TABLE_RESOURCE, "Arn"]} in statement["Resource"]
    serialised = json.dumps(template)
    assert '"dynamodb:*"' not in serialised


@pytest.mark.slow
@pytest.mark.integration
def test_every_runtime_requirement_is_in_the_zip(package: tuple[PackageResult, float]) -> None:
    result = package[0]

    assert result.missing == [], (
        f"chalice left out {result.missing}: no wheel for the Lambda runtime's glibc.\n{result.chalice_output}"
    )


@pytest.mark.slow
@pytest.mark.integration
def test_unzipped_size_is_under_the_lambda_limit(package: tuple[PackageResult, float], record_property: Any) -> None:
    size = package[0].unzipped_bytes
    record_property("unzipped_bytes", size)
    print(f"deployment.zip unzipped: {size / 1024 / 1024:.1f} MB")

    assert size < LAMBDA_UNZIPPED_LIMIT_BYTES


@pytest.mark.slow
@pytest.mark.integration
def test_app_and_every_handler_import_from_the_unpacked_zip_alone(
    unpacked: Path, template: dict[str, Any]
) -> None:
    handlers = sorted(
        template["Resources"][name]["Properties"]["Handler"]
        for name in resources_of_type(template, "AWS::Serverless::Function")
    )
    probe = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(unpacked)!r})\n"
        "import app\n"
        "for handler in json.loads(sys.argv[1]):\n"
        "    module, _, name = handler.rpartition('.')\n"
        "    assert callable(getattr(importlib.import_module(module), name)), handler\n"
        "print(json.dumps({'path': sys.path, 'boto3': 'boto3' in sys.modules}))\n"
    )
    # -I: no PYTHON* variables, no user site; -S: no site-packages. Only the stdlib and the folder remain.
    env = {"PATH": os.defpath, "LANG": "C.UTF-8"}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, json.dumps(handlers)],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-4000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert not any("site-packages" in entry for entry in seen["path"])
    assert seen["boto3"] is False
