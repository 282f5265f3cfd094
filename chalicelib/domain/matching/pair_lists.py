"""Sparse lists of (mentee row, mentor column) -> value, applied to blocks of the score matrix.

Pair-specific facts (ranked choices, reporting lines, past pairs, a person on both
sides) are few against the cohort's cells, so they are kept as sorted pair lists and
written into, added to or looked up from any block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .types import BoolArray, Float32Array, FloatArray, IntArray


@dataclass(frozen=True)
class PairList:
    """Sparse (row, col) -> value entries, sorted by (row, col) so aligned lookups can binary-search."""

    rows: IntArray
    cols: IntArray
    values: FloatArray

    @classmethod
    def build(cls, entries: dict[tuple[int, int], float]) -> PairList:
        if not entries:
            empty = np.zeros(0, dtype=np.intp)
            return cls(empty, empty.copy(), np.zeros(0, dtype=np.float64))
        pairs = np.array(list(entries), dtype=np.intp).reshape(-1, 2)
        values = np.fromiter(entries.values(), dtype=np.float64, count=len(entries))
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        return cls(pairs[order, 0], pairs[order, 1], values[order])

    def scatter(self, out: FloatArray | BoolArray, rows: IntArray, col_pos: IntArray | None) -> None:
        """Write the values of the pairs falling inside the block into ``out``."""
        if self.rows.size == 0 or rows.size == 0:
            return
        r, c, keep = self._block_positions(rows, col_pos)
        if out.dtype == np.bool_:
            out[r[keep], c[keep]] = True
        else:
            out[r[keep], c[keep]] = self.values[keep]

    def _block_positions(self, rows: IntArray, col_pos: IntArray | None) -> tuple[IntArray, IntArray, BoolArray]:
        row_pos = np.full(max(int(self.rows.max()), int(rows.max())) + 1, -1, dtype=np.intp)
        row_pos[rows] = np.arange(rows.size, dtype=np.intp)
        r = row_pos[self.rows]
        c = self.cols if col_pos is None else col_pos[self.cols]
        return r, c, (r >= 0) & (c >= 0)

    def add_into(self, out: FloatArray | Float32Array, rows: IntArray, col_pos: IntArray | None) -> None:
        """Add the values of the pairs falling inside the block to ``out`` (each pair is listed once)."""
        if self.rows.size == 0 or rows.size == 0:
            return
        r, c, keep = self._block_positions(rows, col_pos)
        out[r[keep], c[keep]] += self.values[keep]

    def fill(
        self, out: FloatArray | Float32Array | BoolArray, rows: IntArray, col_pos: IntArray | None, value: float
    ) -> None:
        """Set the block's cells of the listed pairs to ``value``."""
        if self.rows.size == 0 or rows.size == 0:
            return
        r, c, keep = self._block_positions(rows, col_pos)
        out[r[keep], c[keep]] = value

    def lookup(self, rows: IntArray, cols: IntArray) -> FloatArray:
        """Values of aligned (row, col) pairs; 0 where a pair is not listed."""
        if self.rows.size == 0 or rows.size == 0:
            return np.zeros(rows.shape, dtype=np.float64)
        width = int(max(self.cols.max(), cols.max())) + 1
        keys = self.rows * width + self.cols
        wanted = rows * width + cols
        pos = np.searchsorted(keys, wanted)
        pos_clipped = np.minimum(pos, keys.size - 1)
        found = keys[pos_clipped] == wanted
        return np.where(found, self.values[pos_clipped], 0.0)
