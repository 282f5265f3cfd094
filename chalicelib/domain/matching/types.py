"""Array types shared by the matching modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]
#: Aligned (mentee row, mentor column) indices of proposed pairs.
Assignment = tuple[IntArray, IntArray]
