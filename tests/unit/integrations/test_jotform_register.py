"""``integrations/jotform/register_webhook.py`` against a fake Jotform API (HTTP layer, ``responses``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
import responses

from tests.unit.integrations.kits import load_kit

kit = load_kit("jotform/register_webhook.py", "jotform_register_webhook")

API = "https://api.jotform.com"
FORM_ID = "241234567890123"
API_KEY = "jf-api-key-full-access-0123456789"
ENDPOINT_URL = "https://mentorflow.example.org/hooks/jotform/ep_01J9JOTFORM"
SECRET = "Vq3xbH0Y2m4QeH8u8l0rE6zqTgP1x7kQ9bYcN2wA5sM"
OLD_SECRET = "oldTokenFromBeforeTheRotation_abcdefghijk12"
WEBHOOKS_PATH = re.compile(rf"{re.escape(API)}/form/(?P<form>[^/]+)/webhooks(?:/(?P<webhook>[^/]+))?$")


@dataclass
class FakeJotform:
    """Jotform's per-form webhook list as its API behaves: ids are list positions, errors repeat the status."""

    forms: dict[str, list[str]] = field(default_factory=lambda: {FORM_ID: []})
    api_key: str = API_KEY
    received: list[requests.PreparedRequest] = field(default_factory=list)

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.received.append(request)
        if request.headers.get("APIKEY") != self.api_key:
            return _answer(401, "You're not authorized to use (/form-id/webhooks) ", "")
        match = WEBHOOKS_PATH.match(request.url or "")
        assert match is not None, request.url
        hooks = self.forms.get(match["form"])
        if hooks is None:
            return _answer(404, "Form not found", "")
        if request.method == "POST":
            fields = parse_qs(str(request.body or ""))
            hooks.append(fields["webhookURL"][0])
        elif request.method == "DELETE":
            del hooks[int(match["webhook"])]
        return _answer(200, "success", {str(index): hook for index, hook in enumerate(hooks)} if hooks else [])

    @property
    def methods(self) -> list[str]:
        return [request.method or "" for request in self.received]


def _answer(status: int, message: str, content: Any) -> tuple[int, dict[str, str], str]:
    body = {"responseCode": status, "message": message, "content": content, "limit-left": 999}
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def with_token(token: str) -> str:
    return f"{ENDPOINT_URL}?token={token}"


@pytest.fixture
def fake_api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def jotform(fake_api: responses.RequestsMock) -> FakeJotform:
    fake = FakeJotform()
    for method in ("GET", "POST", "DELETE"):
        fake_api.add_callback(method, WEBHOOKS_PATH, callback=fake.handle)
    return fake


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOTFORM_API_KEY", API_KEY)
    monkeypatch.setenv("MENTORFLOW_SECRET", SECRET)


def test_the_webhook_is_added_with_the_secret_as_url_token(jotform: FakeJotform) -> None:
    # GIVEN a form without webhooks
    # WHEN mentorflow's endpoint is registered on it
    with requests.Session() as session:
        result = kit.register(session, API, API_KEY, FORM_ID, ENDPOINT_URL, SECRET)

    # THEN Jotform was asked for the list, then received one form-encoded webhookURL carrying the token
    assert jotform.methods == ["GET", "POST"]
    post = jotform.received[1]
    assert post.url == f"{API}/form/{FORM_ID}/webhooks"
    assert post.headers["APIKEY"] == API_KEY
    assert post.headers["Content-Type"] == "application/x-www-form-urlencoded"
    [posted_url] = parse_qs(str(post.body))["webhookURL"]
    assert dict(parse_qsl(urlsplit(posted_url).query)) == {"token": SECRET}
    assert posted_url.split("?")[0] == ENDPOINT_URL
    assert result["status"] == "created"
    assert jotform.forms[FORM_ID] == [with_token(SECRET)]


def test_registering_again_adds_nothing(jotform: FakeJotform) -> None:
    # GIVEN the webhook already in place
    jotform.forms[FORM_ID].append(with_token(SECRET))

    # WHEN it is registered again
    with requests.Session() as session:
        result = kit.register(session, API, API_KEY, FORM_ID, ENDPOINT_URL, SECRET)

    # THEN Jotform was only read, and the form still has one webhook
    assert jotform.methods == ["GET"]
    assert result["status"] == "exists"
    assert jotform.forms[FORM_ID] == [with_token(SECRET)]


def test_a_url_already_carrying_its_token_is_used_as_given(jotform: FakeJotform) -> None:
    # GIVEN the url exactly as POST /api/v1/endpoints returned it, token included
    # WHEN it is registered without a separate secret
    with requests.Session() as session:
        kit.register(session, API, API_KEY, FORM_ID, with_token(SECRET), None)

    # THEN Jotform stores that URL
    assert jotform.forms[FORM_ID] == [with_token(SECRET)]


def test_after_a_rotation_the_old_token_webhook_is_reported_and_kept_by_default(jotform: FakeJotform) -> None:
    # GIVEN the webhook registered with the token from before a rotation, next to an unrelated one
    jotform.forms[FORM_ID] += ["https://hooks.zapier.example/catch/1", with_token(OLD_SECRET)]

    # WHEN the new token is registered without --replace
    with requests.Session() as session:
        result = kit.register(session, API, API_KEY, FORM_ID, ENDPOINT_URL, SECRET)

    # THEN the new webhook is added and the old one is named (masked) but left in place
    assert jotform.forms[FORM_ID] == [
        "https://hooks.zapier.example/catch/1", with_token(OLD_SECRET), with_token(SECRET),
    ]
    assert result["stale"] == [f"{ENDPOINT_URL}?token={OLD_SECRET[:4]}..."]
    assert result["removed"] == []


def test_replace_removes_every_older_token_webhook_once_the_new_one_is_in(jotform: FakeJotform) -> None:
    # GIVEN two webhooks to the same endpoint with older tokens, around an unrelated one
    jotform.forms[FORM_ID] += [with_token(OLD_SECRET), "https://hooks.zapier.example/catch/1", with_token("older2")]

    # WHEN the new token is registered with replace
    with requests.Session() as session:
        result = kit.register(session, API, API_KEY, FORM_ID, ENDPOINT_URL, SECRET, replace=True)

    # THEN the new one was added before anything was deleted, and only the unrelated one and the new one remain
    assert jotform.methods == ["GET", "POST", "DELETE", "DELETE"]
    assert jotform.forms[FORM_ID] == ["https://hooks.zapier.example/catch/1", with_token(SECRET)]
    assert len(result["removed"]) == 2


def test_a_rejected_api_key_is_reported_without_quoting_it(
    jotform: FakeJotform, key_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN Jotform that does not know the key
    jotform.api_key = "another-key"

    # WHEN the webhook is registered
    exit_code = kit.main(["--form-id", FORM_ID, "--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN the tool fails on the key, and prints neither credential
    printed = capsys.readouterr()
    assert exit_code == kit.EXIT_FAILED
    assert "401" in printed.err
    assert "Full Access" in printed.err
    for credential in (API_KEY, SECRET):
        assert credential not in printed.out + printed.err


def test_an_unknown_form_mentions_the_eu_and_hipaa_api_hosts(jotform: FakeJotform) -> None:
    # GIVEN a form id Jotform does not have on this host
    # WHEN the webhook is registered on it
    with requests.Session() as session, pytest.raises(kit.JotformError) as raised:
        kit.register(session, API, API_KEY, "999", ENDPOINT_URL, SECRET)

    # THEN the error explains where else the form may live
    assert "404" in str(raised.value)
    assert "eu-api.jotform.com" in str(raised.value)


def test_an_error_in_the_body_of_a_200_answer_is_still_an_error(fake_api: responses.RequestsMock) -> None:
    # GIVEN Jotform answering HTTP 200 whose body reports a failure
    fake_api.get(
        f"{API}/form/{FORM_ID}/webhooks",
        json={"responseCode": 401, "message": "You're not authorized to use (/form-id/webhooks) ", "content": ""},
    )

    # WHEN the webhooks are listed
    with requests.Session() as session, pytest.raises(kit.JotformError) as raised:
        kit.list_webhooks(session, API, API_KEY, FORM_ID)

    # THEN the status in the body decides
    assert "401" in str(raised.value)


def test_output_shows_tokens_only_masked(
    jotform: FakeJotform, key_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a registration followed by a check
    kit.main(["--form-id", FORM_ID, "--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])
    kit.main(["--form-id", FORM_ID, "--check", "--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # WHEN the output is read
    out = capsys.readouterr().out

    # THEN the webhook appears with a four-character token stub, never the whole token
    assert f"{ENDPOINT_URL}?token={SECRET[:4]}..." in out
    assert SECRET not in out
    assert "The mentorflow webhook with this token is in place." in out


def test_check_without_a_mentorflow_webhook_says_so(
    jotform: FakeJotform, key_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a form with an unrelated webhook only
    jotform.forms[FORM_ID].append("https://hooks.zapier.example/catch/1")

    # WHEN the form is checked
    exit_code = kit.main(["--form-id", FORM_ID, "--check"])

    # THEN the check lists it and reports ours missing, after reading only
    assert exit_code == kit.EXIT_NOT_REGISTERED
    assert "No mentorflow webhook on this form." in capsys.readouterr().out
    assert jotform.methods == ["GET"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--form-id", FORM_ID, "--url", ENDPOINT_URL],
        ["--form-id", FORM_ID, "--url", "http://mentorflow.example.org/hooks/jotform/ep_1?token=x"],
        ["--form-id", FORM_ID, "--url", "https://mentorflow.example.org/hooks/typeform/ep_1?token=x"],
        ["--form-id", FORM_ID],
    ],
    ids=["no-token-anywhere", "plain-http", "another-source", "no-url"],
)
def test_unusable_arguments_stop_before_calling_jotform(
    jotform: FakeJotform, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    # GIVEN an API key but arguments that cannot make a working webhook
    monkeypatch.setenv("JOTFORM_API_KEY", API_KEY)

    # WHEN the tool runs
    exit_code = kit.main(argv)

    # THEN it stops with a usage error and Jotform received nothing
    assert exit_code == kit.EXIT_USAGE
    assert jotform.received == []


def test_without_an_api_key_in_the_environment_nothing_is_sent(
    jotform: FakeJotform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no JOTFORM_API_KEY
    monkeypatch.delenv("JOTFORM_API_KEY", raising=False)

    # WHEN registration is attempted
    exit_code = kit.main(["--form-id", FORM_ID, "--url", with_token(SECRET)])

    # THEN nothing reached Jotform
    assert exit_code == kit.EXIT_USAGE
    assert jotform.received == []
