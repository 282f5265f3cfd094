"""``integrations/calcom/register_webhook.py`` against a fake Cal.com API v2 (HTTP layer, ``responses``)."""

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

kit = load_kit("calcom/register_webhook.py", "calcom_register_webhook")

API = "https://api.cal.com"
KEY = "cal_live_coordinator_key_123"
ENDPOINT_URL = "https://mentorflow.example.org/hooks/calcom/ep_01CALCOM"
SECRET = "s3cr3t-shown-once-by-mentorflow"
WEBHOOKS = re.compile(rf"{re.escape(API)}/v2/webhooks(?:/(?P<id>[^/?]+))?(?:\?.*)?$")


@dataclass
class FakeCalcom:
    """A Cal.com user's webhooks as API v2 documents them; the secret is stored and never shown."""

    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    received: list[requests.PreparedRequest] = field(default_factory=list)
    next_id: int = 1

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.received.append(request)
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return _json(401, {"status": "error", "error": {"code": "UNAUTHORIZED"}})
        match = WEBHOOKS.match(request.url or "")
        assert match is not None
        webhook_id = match["id"]
        if request.method == "GET" and webhook_id is None:
            return _json(200, {"status": "success", "data": list(self.webhooks.values())})
        if request.method == "DELETE" and webhook_id is not None:
            removed = self.webhooks.pop(webhook_id, None)
            return _json(200 if removed else 404, {"status": "success", "data": removed})
        if request.method == "POST" and webhook_id is None:
            body = json.loads(request.body or b"{}")
            new_id = str(self.next_id)
            self.next_id += 1
            self.secrets[new_id] = body["secret"]
            self.webhooks[new_id] = {
                "id": int(new_id),
                "subscriberUrl": body["subscriberUrl"],
                "triggers": body["triggers"],
                "active": body["active"],
                "payloadTemplate": None,
            }
            return _json(201, {"status": "success", "data": self.webhooks[new_id]})
        return _json(405, {"status": "error"})


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def calcom() -> Iterator[FakeCalcom]:
    fake = FakeCalcom()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "DELETE"):
            mock.add_callback(method, WEBHOOKS, callback=fake.handle)
        yield fake


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCOM_API_KEY", KEY)
    monkeypatch.setenv("MENTORFLOW_SECRET", SECRET)


def test_registering_creates_an_active_webhook_for_the_four_triggers_with_the_secret(
    calcom: FakeCalcom, key_env: None
) -> None:
    # GIVEN a Cal.com account without webhooks
    # WHEN the kit registers the endpoint
    exit_code = kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN one active webhook points at the URL for every booking trigger, with the endpoint secret
    assert exit_code == kit.EXIT_OK
    ((webhook_id, webhook),) = calcom.webhooks.items()
    assert (webhook["subscriberUrl"], webhook["active"]) == (ENDPOINT_URL, True)
    assert webhook["triggers"] == ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED", "MEETING_ENDED"]
    assert calcom.secrets[webhook_id] == SECRET


def test_registering_twice_leaves_one_webhook_and_other_webhooks_alone(calcom: FakeCalcom, key_env: None) -> None:
    # GIVEN someone else's webhook on the account, and ours registered once
    calcom.webhooks["99"] = {"id": 99, "subscriberUrl": "https://zapier.example/hook", "triggers": [], "active": True}
    assert kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"]) == kit.EXIT_OK

    # WHEN the kit runs again
    assert kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"]) == kit.EXIT_OK

    # THEN ours exists once and the other one is untouched; the check finds ours
    urls = sorted(w["subscriberUrl"] for w in calcom.webhooks.values())
    assert urls == [ENDPOINT_URL, "https://zapier.example/hook"]
    assert kit.main(["--url", ENDPOINT_URL, "--check"]) == kit.EXIT_OK


def test_a_bad_key_fails_with_a_hint_and_prints_no_secret(
    calcom: FakeCalcom, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a wrong API key
    monkeypatch.setenv("CALCOM_API_KEY", "cal_wrong")
    monkeypatch.setenv("MENTORFLOW_SECRET", SECRET)

    # WHEN the kit runs
    exit_code = kit.main(["--url", ENDPOINT_URL, "--secret-env", "MENTORFLOW_SECRET"])

    # THEN it fails with the reason and prints neither the key nor the secret
    out = capsys.readouterr()
    assert exit_code == kit.EXIT_FAILED
    assert "401" in out.err
    assert "cal_wrong" not in out.out + out.err
    assert SECRET not in out.out + out.err


def test_check_says_when_no_webhook_points_at_the_url(calcom: FakeCalcom, key_env: None) -> None:
    # GIVEN / WHEN the check runs on an account without our webhook
    # THEN it reports it missing
    assert kit.main(["--url", ENDPOINT_URL, "--check"]) == kit.EXIT_NOT_REGISTERED
