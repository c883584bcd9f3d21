"""The errors functrace raises for bad input (SPEC §3).

Each subclasses the built-in exception a user would expect, so ``except TypeError`` still works.
"""

from __future__ import annotations


class ConcretizationError(TypeError):
    """A traced value was needed as a concrete Python value, but only its shape is known.

    Cause: ``bool()``, ``int()``, ``float()``, indexing or ``np.asarray()`` on a value traced
    under ``jit``, ``vmap`` or ``make_jaxpr``, where only shapes and dtypes are known.

    Example::

        @functrace.jit
        def f(x):
            if x > 0:          # ConcretizationError: the value of x is unknown while tracing
                return x
            return -x

    Fix: mark the argument static (``jit(f, static_argnums=0)``) when it is a configuration
    value, or express the branch in the IR with ``functrace.lax.cond`` or
    ``functrace.numpy.where``.
    """


class TracerLeakError(RuntimeError):
    """A tracer was used after the transformation that created it returned.

    Cause: a traced value was stored outside the function (a global, an attribute, a list
    captured by a closure) and used later.

    Example::

        saved = []
        functrace.grad(lambda x: saved.append(x) or x * x)(1.0)
        saved[0] + 1.0         # TracerLeakError

    Fix: return every value you need from the transformed function (use ``has_aux=True`` to
    return extra values from ``grad``).
    """


class AxisSpecError(ValueError, TypeError):
    """``vmap``'s ``in_axes`` or ``out_axes`` is not of a form it accepts (a float, a string,
    a dict at the top of ``in_axes``...).

    SPEC §3 makes a bad ``in_axes`` a ``ValueError``; JAX raises ``TypeError`` for a spec of the
    wrong type. This error is both, so either ``except`` clause catches it.

    Example::

        functrace.vmap(f, in_axes={"a": 0})(x)   # AxisSpecError: the top level of in_axes
                                                 # matches the positional arguments

    Fix: pass an int, None, or a tuple with one entry per positional argument (each an int,
    None, or a pytree prefix of that argument).
    """


class StaticArgumentError(ValueError, TypeError):
    """A ``jit`` static argument (``static_argnums`` / ``static_argnames``) is unhashable, or
    its ``__eq__`` fails when compared with a cached one.

    Static values are part of the cache key, so they must be hashable and comparable. JAX
    raises ``ValueError`` here; functrace raised ``TypeError`` (an unhashable type). This error
    is both, so either ``except`` clause catches it.

    Example::

        functrace.jit(f, static_argnums=1)(x, [1, 2])   # StaticArgumentError: a list

    Fix: pass a tuple instead of a list, or pass an array as an ordinary (traced) argument.
    """
