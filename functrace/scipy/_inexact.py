"""The dtype rule of ``functrace.scipy.linalg``, ``signal`` and ``integrate``: the arguments'
common dtype, made inexact as SciPy's LAPACK wrappers and signal functions make it."""

from __future__ import annotations

from typing import Any

import numpy as np

from functrace.numpy._base import as_operand, aval, convert, result_dtype


def inexact(*args: Any) -> list[Any]:
    """The arguments at their common dtype, integers and booleans as float64 and float16 as
    float32; float32, float64 and complex stay as they are."""
    ops = [as_operand(x) for x in args]
    dtype = result_dtype(*[aval(x) for x in ops])
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    elif dtype.itemsize < 4:
        dtype = np.dtype(np.float32)
    return [convert(x, dtype) for x in ops]
