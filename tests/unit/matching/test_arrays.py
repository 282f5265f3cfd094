"""Specifications: the solvers' fast array helpers give exactly what the numpy calls they replace give."""

from __future__ import annotations

import numpy as np
import pytest

from chalicelib.domain.matching.arrays import first_occurrences, true_cells


@pytest.mark.parametrize("high", [5, 140_000_000, 1 << 60], ids=["many-repeats", "cohort-sized-keys", "huge-keys"])
def test_first_occurrences_are_where_numpys_unique_says_each_key_first_appears(high: int) -> None:
    # GIVEN candidate-edge keys with repeats, small and cohort-sized, and some too large to carry a position
    keys = np.random.default_rng(3).integers(0, high, size=5_000, dtype=np.int64)
    keys[100:200] = keys[:100]

    # WHEN each key's first position is found
    first = first_occurrences(keys)

    # THEN it is numpy's answer: one position per distinct key, the earliest, in key order
    assert np.array_equal(first, np.unique(keys, return_index=True)[1])


def test_no_keys_have_no_first_occurrences() -> None:
    assert first_occurrences(np.zeros(0, dtype=np.int64)).size == 0


def test_true_cells_are_numpys_nonzero_of_a_block() -> None:
    # GIVEN a block's mask of pairs that pass, with a row and a column where nothing passes
    mask = np.random.default_rng(4).random((37, 53)) < 0.3
    mask[5] = False
    mask[:, 7] = False

    # WHEN its true cells are listed
    rows, cols = true_cells(mask)

    # THEN they are the same cells, in the same order, as np.nonzero lists them
    expected_rows, expected_cols = np.nonzero(mask)
    assert np.array_equal(rows, expected_rows)
    assert np.array_equal(cols, expected_cols)
