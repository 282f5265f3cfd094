"""Array types shared by the matching modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
#: Scores for ranking only (``CohortMatrix.ranking_scores``): half the memory traffic of float64.
Float32Array = NDArray[np.float32]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]
#: Aligned (mentee row, mentor column) indices of proposed pairs.
Assignment = tuple[IntArray, IntArray]
