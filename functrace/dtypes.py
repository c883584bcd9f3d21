"""``float0``: the dtype of the tangents and cotangents of integer and boolean values.

An integer or boolean value has no derivative: nudging it is meaningless. As in JAX, the
tangent or cotangent that stands for it has the dtype ``float0``, an element type of zero bytes
(NumPy's structured dtype with one empty field), so that an array of it has the value's shape
and costs no memory. It appears where a transformation hands derivatives back to the user:

* ``vjp``'s ``vjp_fn`` returns ``float0`` zeros for integer and boolean primals;
* ``jvp`` returns ``float0`` zeros as the tangent of integer and boolean outputs, and takes
  ``float0`` tangents (and only those) for integer and boolean primals; so does the function
  that ``linearize`` returns;
* ``grad(f, allow_int=True)`` and ``value_and_grad(..., allow_int=True)`` return ``float0``
  zeros as the gradient of integer and boolean arguments.

>>> import numpy as np, functrace as ft
>>> ft.vjp(lambda x, n: x * n, 2.0, 3)[1](1.0)[1].dtype == ft.dtypes.float0
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["float0", "float0_zeros", "is_float0"]

float0: np.dtype[Any] = np.dtype([("float0", np.void, 0)])


def float0_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """The ``float0`` array of ``shape``: the derivative of an integer or boolean value."""
    return np.zeros(shape, dtype=float0)


def is_float0(x: Any) -> bool:
    """Whether ``x`` is an array (or NumPy scalar) of dtype ``float0``."""
    return getattr(x, "dtype", None) == float0
