"""A seeded fuzz of every route: no input answers 5xx.

Every operation of the admin API (from the same registry the OpenAPI document is built
from) and the webhook route get generated requests: path ids that exist, belong to
another tenant or are junk; bodies shaped like the operation's model with arbitrary
values, arbitrary JSON, deep nesting, huge numbers or raw bytes; junk query strings;
and for webhooks, bodies correctly signed for a real endpoint. ``MENTORFLOW_FUZZ_CASES``
sets how many (``make fuzz``: 5,000; ``make test``: a slice of 300).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from chalicelib.api.http import REGISTRY, RouteDoc
from chalicelib.storage.repositories import in_memory_storage
from chalicelib.webhooks.sources import tally as tally_vendor
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.support.world import World, signed_standard, world_with

CASES = int(os.environ.get("MENTORFLOW_FUZZ_CASES", "300"))
SEED = 20261130


@dataclass
class Target:
    world: World
    headers: dict[str, str]
    ids: dict[str, list[str]]
    secrets: dict[str, tuple[str, str]]
    answers: list[tuple[str, str, int]] = field(default_factory=list)


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with world_with(in_memory_storage()) as world:
        ours, theirs = world.tenant("Ours"), world.tenant("Theirs")
        ids: dict[str, list[str]] = {}
        secrets: dict[str, tuple[str, str]] = {}
        for handle in (ours, theirs):
            programme_id = handle.programme(max_mentees=3)
            for number, role in enumerate(["mentor", "mentee", "mentee"]):
                person = {"role": role, "email": f"p{number}@{handle.tenant_id}.example", "name": f"Person {number}"}
                created = handle.post(f"/api/v1/programmes/{programme_id}/participants", {"profile": person})
                ids.setdefault("participant_id", []).append(created.json_body["participant_id"])
            run = handle.post(f"/api/v1/programmes/{programme_id}/matching-runs", {}).json_body
            ids.setdefault("run_id", []).append(run["run"]["run_id"])
            ids.setdefault("pair_id", []).extend(p["pair_id"] for p in run["proposals"])
            ids.setdefault("programme_id", []).append(programme_id)
            for source in ("standard", "typeform", "tally", "jotform"):
                issued = handle.endpoint(programme_id, source)
                ids.setdefault("endpoint_id", []).append(issued.endpoint.endpoint_id)
                secrets[source] = (issued.endpoint.endpoint_id, issued.secret)
            ids.setdefault("key_id", []).extend(k.key_id for k in world.storage.tenants.list_keys(handle.tenant_id))
        ids["delivery_id"] = ["msg_1", "LtWXD3crgy", "sha256:00"]
        yield Target(world, ours.headers(), ids, secrets)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=60),
    st.sampled_from(["", "mentor", "mentee", "2026-10-01", "en", "sr", "ana@example.org", "Europe/Belgrade"]),
)
JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _shaped(route: RouteDoc) -> st.SearchStrategy[Any]:
    """A dict with some of the body model's own fields, each with an arbitrary value."""
    if route.body is None:
        return JSON
    names = list(route.body.model_fields)
    return st.dictionaries(st.sampled_from(names), JSON, max_size=len(names)) if names else JSON


def _body(route: RouteDoc) -> st.SearchStrategy[bytes]:
    as_json = st.one_of(_shaped(route), JSON).map(lambda v: json.dumps(v).encode())
    deep = st.integers(min_value=50, max_value=3000).map(lambda n: ("[" * n + "]" * n).encode())
    huge = st.integers(min_value=4000, max_value=9000).map(lambda n: ('{"max_mentees": ' + "7" * n + "}").encode())
    return st.one_of(as_json, as_json, as_json, deep, huge, st.binary(max_size=200))


def _path_param(target: Target, name: str) -> st.SearchStrategy[str]:
    known = target.ids.get(name, [])
    junk = st.text(min_size=1, max_size=40).map(lambda t: quote(t, safe=""))
    return st.one_of(st.sampled_from(known), junk) if known else junk


@st.composite
def admin_request(draw: st.DrawFn, target: Target) -> tuple[str, str, bytes, dict[str, str]]:
    route = draw(st.sampled_from(REGISTRY.routes))
    path = route.path
    for name in [part[1:-1] for part in route.path.split("/") if part.startswith("{")]:
        path = path.replace("{" + name + "}", draw(_path_param(target, name)))
    names = st.sampled_from(["state", "status", "role", "limit", "cursor", "x"])
    query = draw(st.dictionaries(names, st.text(max_size=20)))
    if query:
        path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    headers = dict(target.headers)
    if draw(st.integers(0, 9)) == 0:
        headers["Content-Type"] = draw(st.sampled_from(["text/plain", "application/xml", ""]))
    return route.method.upper(), path, draw(_body(route)), headers


@st.composite
def webhook_request(draw: st.DrawFn, target: Target) -> tuple[str, str, bytes, dict[str, str]]:
    source = draw(st.sampled_from(["standard", "typeform", "tally", "jotform", "calendly", "nope"]))
    endpoint_id, secret = target.secrets.get(source, target.secrets["standard"])
    body = draw(st.one_of(_body(REGISTRY.routes[0]), JSON.map(lambda v: json.dumps({"data": v}).encode())))
    now = target.world.clock.now()
    if source == "standard":
        headers = signed_standard(secret, body, msg_id=f"msg_{draw(st.integers(0, 50))}", at=now)
    elif source == "typeform":
        headers = {"Content-Type": "application/json", "Typeform-Signature": typeform_vendor.SIGNING.sign(secret, body)}
    elif source == "tally":
        headers = {"Content-Type": "application/json", "Tally-Signature": tally_vendor.SIGNING.sign(secret, body)}
    else:
        headers = {"Content-Type": draw(st.sampled_from(["application/json", "multipart/form-data; boundary=x"]))}
    path = f"/hooks/{source}/{draw(st.sampled_from([endpoint_id, 'ep_junk']))}"
    if source == "jotform" and draw(st.booleans()):
        path += f"?token={secret}"
    return "POST", path, body, headers


@seed(SEED)
@settings(
    max_examples=CASES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_generated_request_to_any_route_answers_5xx(target: Target, data: st.DataObject) -> None:
    # GIVEN a generated request to an admin operation or the webhook route
    strategy = admin_request(target) if data.draw(st.integers(0, 3)) else webhook_request(target)
    method, path, body, headers = data.draw(strategy)

    # WHEN it is sent
    answer = target.world.client.http.request(method, path, headers=headers, body=body)
    target.answers.append((method, path.split("?")[0][:80], answer.status_code))

    # THEN it is answered without a server error
    assert answer.status_code < 500, (method, path, answer.body[:300])


def test_the_fuzz_ran_every_case_and_none_answered_5xx(target: Target, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the fuzz above has run / WHEN its answers are counted
    failures = [a for a in target.answers if a[2] >= 500]

    # THEN it sent at least the cases asked for, and not one answered 5xx
    with capsys.disabled():
        print(f"\nfuzz: {len(target.answers)} requests, {len(failures)} answered 5xx")
    assert len(target.answers) >= CASES
    assert failures == []
