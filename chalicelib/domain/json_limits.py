"""Limits on JSON a caller sends: how deeply it nests and how long its numbers are.

Python's parser recurses once per level and converts integers of any length up to
``sys.int_info.default_max_str_digits``, past which it raises a bare ``ValueError``; a
thousand levels exhaust the stack. Both are found here first, on the text, in linear
time, so that such a body is refused with a reason instead of failing somewhere inside.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
MAX_DIGITS = 100

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class JsonLimitExceeded(ValueError):
    """Raised when a JSON text nests too deeply or holds a number too long to read safely."""


def json_problem(text: str, *, max_depth: int = MAX_DEPTH, max_digits: int = MAX_DIGITS) -> str | None:
    """What makes ``text`` unsafe to parse, or None. Strings are skipped: their content is data."""
    bare = _STRING.sub('""', text)
    depth = 0
    for bracket in _BRACKETS.finditer(bare):
        if bracket.group() in "[{":
            depth += 1
            if depth > max_depth:
                return f"it nests deeper than {max_depth} levels"
        else:
            depth -= 1
    if re.search(r"\d{%d,}" % (max_digits + 1), bare):  # noqa: UP031 - a regex quantifier, not text
        return f"it holds a number longer than {max_digits} digits"
    return None


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_digits: int = MAX_DIGITS) -> Any:
    """``json.loads`` within the limits.

    Raises
    ------
    JsonLimitExceeded
        The text nests too deeply or holds too long a number.
    ValueError
        It is not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    problem = json_problem(text, max_depth=max_depth, max_digits=max_digits)
    if problem is not None:
        raise JsonLimitExceeded(problem)
    return json.loads(text)
