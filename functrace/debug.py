"""JAX's ``jax.debug``: look at values inside transformed functions.

``print(fmt, *args, **kwargs)`` prints ``fmt.format(*args, **kwargs)`` with the *values* of
the arguments, also inside ``jit`` (at every call of the compiled function, not once while
tracing), ``vmap`` (once per batch member) and ``grad`` (the primal values).
``callback(fn, *args, **kwargs)`` calls ``fn`` the same way, with NumPy arrays.  Both return
``None`` and change nothing in the computation.

>>> import functrace as ft
>>> @ft.jit
... def f(x):
...     ft.debug.print("x is {}", x)
...     return x * 2
>>> y = f(3.0)
x is 3.0
>>> y = f(4.0)
x is 4.0
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from functrace.primitives.callback import debug_callback
from functrace.tree_util import tree_flatten, tree_unflatten

__all__ = ["callback", "print"]


def callback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``fn(*args, **kwargs)`` with the values of the arguments (pytrees of arrays, as
    NumPy arrays) when the computation runs: now if they are concrete, at every call under
    ``jit``, once per batch member under ``vmap``."""
    if not callable(fn):
        raise TypeError(f"debug.callback: expected a callable, got {type(fn).__name__}.")
    leaves, tree = tree_flatten((args, kwargs))

    def run(*values: Any) -> None:
        call_args, call_kwargs = tree_unflatten(tree, list(values))
        fn(*call_args, **call_kwargs)

    debug_callback(run, *leaves)


def print(fmt: str, *args: Any, **kwargs: Any) -> None:  # noqa: A001 - jax.debug's name
    """Print ``fmt.format(*args, **kwargs)`` with the values of the arguments (see
    :func:`callback` for when)."""
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print: the format must be a string, got {type(fmt).__name__}.")

    def show(*values: Any, **named: Any) -> None:
        builtins.print(fmt.format(*values, **named))

    callback(show, *args, **kwargs)
