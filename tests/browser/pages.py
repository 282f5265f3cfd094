"""What every page test does in Chromium: open a link, read it, keep a screenshot, press one button."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.domain.message import Message
from tests.support.world import World


@dataclass(frozen=True)
class Pressed:
    """The page's heading and language before the press, and its heading after."""

    title: str
    lang: str | None
    after: str


def press(browser: Any, link: str, button: str, screenshot: Path) -> Pressed:
    page = browser.new_page()
    try:
        page.goto(link)
        title = page.locator("h1").inner_text()
        lang = page.get_attribute("html", "lang")
        page.screenshot(path=str(screenshot), full_page=True)
        page.click(button)
        return Pressed(title, lang, page.locator("h1").inner_text())
    finally:
        page.close()


def only_message(world: World, tenant_id: str, participant_id: str, template: str) -> Message:
    """The one message of ``template`` the participant was sent."""
    (message,) = [
        m for m in world.storage.messages.for_participant(tenant_id, participant_id) if m.template == template
    ]
    return message
