"""``integrations/calendly/register_webhook.py`` against a fake Calendly API v2 (HTTP layer, ``responses``)."""

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

kit = load_kit("calendly/register_webhook.py", "calendly_register_webhook")

API = "https://api.calendly.com"
TOKEN = "calendly_personal_token_123"
USER = f"{API}/users/USR1"
ORG = f"{API}/organizations/ORG1"
ENDPOINT_URL = "https://mentorflow.example.org/hooks/calendly/ep_01CAL"
SECRET = "s3cr3t-shown-once-by-mentorflow"
SUBSCRIPTIONS = re.compile(rf"{re.escape(API)}/webhook_subscriptions(?:/(?P<uuid>[^/?]+))?(?:\?.*)?$")


@dataclass
class FakeCalendly:
    """Calendly's subscriptions as its API documents them: a URL may be held once per organisation and user."""

    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    signing_keys: dict[str, str] = field(default_factory=dict)
    received: list[requests.PreparedRequest] = field(default_factory=list)
    next_id: int = 1

    def me(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.received.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(401, {"title": "Unauthenticated", "message": "The access token is invalid"})
        return _json(200, {"resource": {"uri": USER, "current_organization": ORG}})

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.received.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(401, {"title": "Unauthenticated", "message": "The access token is invalid"})
        match = SUBSCRIPTIONS.match(request.url or "")
        assert match is not None
        uuid = match["uuid"]
        if request.method == "GET" and uuid is None:
            return _json(200, {"collection": list(self.subscriptions.values()), "pagination": {"next_page": None}})
        if request.method == "DELETE" and uuid is not None:
            self.subscriptions.pop(uuid, None)
            return 204, {}, ""
        if request.method == "POST" and uuid is None:
            body = json.loads(request.body or b"{}")
            if any(s["callback_url"] == body["url"] for s in self.subscriptions.values()):
                return _json(409, {"title": "Already Exists", "message": "Hook with this url already exists"})
            uuid = f"SUB{self.next_id}"
            self.next_id += 1
            self.signing_keys[uuid] = body["signing_key"]
            self.subscriptions[uuid] = {
                "uri": f"{API}/webhook_subscriptions/{uuid}",
                "callback_url": body["url"],
                "events": body["events"],
                "scope": body["scope"],
                "organization": body["organization"],
                "user": body.get("user"),
                "state": "active",
            }
            return _json(201, {"resource": self.subscriptions[uuid]})
        return _json(405, {"title": "Method Not Allowed"})


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    fake = FakeCalendly()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", f"{API}/users/me", callback=fake.me)
        for method in ("GET", "POST", "DELETE"):
            mock.add_callback(method, SUBSCRIPTIONS, callback=fake.handle)
        yield fake


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDLY_TOKEN", TOKEN)
    monkeypatch.setenv("MENTORFLOW_SECRET", SECRET)


def test_registering_creates_an_organisation_subscription_for_both_invitee_events_signed_with_the_secret(
    calendly: FakeCalendly, token_env: None
) -> None:
    # GIVEN a Calendly organisation without subscriptions
    # WHEN the kit registers the endpoint
    exit_code = kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN one active subscription of the organisation points at the URL, signed with the endpoint secret
    assert exit_code == kit.EXIT_OK
    ((uuid, subscription),) = calendly.subscriptions.items()
    assert (subscription["callback_url"], subscription["scope"], subscription["organization"]) == (
        ENDPOINT_URL,
        "organization",
        ORG,
    )
    assert subscription["events"] == ["invitee.created", "invitee.canceled"]
    assert calendly.signing_keys[uuid] == SECRET


def test_registering_again_after_a_rotation_leaves_one_subscription_with_the_new_key(
    calendly: FakeCalendly, token_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a registered subscription
    assert kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"]) == kit.EXIT_OK

    # WHEN the secret is rotated and the kit runs again
    monkeypatch.setenv("MENTORFLOW_SECRET", "rotated-secret")
    assert kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"]) == kit.EXIT_OK

    # THEN one subscription is left, signed with the new secret, and the check finds it
    (uuid,) = calendly.subscriptions
    assert calendly.signing_keys[uuid] == "rotated-secret"
    assert kit.main(["--url", ENDPOINT_URL, "--check"]) == kit.EXIT_OK


def test_a_bad_token_fails_with_a_hint_and_prints_no_secret(
    calendly: FakeCalendly, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a wrong token
    monkeypatch.setenv("CALENDLY_TOKEN", "wrong-token")
    monkeypatch.setenv("MENTORFLOW_SECRET", SECRET)

    # WHEN the kit runs
    exit_code = kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN it fails, says why, and neither the token nor the secret is printed
    out = capsys.readouterr()
    assert exit_code == kit.EXIT_FAILED
    assert "401" in out.err
    assert "wrong-token" not in out.out + out.err
    assert SECRET not in out.out + out.err
    assert calendly.subscriptions == {}


@pytest.mark.parametrize("url", ["http://mentorflow.example.org/hooks/calendly/ep_1", "https://x.org/hooks/calcom/ep"])
def test_a_url_that_is_no_https_calendly_endpoint_is_refused_before_any_call(
    calendly: FakeCalendly, token_env: None, url: str
) -> None:
    # GIVEN / WHEN the kit is given a wrong URL
    exit_code = kit.main(["--url", url, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN it stops before talking to Calendly
    assert exit_code == kit.EXIT_USAGE
    assert calendly.received == []


def test_check_says_when_no_subscription_points_at_the_url(calendly: FakeCalendly, token_env: None) -> None:
    # GIVEN / WHEN the check runs on an organisation without our subscription
    # THEN it reports it missing
    assert kit.main(["--url", ENDPOINT_URL, "--check"]) == kit.EXIT_NOT_REGISTERED
