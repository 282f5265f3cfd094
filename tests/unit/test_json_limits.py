"""JSON limits: depth and number length found on the text, before Python's parser recurses or converts."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.json_limits import JsonLimitExceeded, json_problem, loads


def test_a_thousand_levels_of_nesting_are_refused_with_the_reason() -> None:
    # GIVEN JSON nested a thousand levels deep
    text = "[" * 1000 + "]" * 1000

    # WHEN it is loaded / THEN it is refused naming the depth, with no RecursionError
    with pytest.raises(JsonLimitExceeded, match="deeper than 64 levels"):
        loads(text)


def test_an_integer_of_five_thousand_digits_is_refused_with_the_reason() -> None:
    # GIVEN a number longer than Python converts by default
    text = '{"capacity": ' + "7" * 5000 + "}"

    # WHEN it is loaded / THEN it is refused naming the number, not with a bare ValueError
    with pytest.raises(JsonLimitExceeded, match="number longer than 100 digits"):
        loads(text)


def test_brackets_and_digits_inside_strings_are_data_not_structure() -> None:
    # GIVEN an answer that is itself made of brackets and a long digit run, with escaped quotes
    text = json.dumps({"answer": "[" * 500 + "\\\"" + "9" * 500, "nested": [[{"ok": 1}]]})

    # WHEN it is checked and loaded
    problem = json_problem(text)

    # THEN it is fine and reads as sent
    assert problem is None
    assert loads(text)["nested"] == [[{"ok": 1}]]
