"""Specifications: the coarse pricing auction prices the mentors everyone wants, and only those."""

from __future__ import annotations

import numpy as np

from chalicelib.domain.matching.auction import market_prices


def test_a_mentor_everyone_wants_costs_at_least_what_taking_them_gains_and_a_mentor_with_room_costs_nothing() -> None:
    # GIVEN three mentees who all score Amira 3.0 and Bo 1.0, with one place at Amira and five at Bo
    rows = np.array([0, 0, 1, 1, 2, 2])
    cols = np.array([0, 1, 0, 1, 0, 1])
    scores = np.array([3.0, 1.0, 3.0, 1.0, 3.0, 1.0])
    capacity = np.array([1, 5])

    # WHEN the mentors are priced
    amira, bo = market_prices(rows, cols, scores, capacity)

    # THEN Amira costs at least what she gains over Bo, so only one mentee still prefers her, and Bo is free
    assert amira >= 3.0 - 1.0
    assert bo == 0.0


def test_a_mentor_whose_places_are_all_taken_has_a_price_and_one_with_a_place_left_has_none() -> None:
    # GIVEN two mentees who each want a different mentor: Amira has one place, Bo has two
    rows, cols = np.array([0, 1]), np.array([0, 1])

    # WHEN priced
    amira, bo = market_prices(rows, cols, np.array([2.0, 2.0]), np.array([1, 2]))

    # THEN Amira, now full, costs something to anyone else, and Bo, with a place left, costs nothing
    assert amira > 0.0
    assert bo == 0.0


def test_a_market_without_edges_prices_every_mentor_at_nothing() -> None:
    empty = np.zeros(0, dtype=np.intp)
    assert market_prices(empty, empty, np.zeros(0), np.array([2, 3])).tolist() == [0.0, 0.0]
