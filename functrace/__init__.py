"""functrace: composable function transformations (grad, jvp, vjp, vmap, jit) for NumPy code.

>>> import functrace as ft, functrace.numpy as fnp
>>> float(ft.grad(lambda x: fnp.sin(x) * x)(0.0))
0.0
"""

from functrace import (
    ad_checkpoint,
    checkpoint_policies,
    custom_batching,
    debug,
    dtypes,
    errors,
    flatten_util,
    lax,
    nn,
    optim,
    random,
    scipy,
    testing,
    tree,
    tree_util,
    typing,
)
from functrace import numpy as numpy  # noqa: F401  (installs the tracer operators)
from functrace import primitives as _primitives  # registers every primitive's rules
from functrace._devices import (
    Device,
    default_backend,
    device_count,
    devices,
    host_count,
    host_id,
    host_ids,
    local_device_count,
    local_devices,
    pmap,
    process_count,
    process_index,
    process_indices,
)
from functrace.api import (
    ShapeDtypeStruct,
    block_until_ready,
    checkpoint,
    closure_convert,
    custom_gradient,
    device_get,
    device_put,
    eval_shape,
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linear_transpose,
    linearize,
    make_jaxpr,
    named_call,
    named_scope,
    pure_callback,
    remat,
    typeof,
    value_and_grad,
    vjp,
    vmap,
)
from functrace.config import config
from functrace.core import Array, ClosedJaxpr, Jaxpr, ShapedArray
from functrace.custom_rules import custom_jvp, custom_vjp
from functrace.dtypes import float0
from functrace.errors import ConcretizationError, TracerLeakError
from functrace.interpreters.jit import clear_caches, disable_jit, jit

# functrace.nn.initializers (jax.nn.initializers) draws with functrace.random, whose imports
# (scipy.special) read functrace.nn: it is loaded here, after both.
from functrace.nn import initializers as _nn_initializers  # noqa: F401
from functrace.numpy import stop_gradient
from functrace.tracing import ensure_compile_time_eval

del _primitives, _nn_initializers

__version__ = "0.1.0"

__all__ = [
    "Array",
    "ClosedJaxpr",
    "ConcretizationError",
    "Device",
    "Jaxpr",
    "ShapeDtypeStruct",
    "ShapedArray",
    "TracerLeakError",
    "ad_checkpoint",
    "block_until_ready",
    "checkpoint",
    "checkpoint_policies",
    "clear_caches",
    "closure_convert",
    "config",
    "custom_batching",
    "custom_gradient",
    "custom_jvp",
    "custom_vjp",
    "debug",
    "default_backend",
    "device_count",
    "device_get",
    "device_put",
    "devices",
    "disable_jit",
    "dtypes",
    "ensure_compile_time_eval",
    "errors",
    "eval_shape",
    "flatten_util",
    "float0",
    "grad",
    "hessian",
    "host_count",
    "host_id",
    "host_ids",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linear_transpose",
    "linearize",
    "local_device_count",
    "local_devices",
    "make_jaxpr",
    "named_call",
    "named_scope",
    "nn",
    "numpy",
    "optim",
    "pmap",
    "process_count",
    "process_index",
    "process_indices",
    "pure_callback",
    "random",
    "remat",
    "scipy",
    "stop_gradient",
    "testing",
    "tree",
    "tree_util",
    "typing",
    "typeof",
    "value_and_grad",
    "vjp",
    "vmap",
]
