"""Type aliases for annotating code written with functrace, as ``jax.typing``.

``ArrayLike`` is what functrace's functions accept as an array argument: a functrace
:class:`~functrace.core.Array` (a NumPy array or a tracer), a NumPy scalar, or a Python number.
``DTypeLike`` is what they accept as a ``dtype=`` argument.

>>> import numpy as np
>>> import functrace.numpy as fnp
>>> from functrace.typing import ArrayLike
>>> def scale(x: ArrayLike, s: float = 2.0) -> ArrayLike:
...     return fnp.multiply(x, s)
>>> scale(np.arange(3.0))
array([0., 2., 4.])
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from functrace.core import Array

__all__ = ["Array", "ArrayLike", "DTypeLike"]

ArrayLike = Union[Array, np.ndarray, np.bool_, np.number, bool, int, float, complex]  # noqa: UP007
DTypeLike = Union[str, type[Any], np.dtype]  # noqa: UP007
