"""Rows of the primitive table (same format as ``tests/cases.py``) for
``functrace.primitives.xla_math``: ``fma`` and the XLA:CPU kernels that ``functrace.random``
uses (``xla_log``, ``xla_log1p``, ``xla_erf``, ``xla_erf_inv``, ``xla_tan``).

The references are NumPy's (and Python's ``math.erf``): the kernels round differently from
NumPy in the last bit now and then, within the default tolerances.  Their bit-exactness against
JAX is checked in ``tests/test_random.py``.  Domains keep away from the singularities (``log``
at 0, ``erf_inv`` at +-1, ``tan`` at +-pi/2).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from cases import Case, Sample, shape, unary, uniform

from functrace.primitives import xla_math as xm


def _fma_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """Three operands of one shape; sometimes the last one a scalar (as uniform's minval)."""
    shp = shape(rng)
    c_shape = () if rng.random() < 0.3 else shp
    return Sample((uniform(rng, shp, dtype), uniform(rng, shp, dtype),
                   uniform(rng, c_shape, dtype)))


def _erf_ref(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.vectorize(math.erf)(x.astype(np.float64)), dtype=x.dtype)


def _erf_inv_ref(x: np.ndarray) -> np.ndarray:
    """Newton's method on math.erf, from a rough start (|x| <= 0.9 here)."""
    y = np.arctanh(x.astype(np.float64)) * 0.9
    for _ in range(40):
        y = y - (np.vectorize(math.erf)(y) - x) / (2 / math.sqrt(math.pi) * np.exp(-y * y))
    return np.asarray(y, dtype=x.dtype)


def _same_size_int(x: Any) -> np.dtype[Any]:
    return np.dtype(f"i{np.dtype(x.dtype).itemsize}")


XLA_MATH_CASES = [
    Case("fma", xm.fma, lambda a, b, c: a * b + c, _fma_sample),
    Case("xla_log", xm.xla_log, np.log, unary(uniform, lo=0.1, hi=4.0)),
    Case("xla_log1p", xm.xla_log1p, np.log1p, unary(uniform, lo=-0.8, hi=3.0)),
    Case("xla_erf", xm.xla_erf, _erf_ref, unary(uniform, lo=-2.5, hi=2.5)),
    Case("xla_erf_inv", xm.xla_erf_inv, _erf_inv_ref, unary(uniform, lo=-0.9, hi=0.9)),
    Case("xla_tan", xm.xla_tan, np.tan, unary(uniform, lo=-1.2, hi=1.2)),
    # reduce_precision rounds as NumPy's casts do, within the normal range (it has no
    # subnormals); to a format wider than the operand's it is the identity, whose derivative
    # central differences can check (elsewhere it is piecewise constant, with JAX's linear rule)
    Case("reduce_precision", lambda x: xm.reduce_precision(x, 5, 10),
         lambda x: x.astype(np.float16).astype(x.dtype), unary(uniform, lo=0.01, hi=4.0),
         differentiable=False, label="to float16"),
    Case("reduce_precision", lambda x: xm.reduce_precision(x, 11, 52), lambda x: x,
         unary(uniform, lo=-4.0, hi=4.0), label="identity"),
    # bitcast_convert_type: the bits as the integer of the same size, and as bytes (a new
    # trailing axis); its derivative is zero by definition (see test_lax_remaining.py)
    Case("bitcast_convert_type", lambda x: xm.bitcast_convert_type(x, _same_size_int(x)),
         lambda x: x.view(_same_size_int(x)), unary(uniform), differentiable=False,
         label="same size"),
    Case("bitcast_convert_type", lambda x: xm.bitcast_convert_type(x, np.uint8),
         lambda x: x.reshape(*x.shape, 1).view(np.uint8), unary(uniform), differentiable=False,
         label="to bytes"),
]
