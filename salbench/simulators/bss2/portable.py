"""exp that gives the same bits on every x86-64 machine.

numpy evaluates float64 ``np.exp`` with its own AVX-512 code on CPUs that have AVX-512F and
with the C library's ``exp`` elsewhere; the two differ in the last bit for some arguments, so
an emulated run (its propagators, its exact sensors) would not reproduce its spike trains
from one machine to the next (the kernel's fingerprints, tests/test_bss2_fingerprints.py,
pinned on an AVX-512 machine, failed on an AVX2 one).  The emulator takes exp from the C
library, as its numba engine already does (``math.exp``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def libm_exp(x: ArrayLike) -> NDArray[np.float64]:
    """Element-wise exp through ``math.exp`` (the C library), shape kept."""
    values = np.asarray(x, dtype=np.float64)
    out = np.fromiter(map(math.exp, values.ravel().tolist()), dtype=np.float64,
                      count=values.size)
    return out.reshape(values.shape)
