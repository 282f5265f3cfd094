"""``integrations/typeform/register_webhook.py`` against a fake Typeform Webhooks API (HTTP layer, ``responses``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import responses

from tests.unit.integrations.kits import load_kit

kit = load_kit("typeform/register_webhook.py", "typeform_register_webhook")

API = "https://api.typeform.com"
FORM_ID = "u6nXL7"
TOKEN = "tfp_coordinator_personal_token_123"
ENDPOINT_URL = "https://mentorflow.example.org/hooks/typeform/ep_01J9TYPEFORM"
SECRET = "s3cr3t-shown-once-by-mentorflow"
WEBHOOKS_PATH = re.compile(rf"{re.escape(API)}/forms/(?P<form>[^/]+)/webhooks(?:/(?P<tag>[^/]+))?$")


@dataclass
class FakeTypeform:
    """Typeform's webhook store as its API documents it: one webhook per (form, tag), PUT creates or replaces."""

    forms: set[str] = field(default_factory=lambda: {FORM_ID})
    token: str = TOKEN
    webhooks: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    received: list[requests.PreparedRequest] = field(default_factory=list)

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.received.append(request)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json(401, {"code": "AUTHENTICATION_FAILED", "description": "Authentication credentials not found"})
        match = WEBHOOKS_PATH.match(request.url or "")
        assert match is not None, request.url
        form, tag = match["form"], match["tag"]
        if form not in self.forms:
            return _json(404, {"code": "FORM_NOT_FOUND", "description": "Non existing form with uid " + form})
        if request.method == "GET" and tag is None:
            items = [hook for (hook_form, _), hook in self.webhooks.items() if hook_form == form]
            return _json(200, {"items": items})
        if request.method == "PUT" and tag is not None:
            body = sent_json(request)
            stored = {"id": f"wh_{tag}", "form_id": form, "tag": tag, **body}
            self.webhooks[(form, tag)] = stored
            return _json(200, stored)
        return _json(405, {"code": "METHOD_NOT_ALLOWED"})


def sent_json(request: requests.PreparedRequest) -> Any:
    body = request.body
    return json.loads(body if isinstance(body, bytes | str) else b"{}")


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def fake_api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def typeform(fake_api: responses.RequestsMock) -> FakeTypeform:
    fake = FakeTypeform()
    for method in ("GET", "PUT"):
        fake_api.add_callback(method, WEBHOOKS_PATH, callback=fake.handle)
    return fake


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TYPEFORM_TOKEN", TOKEN)
    monkeypatch.setenv("MENTORFLOW_SECRET", SECRET)


def register_argv(*extra: str) -> list[str]:
    return ["--form-id", FORM_ID, "--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET", *extra]


def test_registering_puts_a_signed_enabled_webhook_under_the_mentorflow_tag(typeform: FakeTypeform) -> None:
    # GIVEN a Typeform account with the form
    # WHEN the webhook is registered
    with requests.Session() as session:
        kit.register(session, API, TOKEN, FORM_ID, "mentorflow", ENDPOINT_URL, SECRET)

    # THEN Typeform received one PUT to the tag's URL, with the token as a bearer and the full settings
    [request] = typeform.received
    assert request.method == "PUT"
    assert request.url == f"{API}/forms/{FORM_ID}/webhooks/mentorflow"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_json(request) == {
        "url": ENDPOINT_URL,
        "enabled": True,
        "secret": SECRET,
        "verify_ssl": True,
        "event_types": {"form_response": True},
    }


def test_registration_waits_for_typeform_only_for_a_bounded_time(typeform: FakeTypeform) -> None:
    # GIVEN a Typeform account with the form
    # WHEN the webhook is registered
    with requests.Session() as session:
        kit.register(session, API, TOKEN, FORM_ID, "mentorflow", ENDPOINT_URL, SECRET)

    # THEN the request carried a finite timeout
    [request] = typeform.received
    timeout = request.req_kwargs["timeout"]  # type: ignore[attr-defined]
    assert timeout is not None
    assert all(0 < part <= 60 for part in (timeout if isinstance(timeout, tuple) else (timeout,)))


def test_registering_twice_leaves_one_webhook_on_the_form(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a webhook registered once
    assert kit.main(register_argv()) == kit.EXIT_OK

    # WHEN it is registered again, as after a secret rotation, then checked
    assert kit.main(register_argv()) == kit.EXIT_OK
    exit_code = kit.main(["--form-id", FORM_ID, "--check", "--url", ENDPOINT_URL])

    # THEN Typeform holds exactly one webhook for the form, and the check finds it healthy
    assert list(typeform.webhooks) == [(FORM_ID, "mentorflow")]
    assert exit_code == kit.EXIT_OK
    assert "is registered, enabled and signed" in capsys.readouterr().out


def test_the_returned_webhook_does_not_carry_the_secret_typeform_echoes(typeform: FakeTypeform) -> None:
    # GIVEN Typeform, which returns the stored webhook secret included
    # WHEN the webhook is registered
    with requests.Session() as session:
        webhook = kit.register(session, API, TOKEN, FORM_ID, "mentorflow", ENDPOINT_URL, SECRET)

    # THEN the caller sees that it is signed, never the secret itself
    assert typeform.webhooks[(FORM_ID, "mentorflow")]["secret"] == SECRET
    assert "secret" not in webhook
    assert webhook["signed"] is True
    assert webhook["url"] == ENDPOINT_URL


def test_neither_token_nor_secret_is_printed(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a registration and a check
    kit.main(register_argv())
    kit.main(["--form-id", FORM_ID, "--check"])

    # WHEN everything the tool printed is read
    printed = capsys.readouterr()

    # THEN neither credential appears anywhere in it
    for credential in (TOKEN, SECRET):
        assert credential not in printed.out
        assert credential not in printed.err


def test_without_a_token_in_the_environment_nothing_is_sent(
    typeform: FakeTypeform, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no TYPEFORM_TOKEN set
    monkeypatch.delenv("TYPEFORM_TOKEN", raising=False)

    # WHEN registration is attempted
    exit_code = kit.main(["--form-id", FORM_ID, "--url", ENDPOINT_URL, "--secret", SECRET])

    # THEN it stops before calling Typeform and says which variable to set
    assert exit_code == kit.EXIT_USAGE
    assert typeform.received == []
    assert "TYPEFORM_TOKEN" in capsys.readouterr().err


def test_token_variable_name_can_be_chosen(
    typeform: FakeTypeform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the token kept in another variable
    monkeypatch.delenv("TYPEFORM_TOKEN", raising=False)
    monkeypatch.setenv("TF_PROGRAMME_TOKEN", TOKEN)

    # WHEN the tool is told where it is
    exit_code = kit.main(["--form-id", FORM_ID, "--url", ENDPOINT_URL, "--secret", SECRET,
                          "--token-env", "TF_PROGRAMME_TOKEN"])

    # THEN Typeform received that token
    assert exit_code == kit.EXIT_OK
    assert typeform.received[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://mentorflow.example.org/hooks/typeform/ep_1", "https://"),
        ("https://mentorflow.example.org/hooks/tally/ep_1", "/hooks/typeform/"),
    ],
)
def test_a_url_that_is_not_a_typeform_endpoint_is_refused_before_calling_typeform(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str], url: str, complaint: str
) -> None:
    # GIVEN a URL that is plain HTTP or belongs to another source
    # WHEN registration is attempted with it
    exit_code = kit.main(["--form-id", FORM_ID, "--url", url, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN nothing reaches Typeform and the reason is given
    assert exit_code == kit.EXIT_USAGE
    assert typeform.received == []
    assert complaint in capsys.readouterr().err


def test_a_rejected_token_is_reported_as_such(typeform: FakeTypeform) -> None:
    # GIVEN Typeform that does not know the token
    typeform.token = "tfp_someone_else"

    # WHEN the webhook is registered
    with requests.Session() as session, pytest.raises(kit.TypeformError) as raised:
        kit.register(session, API, TOKEN, FORM_ID, "mentorflow", ENDPOINT_URL, SECRET)

    # THEN the error names the token as the problem, without quoting it
    assert "401" in str(raised.value)
    assert "access token" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_an_unknown_form_is_reported_with_where_to_find_the_form_id(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a form id that is not in the account
    # WHEN the webhook is registered on it
    exit_code = kit.main(["--form-id", "nOpE42", "--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN the tool fails and explains which id it needs
    err = capsys.readouterr().err
    assert exit_code == kit.EXIT_FAILED
    assert "404" in err
    assert "nOpE42" in err
    assert "/to/" in err


def test_settings_typeform_refuses_are_reported_in_typeforms_own_words(
    fake_api: responses.RequestsMock,
) -> None:
    # GIVEN Typeform refusing the settings, with a validation error that happens to quote the secret
    fake_api.put(
        f"{API}/forms/{FORM_ID}/webhooks/mentorflow",
        status=422,
        json={
            "code": "VALIDATION_ERROR",
            "description": "The payload is invalid",
            "details": [{"code": "INVALID_URL", "description": f"url is not reachable ({SECRET})", "field": "url"}],
        },
    )

    # WHEN the webhook is registered
    with requests.Session() as session, pytest.raises(kit.TypeformError) as raised:
        kit.register(session, API, TOKEN, FORM_ID, "mentorflow", ENDPOINT_URL, SECRET)

    # THEN Typeform's reason is passed on, with the secret blanked out
    message = str(raised.value)
    assert "422" in message
    assert "The payload is invalid" in message
    assert "url: url is not reachable" in message
    assert SECRET not in message


def test_an_unreachable_typeform_is_reported_without_the_request(fake_api: responses.RequestsMock) -> None:
    # GIVEN Typeform that cannot be reached
    fake_api.put(
        f"{API}/forms/{FORM_ID}/webhooks/mentorflow",
        body=requests.ConnectionError(f"failed to send Authorization: Bearer {TOKEN}"),
    )

    # WHEN the webhook is registered
    with requests.Session() as session, pytest.raises(kit.TypeformError) as raised:
        kit.register(session, API, TOKEN, FORM_ID, "mentorflow", ENDPOINT_URL, SECRET)

    # THEN the error names the host, and nothing from the failed request
    assert "api.typeform.com" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_check_reports_a_missing_webhook(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a form with only somebody else's webhook
    typeform.webhooks[(FORM_ID, "zapier")] = {
        "tag": "zapier", "url": "https://hooks.zapier.example/1", "enabled": True, "verify_ssl": True,
    }

    # WHEN the form is checked
    exit_code = kit.main(["--form-id", FORM_ID, "--check"])

    # THEN the check lists what is there and says ours is missing, after a read-only GET
    out = capsys.readouterr().out
    assert exit_code == kit.EXIT_NOT_REGISTERED
    assert "zapier: https://hooks.zapier.example/1" in out
    assert "No webhook tagged 'mentorflow'" in out
    assert [request.method for request in typeform.received] == ["GET"]


def test_check_flags_a_webhook_typeform_disabled(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN our webhook, disabled by Typeform after repeated failures
    typeform.webhooks[(FORM_ID, "mentorflow")] = {
        "tag": "mentorflow", "url": ENDPOINT_URL, "enabled": False, "verify_ssl": True, "secret": SECRET,
    }

    # WHEN the form is checked
    exit_code = kit.main(["--form-id", FORM_ID, "--check"])

    # THEN the check says it needs attention
    assert exit_code == kit.EXIT_NOT_REGISTERED
    assert "disabled" in capsys.readouterr().out


def test_eu_accounts_are_served_by_the_eu_api(fake_api: responses.RequestsMock, token_env: None) -> None:
    # GIVEN an account in Typeform's EU data center
    eu = fake_api.put("https://api.eu.typeform.com/forms/u6nXL7/webhooks/mentorflow", json={"tag": "mentorflow"})

    # WHEN the webhook is registered with the EU API base
    exit_code = kit.main(register_argv("--api-base", "https://api.eu.typeform.com"))

    # THEN the EU API received it
    assert exit_code == kit.EXIT_OK
    assert eu.call_count == 1


def test_check_does_not_print_tokens_other_tools_keep_in_their_webhook_urls(
    typeform: FakeTypeform, token_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN another tool's webhook whose URL carries that tool's key
    typeform.webhooks[(FORM_ID, "crm")] = {
        "tag": "crm", "url": "https://crm.example/hooks?key=crm-private-key-123", "enabled": True,
    }

    # WHEN the form is checked
    kit.main(["--form-id", FORM_ID, "--check"])

    # THEN the webhook is listed with its key cut short
    out = capsys.readouterr().out
    assert "https://crm.example/hooks?key=crm-..." in out
    assert "crm-private-key-123" not in out
