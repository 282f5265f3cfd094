"""Specification of the vendor HTTP client: Retry-After, back-off with jitter, bounds, and bodies that are not JSON."""

from __future__ import annotations

import pytest
import requests
import responses

from chalicelib.sync.http import CursorRejected, RetryPolicy, VendorError, VendorHttp

URL = "https://api.vendor.example/v1/people"


def _client(slept: list[float], attempts: int = 4) -> VendorHttp:
    return VendorHttp(sleep=slept.append, jitter=lambda: 0.5, policy=RetryPolicy(max_attempts=attempts, base_delay=1.0))


@responses.activate
def test_a_429_waits_what_retry_after_says_then_succeeds() -> None:
    # GIVEN a vendor that rate-limits twice, asking for 3 then 7 seconds
    responses.get(URL, status=429, headers={"Retry-After": "3"})
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, json={"people": []})
    slept: list[float] = []

    # WHEN the client asks
    answer = _client(slept).json("GET", URL, what="Vendor")

    # THEN it waited exactly as told and got the answer on the third request
    assert answer == {"people": []}
    assert slept == [3.0, 7.0]


@responses.activate
def test_server_errors_and_timeouts_back_off_exponentially_with_jitter() -> None:
    # GIVEN a vendor failing with a 503, a timeout and a 500 before answering
    responses.get(URL, status=503)
    responses.get(URL, body=requests.Timeout())
    responses.get(URL, status=500)
    responses.get(URL, json={"ok": True})
    slept: list[float] = []

    # WHEN the client asks
    answer = _client(slept).json("GET", URL, what="Vendor")

    # THEN each wait doubled the ceiling, scaled by the jitter
    assert answer == {"ok": True}
    assert slept == [0.5, 1.0, 2.0]


@responses.activate
def test_a_storm_of_429s_gives_up_after_the_bounded_attempts() -> None:
    # GIVEN a vendor that only ever rate-limits
    responses.get(URL, status=429, headers={"Retry-After": "1"})
    client = _client([], attempts=3)

    # WHEN / THEN the client stops after three requests with a vendor error
    with pytest.raises(VendorError, match="429"):
        client.json("GET", URL, what="Vendor")
    assert client.requests_made == 3


@responses.activate
def test_a_retry_after_beyond_the_bound_stops_the_run_at_once() -> None:
    # GIVEN a vendor asking to come back in an hour
    responses.get(URL, status=429, headers={"Retry-After": "3600"})

    # WHEN / THEN the run stops now, to resume from its cursor later
    with pytest.raises(VendorError, match="wait 3600 s"):
        _client([]).json("GET", URL, what="Vendor")


@responses.activate
def test_an_html_answer_is_a_vendor_error_naming_only_its_content_type() -> None:
    # GIVEN a proxy answering its login page
    responses.get(URL, body="<html><body>Sign in, Jelena Đorđević</body></html>", content_type="text/html")

    # WHEN / THEN the error names the content type and quotes nothing of the body
    with pytest.raises(VendorError) as raised:
        _client([]).json("GET", URL, what="Vendor")
    assert str(raised.value) == "Vendor answered text/html, not JSON"


@responses.activate
def test_gone_means_the_cursor_is_no_longer_accepted() -> None:
    # GIVEN a vendor that forgot the position asked for
    responses.get(URL, status=410)

    # WHEN / THEN it is a rejected cursor, so the engine can start over
    with pytest.raises(CursorRejected):
        _client([]).json("GET", URL, what="Vendor")


@responses.activate
def test_refused_credentials_are_not_retried() -> None:
    # GIVEN a vendor refusing the key
    responses.get(URL, status=401)
    client = _client([])

    # WHEN / THEN one request, one error
    with pytest.raises(VendorError, match="refused the credentials"):
        client.json("GET", URL, what="Vendor")
    assert client.requests_made == 1
