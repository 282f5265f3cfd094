"""Message templates: one subject and plain-text body per template and language, rendered for one person.

Template texts live in ``chalicelib/notify/texts/<template>.<language>.txt`` (packaged with
``chalicelib/``) and are read on first use, never at import. A file starts with a
``Subject:`` line, then an empty line, then the body. Placeholders are ``$name`` or
``${name}`` (``string.Template``: no attribute or index access, and values are inserted
once, never expanded again). A body may hold flat conditional blocks on lines of their own::

    @if matching_date
    ...shown when the value is present and not empty...
    @else
    ...shown otherwise...
    @endif

Adding a template means adding its files, one per language; ``template_names()`` and
``languages_of()`` find them. This module does no sending and no storage.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time

from chalicelib.errors import ValidationFailed

DEFAULT_LANGUAGE = "en"

_TEXTS_PACKAGE = "chalicelib.notify"
_TEXTS_FOLDER = "texts"
_FILE_NAME = re.compile(r"^(?P<template>[a-z][a-z0-9_]*)\.(?P<language>[a-z]{2,3}(?:-[a-z0-9]+)*)\.txt$")

# Our Serbian texts are in Latin script; CLDR's plain "sr" is Cyrillic, so dates must match the text.
# Our programmes are European: English dates read "1 September 2026, 14:30", not US style.
_BABEL_LOCALES: Mapping[str, str] = {"sr": "sr_Latn", "en": "en_150"}


@dataclass(frozen=True)
class Rendered:
    """A message ready to queue: its subject, plain-text body and the language it was rendered in."""

    subject: str
    body_text: str
    language: str


@dataclass(frozen=True)
class _Block:
    """A run of lines shown always (``condition`` None) or only when a context value is truthy."""

    lines: tuple[str, ...]
    condition: str | None = None
    negate: bool = False


@dataclass(frozen=True)
class _Source:
    subject: string.Template
    blocks: tuple[_Block, ...]

    def placeholders(self) -> frozenset[str]:
        names = set(self.subject.get_identifiers())
        for block in self.blocks:
            names.update(string.Template("\n".join(block.lines)).get_identifiers())
        return frozenset(names)

    def conditions(self) -> frozenset[str]:
        return frozenset(block.condition for block in self.blocks if block.condition is not None)


def normalise_language(code: str) -> str:
    """``"sr_Latn"`` → ``"sr-latn"``: the form candidate languages are compared in."""
    return code.strip().lower().replace("_", "-")


def template_names() -> frozenset[str]:
    """Every template that has at least one language."""
    return frozenset(_index())


def languages_of(template: str) -> frozenset[str]:
    """The languages a template is written in (empty for an unknown template)."""
    return frozenset(_index().get(template, ()))


def placeholders_of(template: str, language: str) -> frozenset[str]:
    """Every variable a template's text refers to, in substitutions or conditions."""
    source = _load(template, language)
    return source.placeholders() | source.conditions()


def choose_language(template: str, candidates: Sequence[str | None]) -> str:
    """The first candidate (or its base language) the template is written in; English as the last resort.

    Raises
    ------
    ValidationFailed
        When the template does not exist in any candidate language nor in English.
    """
    available = languages_of(template)
    for candidate in [*candidates, DEFAULT_LANGUAGE]:
        if not candidate:
            continue
        code = normalise_language(candidate)
        for option in (code, code.split("-", 1)[0]):
            if option in available:
                return option
    raise ValidationFailed(f"no template named {template!r}", details={"template": template})


def render(
    template: str,
    language: str | None,
    context: Mapping[str, object],
    *,
    fallback: Sequence[str],
    timezone: str | None = None,
) -> Rendered:
    """Render ``template`` in ``language``, else the first of ``fallback``, else English.

    Dates in ``context`` are written in the chosen locale's long form; aware date-times in
    the same form with the local time in ``timezone`` (default UTC). ``None`` counts as
    missing.

    Raises
    ------
    ValidationFailed
        When the template is unknown, a variable it uses is missing from ``context``, a
        date-time is naive, or ``timezone`` is not a known time zone.
    """
    chosen = choose_language(template, [language, *fallback])
    source = _load(template, chosen)
    zone = _zone(timezone)
    locale = _BABEL_LOCALES.get(chosen, chosen)

    lines: list[str] = []
    for block in source.blocks:
        if block.condition is None or _truthy(context.get(block.condition)) != block.negate:
            lines.extend(block.lines)
    body = string.Template("\n".join(lines))

    needed = set(source.subject.get_identifiers()) | set(body.get_identifiers())
    missing = sorted(name for name in needed if context.get(name) is None)
    if missing:
        raise ValidationFailed(
            f"template {template!r} needs {', '.join(repr(name) for name in missing)}",
            details={"template": template, "language": chosen, "missing": missing},
        )
    values = {name: _text(name, context[name], locale, zone) for name in needed}
    # A line break from a value must not reach the Subject header.
    subject = re.sub(r"\s*[\r\n]+\s*", " ", source.subject.substitute(values)).strip()
    body_text = _tidy(body.substitute(values))
    return Rendered(subject=subject, body_text=body_text, language=chosen)


def format_long_date(value: date, language: str) -> str:
    """A date as the language writes it in running text (``1. septembar 2026.``)."""
    return str(format_date(value, format="long", locale=_BABEL_LOCALES.get(language, language)))


def format_local_datetime(value: datetime, language: str, timezone: str) -> str:
    """An aware date-time as local date and time in ``timezone``, written the way the language does."""
    locale = _BABEL_LOCALES.get(language, language)
    return _format_datetime(value, locale, _zone(timezone))


def _format_datetime(value: datetime, locale: str, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    date_text = format_date(local.date(), format="long", locale=locale)
    time_text = format_time(local, format="short", tzinfo=zone, locale=locale)
    # Babel's own "long" date-time adds seconds and a zone name; people read their local wall time.
    pattern = str(Locale.parse(locale).datetime_formats["long"]).replace("'", "")
    return pattern.replace("{1}", str(date_text)).replace("{0}", str(time_text))


def _text(name: str, value: object, locale: str, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationFailed(f"{name!r} must be a timezone-aware date-time", details={"variable": name})
        return _format_datetime(value, locale, zone)
    if isinstance(value, date):
        return str(format_date(value, format="long", locale=locale))
    return str(value)


def _truthy(value: object) -> bool:
    return value is not None and value != "" and value is not False


def _tidy(body: str) -> str:
    """Collapse the blank lines that skipped blocks leave behind, and end with one newline."""
    text = re.sub(r"\n{3,}", "\n\n", body.strip("\n"))
    return text + "\n"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone {name!r}", details={"timezone": name}) from exc


@lru_cache(maxsize=1)
def _index() -> Mapping[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    folder = resources.files(_TEXTS_PACKAGE).joinpath(_TEXTS_FOLDER)
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.setdefault(match["template"], set()).add(match["language"])
    return {name: frozenset(languages) for name, languages in found.items()}


@lru_cache(maxsize=256)
def _load(template: str, language: str) -> _Source:
    if language not in languages_of(template):
        raise ValidationFailed(
            f"template {template!r} has no {language!r} text",
            details={"template": template, "language": language},
        )
    file_name = f"{template}.{language}.txt"
    raw = resources.files(_TEXTS_PACKAGE).joinpath(_TEXTS_FOLDER, file_name).read_text(encoding="utf-8")
    return _parse(raw.replace("\r\n", "\n"), file_name)


def _parse(raw: str, file_name: str) -> _Source:
    head, sep, rest = raw.partition("\n\n")
    if not sep or not head.startswith("Subject:") or "\n" in head:
        raise ValueError(f"{file_name}: must start with one 'Subject:' line and an empty line")
    subject = string.Template(head.removeprefix("Subject:").strip())

    blocks: list[_Block] = []
    current: list[str] = []
    condition: str | None = None
    negate = False
    for number, line in enumerate(rest.split("\n"), start=3):
        directive = line.strip()
        if directive.startswith("@if "):
            if condition is not None:
                raise ValueError(f"{file_name}:{number}: conditional blocks do not nest")
            blocks.append(_Block(tuple(current)))
            current, condition, negate = [], directive.removeprefix("@if ").strip(), False
            if not condition.isidentifier():
                raise ValueError(f"{file_name}:{number}: '@if' needs one variable name")
        elif directive == "@else":
            if condition is None or negate:
                raise ValueError(f"{file_name}:{number}: '@else' without '@if'")
            blocks.append(_Block(tuple(current), condition, negate))
            current, negate = [], True
        elif directive == "@endif":
            if condition is None:
                raise ValueError(f"{file_name}:{number}: '@endif' without '@if'")
            blocks.append(_Block(tuple(current), condition, negate))
            current, condition, negate = [], None, False
        elif directive.startswith("@"):
            raise ValueError(f"{file_name}:{number}: unknown directive {directive!r}")
        else:
            current.append(line)
    if condition is not None:
        raise ValueError(f"{file_name}: '@if {condition}' is never closed")
    blocks.append(_Block(tuple(current)))

    source = _Source(subject=subject, blocks=tuple(blocks))
    for text in (source.subject, *(string.Template("\n".join(b.lines)) for b in source.blocks)):
        if not text.is_valid():
            raise ValueError(f"{file_name}: a '$' is neither a placeholder nor written as '$$'")
    return source


__all__ = [
    "DEFAULT_LANGUAGE",
    "Rendered",
    "choose_language",
    "format_local_datetime",
    "format_long_date",
    "languages_of",
    "normalise_language",
    "placeholders_of",
    "render",
    "template_names",
]
