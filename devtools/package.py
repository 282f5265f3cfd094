"""Build the deployable SAM package: ``chalice package`` plus the table and a least-privilege policy.

``python -m devtools.package [--stage prod] [--out build/package]`` (``make package``):

1. runs ``chalice package`` once to learn what it generates for this app (function and
   role resources differ with ``autogen_policy`` and with the jobs registered);
2. writes a merge template that declares the DynamoDB table
   (``chalicelib.storage.table.cloudformation_resource()``: GSIs, TTL, point-in-time
   recovery), points every function's ``MENTORFLOW_TABLE_NAME`` at it (``Ref``), and
   replaces every generated role's policy with one limited to that table and its indexes,
   sending e-mail through SES and writing CloudWatch logs; and, when the ``InviteMailDomain``
   parameter names a domain, SES receiving for the invite address (``invite_resources``);
3. runs ``chalice package --merge-template`` into ``--out`` (``sam.json`` and
   ``deployment.zip``; the dependencies come from the build cache in ``.chalice/deployments``);
4. rewrites ``deployment.zip`` lean and with compiled bytecode (``devtools.slim``), with the
   interpreter running this, which must be the Lambda runtime's Python (3.11);
5. checks that every runtime requirement made it into ``deployment.zip`` and prints its
   unzipped size, the biggest parts, and fails when it passes 225 MB: Lambda's limit is
   250 MB, and the rest is headroom for a dependency's next release. The budget was 200 MB
   until OR-tools came for the min-cost flow: its one shared library, ``libortools.so.9``
   (48 MB, every solver linked in statically), cannot be split, and the package grew from
   172 MB to 220 MB with all the rest of OR-tools and its dependencies stripped.

``.chalice/policy-<stage>.json`` holds the same policy for a plain ``chalice deploy``
(with literal table ARNs instead of references); ``stage_policy()`` generates it.
Exit status 0 when the package is complete and within 225 MB, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.domain.sync import SecretStore, credential_prefix
from chalicelib.storage.table import cloudformation_resource
from devtools.slim import SlimmingFailed, SlimReport, slim_zip

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_NAME = "mentorflow"
TABLE_RESOURCE = "MentorflowTable"
TABLE_ENV_VAR = "MENTORFLOW_TABLE_NAME"
MB = 1024 * 1024
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * MB
UNZIPPED_BUDGET_BYTES = 225 * MB
# The Lambda runtime's Python: the bytecode in the zip only loads on the version that compiled it.
LAMBDA_PYTHON = (3, 11)

DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:TransactGetItems",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]
SES_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
LOGS_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
# The deployment's secrets (the one-click link keys) are SecureString parameters under /mentorflow/.
SSM_ACTIONS = ["ssm:GetParameter"]

# Calendars: people's tokens sealed with KMS (only with the encryption context the code binds them to),
# app registrations and organisation grants in Secrets Manager under mentorflow/, and the messages
# SES receiving stores for invite addresses in a bucket named mentorflow-*.
CALENDAR_STATEMENTS: list[dict[str, Any]] = [
    {
        "Sid": "SealCalendarTokens",
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt"],
        "Resource": "arn:aws:kms:*:*:key/*",
        "Condition": {
            "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant_id", "connection_id"]},
            "Null": {"kms:EncryptionContextKeys": "false"},
        },
    },
    {
        "Sid": "ReadCalendarGrants",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": f"arn:aws:secretsmanager:*:*:secret:{APP_NAME}/*",
    },
    {
        "Sid": "ReadInvitations",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": f"arn:aws:s3:::{APP_NAME}-*/invitations/*",
    },
]

# Packaging never calls AWS; fixed dummy credentials keep it from finding real ones or the metadata address.
PACKAGING_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_ENV_TO_DROP = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

_CHALICE = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"


class PackagingFailed(Exception):
    """``chalice package`` failed or produced something unusable; the message says what."""


def sync_credential_statement(
    stage: str, partition: str = "aws", region: str = "*", account: str = "*"
) -> dict[str, Any]:
    """HR and CRM connectors' credentials: exactly the prefixes a connector may name (``credential_prefix``)."""
    ssm = credential_prefix(SecretStore.SSM, stage)
    secrets = credential_prefix(SecretStore.SECRETS_MANAGER, stage)
    return {
        "Sid": "ReadSyncCredentials",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter", "secretsmanager:GetSecretValue"],
        "Resource": [
            f"arn:{partition}:ssm:{region}:{account}:parameter{ssm}*",
            # Secrets Manager appends a random suffix to each ARN; the wildcard covers it.
            f"arn:{partition}:secretsmanager:{region}:{account}:secret:{secrets}*",
        ],
    }


def policy_document(
    table_arns: list[Any],
    ses_resources: list[Any],
    log_resources: list[Any],
    ssm_resources: list[Any],
    sync_credentials: dict[str, Any],
) -> dict[str, Any]:
    """The one IAM policy of every function: the table and its indexes, SES sending, its own logs, its secrets."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "MentorflowTable", "Effect": "Allow", "Action": DYNAMODB_ACTIONS, "Resource": table_arns},
            {"Sid": "SendEmail", "Effect": "Allow", "Action": SES_ACTIONS, "Resource": ses_resources},
            {"Sid": "WriteLogs", "Effect": "Allow", "Action": LOGS_ACTIONS, "Resource": log_resources},
            {"Sid": "ReadSecrets", "Effect": "Allow", "Action": SSM_ACTIONS, "Resource": ssm_resources},
            *CALENDAR_STATEMENTS,
            sync_credentials,
        ],
    }


def stage_policy(stage: str) -> dict[str, Any]:
    """``.chalice/policy-<stage>.json``: for ``chalice deploy``, which names the table ``mentorflow-<stage>``."""
    table = f"arn:aws:dynamodb:*:*:table/{APP_NAME}-{stage}"
    # chalice deploy names the API handler "mentorflow-<stage>" and every other function "mentorflow-<stage>-<name>".
    log_group = f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}"
    return policy_document(
        table_arns=[table, f"{table}/index/*"],
        ses_resources=["arn:aws:ses:*:*:identity/*"],
        log_resources=[log_group, f"{log_group}:*", f"{log_group}-*"],
        ssm_resources=[f"arn:aws:ssm:*:*:parameter/{APP_NAME}/{stage}/*"],
        sync_credentials=sync_credential_statement(stage),
    )


def template_policy(stage: str = "prod") -> dict[str, Any]:
    """The policy inside the SAM template of ``stage``, referring to the table it declares."""
    return policy_document(
        table_arns=[
            {"Fn::GetAtt": [TABLE_RESOURCE, "Arn"]},
            {"Fn::Sub": f"${{{TABLE_RESOURCE}.Arn}}/index/*"},
        ],
        ses_resources=[{"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}],
        # CloudFormation names the functions (stack name, logical id, suffix; truncated when long).
        log_resources=[
            {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/*"}
        ],
        ssm_resources=[
            {"Fn::Sub": f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{APP_NAME}/*"}
        ],
        sync_credentials=_substituted(
            sync_credential_statement(
                stage, partition="${AWS::Partition}", region="${AWS::Region}", account="${AWS::AccountId}"
            )
        ),
    )


def _substituted(statement: dict[str, Any]) -> dict[str, Any]:
    return {**statement, "Resource": [{"Fn::Sub": arn} for arn in statement["Resource"]]}


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> list[str]:
    return sorted(
        name for name, resource in template.get("Resources", {}).items() if resource.get("Type") == resource_type
    )


# API Gateway answers a route it does not know with 403 and SigV4 text ("Missing Authentication
# Token"); the admin API answers JSON errors, so a mistyped path answers a JSON 404 like the app's.
_NOT_FOUND_BODY = '{"error": "not_found", "message": "no such route", "details": null}'
_GATEWAY_ERROR_BODY = '{"error": "gateway_error", "message": $context.error.messageString, "details": null}'


def gateway_responses(rest_api: str) -> dict[str, Any]:
    """API Gateway's own error answers for ``rest_api``, in the app's JSON error shape."""
    json_header = {"gatewayresponse.header.Content-Type": "'application/json'"}

    def response(kind: str, body: str, status: str | None = None) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "RestApiId": {"Ref": rest_api},
            "ResponseType": kind,
            "ResponseParameters": json_header,
            "ResponseTemplates": {"application/json": body},
        }
        if status is not None:
            properties["StatusCode"] = status
        return {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": properties}

    return {
        "MissingRouteGatewayResponse": response("MISSING_AUTHENTICATION_TOKEN", _NOT_FOUND_BODY, "404"),
        "Default4xxGatewayResponse": response("DEFAULT_4XX", _GATEWAY_ERROR_BODY),
        "Default5xxGatewayResponse": response("DEFAULT_5XX", _GATEWAY_ERROR_BODY),
    }


INVITE_FUNCTION = "ReceiveInvitation"
INVITE_DOMAIN_PARAMETER = "InviteMailDomain"
INVITE_CONDITION = "HasInviteMailDomain"
INVITE_PREFIX = "invitations/"
INVITE_RULE_SET = f"{APP_NAME}-invitations"
INVITE_RULE = f"{APP_NAME}-invitations"
# The raw messages hold names and addresses; the function reads one within seconds of its arrival.
INVITE_KEPT_DAYS = 14


def invite_resources(stage: str | None) -> dict[str, Any]:
    """SES receiving for the invite address, as ``integrations/invite-address/`` describes it, all conditional.

    A deployment whose ``InviteMailDomain`` is empty (the default) creates none of it and
    still validates. With a domain: a private bucket keeping messages under ``invitations/``
    for 14 days, which only this account's receipt rule may write; a receipt rule set with
    one rule (TLS required, spam and virus scan) storing each message there, then invoking
    ``receive-invitation``; SES's permission to invoke it; and the function's
    ``MENTORFLOW_INVITE_BUCKET``. CloudFormation cannot make a rule set the active one:
    ``aws ses set-active-receipt-rule-set`` does, once.
    """
    condition = {"Condition": INVITE_CONDITION}
    # The functions may read objects of buckets named mentorflow-* (CALENDAR_STATEMENTS).
    bucket_name = f"{APP_NAME}-{stage + '-' if stage else ''}invitations-${{AWS::AccountId}}-${{AWS::Region}}"
    rule_arn = (
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
        f"receipt-rule-set/{INVITE_RULE_SET}:receipt-rule/{INVITE_RULE}"
    )
    return {
        "InviteBucket": {
            "Type": "AWS::S3::Bucket",
            **condition,
            "Properties": {
                "BucketName": {"Fn::Sub": bucket_name},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "ExpireInvitations",
                            "Status": "Enabled",
                            "Prefix": INVITE_PREFIX,
                            "ExpirationInDays": INVITE_KEPT_DAYS,
                        }
                    ]
                },
            },
        },
        "InviteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            **condition,
            "Properties": {
                "Bucket": {"Ref": "InviteBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AllowSESPuts",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": {"Fn::Sub": f"${{InviteBucket.Arn}}/{INVITE_PREFIX}*"},
                            "Condition": {
                                "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}},
                                "StringLike": {"AWS:SourceArn": {"Fn::Sub": rule_arn}},
                            },
                        }
                    ],
                },
            },
        },
        "InviteInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            **condition,
            "Properties": {
                "FunctionName": {"Ref": INVITE_FUNCTION},
                "Action": "lambda:InvokeFunction",
                "Principal": "ses.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
            },
        },
        "InviteReceiptRuleSet": {
            "Type": "AWS::SES::ReceiptRuleSet",
            **condition,
            "Properties": {"RuleSetName": INVITE_RULE_SET},
        },
        "InviteReceiptRule": {
            "Type": "AWS::SES::ReceiptRule",
            **condition,
            # SES checks when the rule is made that it may write the bucket and invoke the function.
            "DependsOn": ["InviteBucketPolicy", "InviteInvokePermission"],
            "Properties": {
                "RuleSetName": {"Ref": "InviteReceiptRuleSet"},
                "Rule": {
                    "Name": INVITE_RULE,
                    "Enabled": True,
                    "TlsPolicy": "Require",
                    "ScanEnabled": True,
                    "Recipients": [{"Ref": INVITE_DOMAIN_PARAMETER}],
                    "Actions": [
                        {"S3Action": {"BucketName": {"Ref": "InviteBucket"}, "ObjectKeyPrefix": INVITE_PREFIX}},
                        {
                            "LambdaAction": {
                                "FunctionArn": {"Fn::GetAtt": [INVITE_FUNCTION, "Arn"]},
                                "InvocationType": "Event",
                            }
                        },
                    ],
                },
            },
        },
    }


def _invite_parameters() -> dict[str, Any]:
    return {
        "Parameters": {
            INVITE_DOMAIN_PARAMETER: {
                "Type": "String",
                "Default": "",
                "AllowedPattern": r"^$|^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
                "Description": "The invite address's mail domain (meet+<endpoint>@<domain>); empty: no SES receiving.",
            }
        },
        "Conditions": {INVITE_CONDITION: {"Fn::Not": [{"Fn::Equals": [{"Ref": INVITE_DOMAIN_PARAMETER}, ""]}]}},
    }


def merge_template(generated: Mapping[str, Any], stage: str = "prod") -> dict[str, Any]:
    """What to merge into the template ``chalice package`` generated (``generated``) for this app.

    Chalice merges dictionaries key by key and lets this template's lists and values win,
    so a role's ``Policies`` list is replaced whole while its other properties stay.
    """
    functions = resources_of_type(generated, "AWS::Serverless::Function")
    roles = resources_of_type(generated, "AWS::IAM::Role")
    if not functions:
        raise PackagingFailed("chalice package generated no functions")
    if not roles:
        raise PackagingFailed("chalice package generated no IAM role to restrict (is manage_iam_role false?)")
    resources: dict[str, Any] = {TABLE_RESOURCE: cloudformation_resource()}
    for function in functions:
        resources[function] = {"Properties": {"Environment": {"Variables": {TABLE_ENV_VAR: {"Ref": TABLE_RESOURCE}}}}}
    for role in roles:
        resources[role] = {
            "Properties": {"Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": template_policy(stage)}]}
        }
    for rest_api in resources_of_type(generated, "AWS::Serverless::Api"):
        resources.update(gateway_responses(rest_api))
    invites: dict[str, Any] = {}
    if INVITE_FUNCTION in functions:
        invites = _invite_parameters()
        resources.update(invite_resources(stage))
        bucket = {"Fn::If": [INVITE_CONDITION, {"Ref": "InviteBucket"}, {"Ref": "AWS::NoValue"}]}
        resources[INVITE_FUNCTION]["Properties"]["Environment"]["Variables"]["MENTORFLOW_INVITE_BUCKET"] = bucket
    return {
        **invites,
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": TABLE_RESOURCE}},
            "TableArn": {"Value": {"Fn::GetAtt": [TABLE_RESOURCE, "Arn"]}},
        },
    }


def packaging_environment(base: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key not in _ENV_TO_DROP}
    env.update(PACKAGING_ENV)
    return env


def run_chalice_package(stage: str, out: Path, merge: Path | None = None) -> str:
    """Run ``chalice package`` and return its output (shown to the user: it names what it could not install)."""
    command = [sys.executable, "-c", _CHALICE, "--project-dir", str(REPO_ROOT), "package", "--stage", stage]
    if merge is not None:
        command += ["--merge-template", str(merge)]
    command.append(str(out))
    result = subprocess.run(  # noqa: S603
        command,
        cwd=REPO_ROOT,
        env=packaging_environment(os.environ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise PackagingFailed(f"chalice package exited with code {result.returncode}:\n{output}")
    return output


def requirement_names(requirements: Path) -> list[str]:
    """Distribution names pinned in a requirements file (``-r`` includes and options are not followed)."""
    names = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if match:
            names.append(match.group(0))
    return names


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def missing_distributions(zip_path: Path, names: Iterable[str]) -> list[str]:
    """Which of ``names`` have no ``.dist-info`` folder in the deployment zip."""
    with zipfile.ZipFile(zip_path) as archive:
        present = {
            _normalise(top[: -len(".dist-info")].rsplit("-", 1)[0])
            for top in {info.filename.split("/", 1)[0] for info in archive.infolist()}
            if top.endswith(".dist-info")
        }
    return [name for name in names if _normalise(name) not in present]


def unzipped_size(zip_path: Path) -> int:
    """Sum of the uncompressed sizes of the files in the zip: what counts against Lambda's limit."""
    with zipfile.ZipFile(zip_path) as archive:
        return sum(info.file_size for info in archive.infolist())


@dataclass(frozen=True)
class PackageResult:
    out: Path
    template: dict[str, Any]
    unzipped_bytes: int
    missing: list[str]
    chalice_output: str
    seconds: tuple[float, float, float]
    slim: SlimReport

    @property
    def too_large(self) -> bool:
        return self.unzipped_bytes > UNZIPPED_BUDGET_BYTES


def _prepare_out(out: Path) -> None:
    if out.exists():
        leftovers = {p.name for p in out.iterdir()} - {"sam.json", "sam.yaml", "deployment.zip"}
        if leftovers:
            raise PackagingFailed(f"{out} holds other files than a previous package; choose an empty --out")
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)


def build_package(stage: str, out: Path, merge_path: Path | None = None) -> PackageResult:
    """Build the SAM package for ``stage`` into ``out`` and check it (see the module docstring)."""
    check_python(sys.version_info[:2])
    out = out.resolve()
    _prepare_out(out)
    with tempfile.TemporaryDirectory(prefix="mentorflow-package-") as scratch:
        probe = Path(scratch) / "probe"
        started = time.monotonic()
        probe_output = run_chalice_package(stage, probe)
        probed = time.monotonic()
        generated = json.loads((probe / "sam.json").read_text(encoding="utf-8"))
    merge = merge_template(generated, stage)
    merge_path = (merge_path or out.parent / f"merge-template-{stage}.json").resolve()
    merge_path.parent.mkdir(parents=True, exist_ok=True)
    merge_path.write_text(json.dumps(merge, indent=2) + "\n", encoding="utf-8")
    merged = time.monotonic()
    output = run_chalice_package(stage, out, merge_path)
    finished = time.monotonic()
    template = json.loads((out / "sam.json").read_text(encoding="utf-8"))
    problems = check_template(template)
    if problems:
        raise PackagingFailed("the merged template is wrong: " + "; ".join(problems))
    zip_path = out / "deployment.zip"
    try:
        slim = slim_zip(zip_path, supported_languages(), babel_parent_exceptions())
    except SlimmingFailed as exc:
        raise PackagingFailed(str(exc)) from exc
    slimmed = time.monotonic()
    return PackageResult(
        out=out,
        template=template,
        unzipped_bytes=unzipped_size(zip_path),
        missing=missing_distributions(zip_path, requirement_names(REPO_ROOT / "requirements.txt")),
        # Only the first run builds the dependencies, so only it tells which could not be installed.
        chalice_output=_combined(probe_output, output),
        seconds=(probed - started, finished - merged, slimmed - finished),
        slim=slim,
    )


def check_python(version: tuple[int, ...]) -> None:
    """Refuse to package with another Python than the runtime's: its bytecode would be ignored at every cold start."""
    if tuple(version) != LAMBDA_PYTHON:
        wanted = ".".join(map(str, LAMBDA_PYTHON))
        raise PackagingFailed(
            f"packaging needs Python {wanted}, the Lambda runtime's, not {'.'.join(map(str, version))}"
        )


def supported_languages() -> set[str]:
    """Every language a message is written in: Babel needs its locale data for these alone."""
    from chalicelib.notify.templates import languages_of, template_names

    return {language for template in template_names() for language in languages_of(template)}


def babel_parent_exceptions() -> dict[str, str]:
    from babel.core import get_global

    return dict(get_global("parent_exceptions"))


def _combined(first: str, second: str) -> str:
    seen = set(first.splitlines())
    extra = [line for line in second.splitlines() if line.strip() and line not in seen]
    return "\n".join([first, *extra]).strip()


def check_template(template: Mapping[str, Any]) -> list[str]:
    """What is wrong with a merged template: a function not on the table, a role broader than the table."""
    problems = []
    resources = template.get("Resources", {})
    if resources.get(TABLE_RESOURCE, {}).get("Type") != "AWS::DynamoDB::Table":
        problems.append(f"no {TABLE_RESOURCE}")
    runtime = _lambda_runtime(template)
    if runtime != "python{}.{}".format(*LAMBDA_PYTHON):
        problems.append(f"the functions run on {runtime}, not the Python the bytecode is compiled for")
    for name in resources_of_type(template, "AWS::Serverless::Function"):
        variables = resources[name]["Properties"].get("Environment", {}).get("Variables", {})
        if variables.get(TABLE_ENV_VAR) != {"Ref": TABLE_RESOURCE}:
            problems.append(f"{name} does not read the table name from {TABLE_RESOURCE}")
    for name in resources_of_type(template, "AWS::IAM::Role"):
        for policy in resources[name]["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                if any(a.startswith("dynamodb:") for a in actions) and "*" in targets:
                    problems.append(f"{name} may use DynamoDB on every table")
                if any(a.endswith(":*") or a == "*" for a in actions):
                    problems.append(f"{name} grants a wildcard action")
    return problems


def _lambda_runtime(template: Mapping[str, Any]) -> str:
    for name in resources_of_type(template, "AWS::Serverless::Function"):
        return str(template["Resources"][name]["Properties"].get("Runtime", "?"))
    return "?"


def report(result: PackageResult) -> int:
    template = result.template
    say = print
    say(f"SAM template:   {result.out / 'sam.json'}")
    say(f"Code:           {result.out / 'deployment.zip'}")
    say(f"Functions:      {', '.join(resources_of_type(template, 'AWS::Serverless::Function'))}")
    say(f"Roles:          {', '.join(resources_of_type(template, 'AWS::IAM::Role'))} (scoped to {TABLE_RESOURCE})")
    say(f"Runtime:        {_lambda_runtime(template)}")
    slim = result.slim
    size = result.unzipped_bytes / MB
    limit = LAMBDA_UNZIPPED_LIMIT_BYTES // MB
    say(f"Unzipped size:  {size:.1f} MB ({result.unzipped_bytes:,} bytes) of Lambda's {limit} MB")
    say(f"                from {slim.before_bytes / MB:.1f} MB; {slim.compiled_files:,} modules compiled")
    for reason, removed in slim.removed_bytes.most_common():
        say(f"                -{removed / MB:6.1f} MB {reason}")
    if not slim.stripped_modules:
        say("NOTE:           no `strip` (binutils) found: extension modules keep their symbol tables")
    say("Biggest parts:  " + ", ".join(f"{name} {bytes_ / MB:.1f} MB" for name, bytes_ in slim.largest[:8]))
    steps = ("chalice package", "merged chalice package", "slim and compile")
    say(f"Built in:       {', '.join(f'{s:.0f} s {step}' for s, step in zip(result.seconds, steps, strict=True))}")
    code = 0
    if result.too_large:
        budget = UNZIPPED_BUDGET_BYTES // MB
        say(f"ERROR: the unzipped package is {size:.1f} MB, over the {budget} MB budget (Lambda's limit: {limit} MB).")
        code = 1
    if result.missing:
        say(f"ERROR: not in deployment.zip: {', '.join(result.missing)}.")
        say(
            f"       chalice found no wheel of them for the Lambda runtime ({_lambda_runtime(template)}); "
            "for python3.11 (Amazon Linux 2, glibc 2.26) it accepts only wheels tagged "
            "manylinux2014 or manylinux_2_26 and older. The functions that import them will fail."
        )
        code = 1
    return code


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.package", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="prod", help="chalice stage to package (default: prod)")
    parser.add_argument("--out", default=str(REPO_ROOT / "build" / "package"), help="output folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"Packaging stage {args.stage} (chalice package, twice: to learn its resources, then merged)...")
    try:
        result = build_package(args.stage, Path(args.out))
    except PackagingFailed as exc:
        print(f"ERROR: {exc}")
        return 1
    if result.chalice_output:
        print(result.chalice_output)
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
