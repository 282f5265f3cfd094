"""Merge webhooks: ``{"hook": {"event": "Employee.changed"}, "linked_account": {...}, "data": {Employee}}``.

Merge signs the raw body: ``X-Merge-Webhook-Signature: <URL-safe base64 HMAC-SHA256>``.
Only the event and the employee's Merge id are read; the connector pulls the employee
through its mapping, so a webhook and the nightly sync agree on what a person is.
"""

from __future__ import annotations

from chalicelib.domain.sync import PeopleChange
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec
from chalicelib.webhooks.signing import BodyHmac, Encoding
from chalicelib.webhooks.sources._people import body_of, change

NAME = "merge"
SIGNING = BodyHmac(header="x-merge-webhook-signature", encoding=Encoding.BASE64URL)


def parse_merge(delivery: Delivery) -> PeopleChange:
    data = body_of(delivery, "Merge")
    hook = data.get("hook") if isinstance(data, dict) else None
    event = hook.get("event") if isinstance(hook, dict) else None
    record = data.get("data") if isinstance(data, dict) else None
    records = record if isinstance(record, list) else [record]
    return change(NAME, event, (r.get("id") for r in records if isinstance(r, dict)), "Merge")


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.PEOPLE: parse_merge},
    secret_style=SecretStyle.TOKEN,
)
