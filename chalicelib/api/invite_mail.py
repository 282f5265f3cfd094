"""The function SES receiving invokes after storing a message sent to an invite address.

Thin on purpose: each record of the receipt goes to ``calendars.invites.receive_mail``.
It answers ``CONTINUE`` so a synchronous receipt rule goes on with its next action.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.calendars.invites import receive_mail
from chalicelib.container import get_container
from chalicelib.logging import begin

bp = Blueprint(__name__)


@bp.lambda_function(name="receive-invitation")
def receive_invitation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    container = get_container()
    begin(function="receive-invitation")
    states: list[str] = []
    for record in event.get("Records") or []:
        if isinstance(record, dict) and record.get("eventSource") == "aws:ses":
            states.extend(
                receive_mail(
                    record,
                    read_message=container.invite_mail.read,
                    specs=container.sources,
                    ctx=container.processing,
                    policy=container.inbox_policy,
                )
            )
    return {"disposition": "CONTINUE", "states": states}
