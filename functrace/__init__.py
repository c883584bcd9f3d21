"""functrace: composable function transformations (grad, jvp, vjp, vmap, jit) for NumPy code.

>>> import functrace as ft, functrace.numpy as fnp
>>> float(ft.grad(lambda x: fnp.sin(x) * x)(0.0))
0.0
"""

from functrace import errors, lax, nn, optim, testing, tree_util
from functrace import numpy as numpy  # noqa: F401  (installs the tracer operators)
from functrace import primitives as _primitives  # registers every primitive's rules
from functrace.api import (
    block_until_ready,
    checkpoint,
    eval_shape,
    grad,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linear_transpose,
    linearize,
    make_jaxpr,
    remat,
    value_and_grad,
    vjp,
    vmap,
)
from functrace.core import ClosedJaxpr, Jaxpr, ShapedArray
from functrace.custom_rules import custom_jvp, custom_vjp
from functrace.errors import ConcretizationError, TracerLeakError
from functrace.interpreters.jit import jit
from functrace.numpy import stop_gradient

del _primitives

__version__ = "0.1.0"

__all__ = [
    "ClosedJaxpr",
    "ConcretizationError",
    "Jaxpr",
    "ShapedArray",
    "TracerLeakError",
    "block_until_ready",
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
    "errors",
    "eval_shape",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linear_transpose",
    "linearize",
    "make_jaxpr",
    "nn",
    "numpy",
    "optim",
    "remat",
    "stop_gradient",
    "testing",
    "tree_util",
    "value_and_grad",
    "vjp",
    "vmap",
]
