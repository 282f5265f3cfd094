"""The packaged template makes API Gateway's own errors JSON: a mistyped route answers 404, not SigV4 text."""

from __future__ import annotations

import json

from devtools.package import merge_template


def test_a_route_api_gateway_does_not_know_answers_a_json_404() -> None:
    # GIVEN what chalice package generates: a function, its role and the REST API
    generated = {
        "Resources": {
            "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {}},
        }
    }

    # WHEN the merge template is built
    resources = merge_template(generated)["Resources"]

    # THEN API Gateway's missing-route answer is a 404 with the app's JSON error body
    missing = resources["MissingRouteGatewayResponse"]
    assert missing["Type"] == "AWS::ApiGateway::GatewayResponse"
    properties = missing["Properties"]
    assert (properties["RestApiId"], properties["ResponseType"], properties["StatusCode"]) == (
        {"Ref": "RestAPI"},
        "MISSING_AUTHENTICATION_TOKEN",
        "404",
    )
    assert json.loads(properties["ResponseTemplates"]["application/json"])["error"] == "not_found"
    assert properties["ResponseParameters"] == {"gatewayresponse.header.Content-Type": "'application/json'"}
