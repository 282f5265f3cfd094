"""The packaged template's SES receiving for the invite address: created only when a mail domain is given."""

from __future__ import annotations

from typing import Any

from devtools.package import merge_template

CONDITION = "HasInviteMailDomain"


def _generated(*functions: str) -> dict[str, Any]:
    """What chalice package generates: the functions and their role."""
    resources: dict[str, Any] = {name: {"Type": "AWS::Serverless::Function", "Properties": {}} for name in functions}
    resources["DefaultRole"] = {"Type": "AWS::IAM::Role", "Properties": {}}
    return {"Resources": resources}


def test_the_receipt_rule_stores_each_invitation_then_invokes_receive_invitation_when_a_domain_is_given() -> None:
    # WHEN the merge template is built for an app with the receive-invitation function
    merged = merge_template(_generated("APIHandler", "ReceiveInvitation"), "prod")
    resources = merged["Resources"]

    # THEN the rule receives mail for the domain parameter: to the bucket under invitations/, then the function
    rule = resources["InviteReceiptRule"]
    assert rule["Properties"]["RuleSetName"] == {"Ref": "InviteReceiptRuleSet"}
    assert rule["Properties"]["Rule"]["Recipients"] == [{"Ref": "InviteMailDomain"}]
    assert (rule["Properties"]["Rule"]["TlsPolicy"], rule["Properties"]["Rule"]["ScanEnabled"]) == ("Require", True)
    assert rule["Properties"]["Rule"]["Actions"] == [
        {"S3Action": {"BucketName": {"Ref": "InviteBucket"}, "ObjectKeyPrefix": "invitations/"}},
        {"LambdaAction": {"FunctionArn": {"Fn::GetAtt": ["ReceiveInvitation", "Arn"]}, "InvocationType": "Event"}},
    ]
    # AND only that rule of this account may write the bucket, whose name the functions' policy allows reading
    statement = resources["InviteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert statement["Condition"]["StringLike"]["AWS:SourceArn"]["Fn::Sub"].endswith(
        ":receipt-rule-set/mentorflow-invitations:receipt-rule/mentorflow-invitations"
    )
    assert resources["InviteBucket"]["Properties"]["BucketName"] == {
        "Fn::Sub": "mentorflow-prod-invitations-${AWS::AccountId}-${AWS::Region}"
    }
    lifecycle = resources["InviteBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Prefix"], r["ExpirationInDays"]) for r in lifecycle] == [("invitations/", 14)]
    assert resources["InviteInvokePermission"]["Properties"]["Principal"] == "ses.amazonaws.com"
    # AND the function is told the bucket
    variables = resources["ReceiveInvitation"]["Properties"]["Environment"]["Variables"]
    assert variables["MENTORFLOW_INVITE_BUCKET"] == {
        "Fn::If": [CONDITION, {"Ref": "InviteBucket"}, {"Ref": "AWS::NoValue"}]
    }


def test_every_invite_resource_depends_on_the_domain_parameter_which_defaults_to_none() -> None:
    # WHEN the merge template is built
    merged = merge_template(_generated("APIHandler", "ReceiveInvitation"))

    # THEN the domain parameter is empty by default and each invite resource is conditional on it
    assert merged["Parameters"]["InviteMailDomain"]["Default"] == ""
    assert merged["Conditions"][CONDITION] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "InviteMailDomain"}, ""]}]}
    invite = {name: r for name, r in merged["Resources"].items() if name.startswith("Invite")}
    assert sorted(invite) == [
        "InviteBucket",
        "InviteBucketPolicy",
        "InviteInvokePermission",
        "InviteReceiptRule",
        "InviteReceiptRuleSet",
    ]
    assert {r["Condition"] for r in invite.values()} == {CONDITION}


def test_an_app_without_the_invitation_function_gets_no_receiving() -> None:
    # WHEN the merge template is built for an app without receive-invitation
    merged = merge_template(_generated("APIHandler"))

    # THEN it has no invite resources, parameter or condition
    assert not [name for name in merged["Resources"] if name.startswith("Invite")]
    assert "Parameters" not in merged
    assert "Conditions" not in merged
