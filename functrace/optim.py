"""Optimizers in the optax style: gradient transformations over pytrees.

An optimizer is a :class:`GradientTransformation`, a pair of pure functions. ``init(params)``
builds the optimizer state; ``update(updates, state, params)`` turns gradients into the
updates to *add* to the params and returns them with the new state. States are NamedTuples,
so they are pytrees that pass through ``functrace.jit``. Optimizers are ``chain``-ed from small
blocks: ``adam`` is ``scale_by_adam`` followed by ``scale_by_learning_rate``, which multiplies
by ``-learning_rate`` so that ``apply_updates`` can add.

Every block is written with Python operators and ``functrace.numpy`` only. That is why they work
on NumPy arrays and on tracers alike, and so inside ``jit``, ``grad`` and ``vmap``.

Example:
    >>> import numpy as np
    >>> from functrace import optim
    >>> params = {"w": np.array([1.0, 2.0])}
    >>> opt = optim.sgd(learning_rate=0.1)
    >>> state = opt.init(params)
    >>> grads = {"w": np.array([0.5, -1.0])}
    >>> updates, state = opt.update(grads, state, params)
    >>> optim.apply_updates(params, updates)
    {'w': array([0.95, 2.1 ])}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, TypeAlias

import numpy as np

import functrace.numpy as fnp
from functrace.tree_util import tree_leaves, tree_map

Numeric: TypeAlias = Any
"""An array, a Python or NumPy number, or a functrace tracer standing for one."""

Params: TypeAlias = Any
"""A pytree of arrays: the parameters being optimised."""

Updates: TypeAlias = Params
"""A pytree shaped like the params: gradients going in, steps to add coming out."""

OptState: TypeAlias = Any
"""An optimizer's state: a pytree of NamedTuples and tuples."""

Schedule: TypeAlias = Callable[[Numeric], Numeric]
"""A function from the step count (an integer, possibly traced) to a value, e.g. a learning rate."""

ScalarOrSchedule: TypeAlias = float | Schedule
"""A fixed number, or a :data:`Schedule` evaluated at each step."""


class TransformInitFn(Protocol):
    """Builds a transformation's initial state from the params."""

    def __call__(self, params: Params) -> OptState: ...


class TransformUpdateFn(Protocol):
    """Transforms ``updates`` and returns them with the new state.

    ``params`` is needed only by transformations that read the params, such as
    :func:`add_decayed_weights`.
    """

    def __call__(
        self, updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]: ...


class GradientTransformation(NamedTuple):
    """An optimizer, or a piece of one: a pure ``init`` and a pure ``update``."""

    init: TransformInitFn
    update: TransformUpdateFn


class EmptyState(NamedTuple):
    """The state of a stateless transformation."""


class TraceState(NamedTuple):
    """The state of :func:`trace`: the running momentum."""

    trace: Params


class ScaleByAdamState(NamedTuple):
    """The state of :func:`scale_by_adam`: step count and the two moment estimates."""

    count: Numeric
    mu: Updates
    nu: Updates


class ScaleByScheduleState(NamedTuple):
    """The state of a transformation that follows a schedule: the step count."""

    count: Numeric


def _dtype(x: Numeric) -> np.dtype:
    return fnp.asarray(x).dtype


def _cast(x: Numeric, dtype: np.dtype) -> Numeric:
    # Scalars computed from the integer step count (bias corrections, scheduled rates) come
    # out float64; cast them so float32 updates stay float32.
    return fnp.asarray(x, dtype=dtype)


def _zero_count() -> Numeric:
    return fnp.asarray(0, dtype=np.int32)


# ---------------------------------------------------------------------------------------------
# Building blocks


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Applies transformations one after the other.

    Args:
      *transforms: the transformations, in the order they act on the updates.

    Returns:
      A transformation whose state is the tuple of the inner states.

    Example:
      >>> opt = chain(clip_by_global_norm(1.0), scale_by_learning_rate(0.1))
      >>> state = opt.init(np.zeros(2))
      >>> opt.update(np.array([3.0, 4.0]), state)[0]
      array([-0.06, -0.08])
    """

    def init_fn(params: Params) -> OptState:
        return tuple(t.init(params) for t in transforms)

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        if len(state) != len(transforms):
            raise ValueError(
                f"chain: got a state with {len(state)} entries for {len(transforms)} "
                "transformations; pass the state that this chain's init returned."
            )
        new_state = []
        for transform, inner_state in zip(transforms, state, strict=True):
            updates, inner_state = transform.update(updates, inner_state, params)
            new_state.append(inner_state)
        return updates, tuple(new_state)

    return GradientTransformation(init_fn, update_fn)


def scale(step_size: float) -> GradientTransformation:
    """Multiplies every update by a fixed number.

    Args:
      step_size: the factor.

    Returns:
      A stateless transformation.

    Example:
      >>> scale(0.5).update([np.array([2.0])], EmptyState())[0]
      [array([1.])]
    """

    def init_fn(params: Params) -> OptState:
        del params
        return EmptyState()

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        del params
        return tree_map(lambda g: step_size * g, updates), state

    return GradientTransformation(init_fn, update_fn)


def scale_by_schedule(step_size_fn: Schedule) -> GradientTransformation:
    """Multiplies every update by ``step_size_fn(count)``, counting steps from 0.

    Args:
      step_size_fn: a schedule; it is called with the number of updates made so far.

    Returns:
      A transformation whose state is a :class:`ScaleByScheduleState`.

    Example:
      >>> t = scale_by_schedule(lambda count: 1.0 / (count + 1))
      >>> state = t.init(np.zeros(1))
      >>> _, state = t.update(np.ones(1), state)
      >>> t.update(np.ones(1), state)[0]
      array([0.5])
    """

    def init_fn(params: Params) -> OptState:
        del params
        return ScaleByScheduleState(count=_zero_count())

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        del params
        step_size = step_size_fn(state.count)
        updates = tree_map(lambda g: _cast(step_size, _dtype(g)) * g, updates)
        return updates, ScaleByScheduleState(count=state.count + 1)

    return GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule) -> GradientTransformation:
    """Multiplies every update by **minus** the learning rate.

    The sign is flipped because :func:`apply_updates` adds updates to the params, so a
    gradient ``g`` must become the descent step ``-learning_rate * g``.

    Args:
      learning_rate: a number, or a schedule of the step count.

    Returns:
      A stateless transformation for a number; one that counts steps for a schedule.

    Example:
      >>> scale_by_learning_rate(0.1).update(np.array([1.0, -2.0]), EmptyState())[0]
      array([-0.1,  0.2])
    """
    if callable(learning_rate):
        schedule = learning_rate
        return scale_by_schedule(lambda count: -schedule(count))
    return scale(-learning_rate)


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: keeps ``t = g + decay * t`` and returns ``t``.

    With ``nesterov=True`` it returns ``g + decay * t`` using the new ``t``, a look-ahead step.

    Args:
      decay: the momentum coefficient, usually 0.9.
      nesterov: whether to use Nesterov momentum.

    Returns:
      A transformation whose state is a :class:`TraceState`.

    Example:
      >>> t = trace(0.5)
      >>> state = t.init(np.zeros(1))
      >>> _, state = t.update(np.ones(1), state)
      >>> t.update(np.ones(1), state)[0]
      array([1.5])
    """

    def init_fn(params: Params) -> OptState:
        return TraceState(trace=tree_map(fnp.zeros_like, params))

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        del params
        new_trace = tree_map(lambda g, t: g + decay * t, updates, state.trace)
        if nesterov:
            updates = tree_map(lambda g, t: g + decay * t, updates, new_trace)
        else:
            updates = new_trace
        return updates, TraceState(trace=new_trace)

    return GradientTransformation(init_fn, update_fn)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> GradientTransformation:
    """Rescales updates by Adam's rule, ``m_hat / (sqrt(v_hat) + eps)``.

    ``m`` and ``v`` are exponential moving averages of the gradient and its square, and the
    hats mark the bias correction ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)`` at
    step ``t = 1, 2, ...``. ``eps`` is added outside the square root, as in optax.

    Args:
      b1: decay rate of the first moment.
      b2: decay rate of the second moment.
      eps: added to the denominator for numerical stability.

    Returns:
      A transformation whose state is a :class:`ScaleByAdamState`.

    Example:
      >>> t = scale_by_adam()
      >>> updates, state = t.update(np.array([0.1, -2.0]), t.init(np.zeros(2)))
      >>> np.round(updates, 6)  # the first step is about sign(g)
      array([ 1., -1.])
    """

    def init_fn(params: Params) -> OptState:
        return ScaleByAdamState(
            count=_zero_count(),
            mu=tree_map(fnp.zeros_like, params),
            nu=tree_map(fnp.zeros_like, params),
        )

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        del params
        mu = tree_map(lambda g, m: (1 - b1) * g + b1 * m, updates, state.mu)
        nu = tree_map(lambda g, v: (1 - b2) * (g * g) + b2 * v, updates, state.nu)
        count = state.count + 1
        # The averages start at zero, so after t steps they are short by a factor (1 - b**t).
        correction1 = 1 - b1**count
        correction2 = 1 - b2**count

        def step(m: Numeric, v: Numeric) -> Numeric:
            m_hat = m / _cast(correction1, _dtype(m))
            v_hat = v / _cast(correction2, _dtype(v))
            return m_hat / (fnp.sqrt(v_hat) + eps)

        updates = tree_map(step, mu, nu)
        return updates, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init_fn, update_fn)


def add_decayed_weights(weight_decay: float = 0.0) -> GradientTransformation:
    """Adds ``weight_decay * param`` to each update (decoupled weight decay).

    Placed before :func:`scale_by_learning_rate`, the decay is scaled by the learning rate but
    not by the adaptive rescaling, as in AdamW.

    Args:
      weight_decay: the decay coefficient.

    Returns:
      A stateless transformation; its ``update`` needs ``params``.

    Raises:
      ValueError: if ``update`` is called without ``params``.

    Example:
      >>> t = add_decayed_weights(0.1)
      >>> t.update(np.array([1.0]), EmptyState(), np.array([2.0]))[0]
      array([1.2])
    """

    def init_fn(params: Params) -> OptState:
        del params
        return EmptyState()

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        if params is None:
            raise ValueError(
                "add_decayed_weights: update needs the params to decay; "
                "call update(updates, state, params)."
            )
        return tree_map(lambda g, p: g + weight_decay * p, updates, params), state

    return GradientTransformation(init_fn, update_fn)


def global_norm(updates: Updates) -> Numeric:
    """The Euclidean norm of all leaves together, as if they were one flat vector.

    Args:
      updates: a pytree of arrays.

    Returns:
      A scalar.

    Example:
      >>> float(global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}))
      5.0
    """
    return fnp.sqrt(sum(fnp.sum(x * x) for x in tree_leaves(updates)))


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scales all updates down together so that their :func:`global_norm` is at most ``max_norm``.

    Updates whose global norm is already at most ``max_norm`` pass unchanged.

    Args:
      max_norm: the largest global norm allowed; must be positive.

    Returns:
      A stateless transformation.

    Raises:
      ValueError: if ``max_norm`` is not positive.

    Example:
      >>> clip_by_global_norm(1.0).update([np.array([3.0]), np.array([4.0])], EmptyState())[0]
      [array([0.6]), array([0.8])]
    """
    if not max_norm > 0:
        raise ValueError(f"clip_by_global_norm: max_norm must be positive, got {max_norm}.")

    def init_fn(params: Params) -> OptState:
        del params
        return EmptyState()

    def update_fn(
        updates: Updates, state: OptState, params: Params | None = None
    ) -> tuple[Updates, OptState]:
        del params
        # Equals 1 when the norm is within bounds, max_norm / norm otherwise; unlike a `where`
        # over `g / norm`, it never divides by a zero norm.
        factor = max_norm / fnp.maximum(global_norm(updates), max_norm)
        return tree_map(lambda g: _cast(factor, _dtype(g)) * g, updates), state

    return GradientTransformation(init_fn, update_fn)


# ---------------------------------------------------------------------------------------------
# Optimizers


def sgd(
    learning_rate: ScalarOrSchedule, momentum: float = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Without momentum the step is ``-learning_rate * g``. With momentum it keeps
    ``t = g + momentum * t`` and steps by ``-learning_rate * t``; with Nesterov momentum the
    step is ``-learning_rate * (g + momentum * t)`` using the new ``t``.

    Args:
      learning_rate: a number, or a schedule of the step count.
      momentum: the momentum coefficient; 0 disables momentum.
      nesterov: whether to use Nesterov momentum.

    Returns:
      The optimizer: ``chain(trace(momentum, nesterov), scale_by_learning_rate(learning_rate))``,
      without the ``trace`` when ``momentum`` is 0.

    Example:
      >>> opt = sgd(0.1, momentum=0.9)
      >>> state = opt.init(np.zeros(1))
      >>> _, state = opt.update(np.ones(1), state)
      >>> opt.update(np.ones(1), state)[0]  # -0.1 * (1 + 0.9 * 1)
      array([-0.19])
    """
    blocks = [trace(momentum, nesterov)] if momentum else []
    return chain(*blocks, scale_by_learning_rate(learning_rate))


def adam(
    learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> GradientTransformation:
    """Adam (Kingma & Ba, 2015), as optax computes it.

    Args:
      learning_rate: a number, or a schedule of the step count.
      b1: decay rate of the first moment.
      b2: decay rate of the second moment.
      eps: added to ``sqrt(v_hat)``, outside the square root.

    Returns:
      The optimizer: ``chain(scale_by_adam(b1, b2, eps), scale_by_learning_rate(learning_rate))``.

    Example:
      >>> opt = adam(1e-3)
      >>> params = {"w": np.array([1.0, -1.0])}
      >>> updates, state = opt.update({"w": np.array([0.5, -3.0])}, opt.init(params), params)
      >>> apply_updates(params, updates)  # the first step moves each entry by about lr
      {'w': array([ 0.999, -0.999])}
    """
    return chain(scale_by_adam(b1, b2, eps), scale_by_learning_rate(learning_rate))


def adamw(
    learning_rate: ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as optax computes it.

    The step is ``-learning_rate * (adam_direction + weight_decay * param)``: the decay is
    added after Adam's rescaling, so it is not divided by ``sqrt(v_hat)``.

    Args:
      learning_rate: a number, or a schedule of the step count.
      b1: decay rate of the first moment.
      b2: decay rate of the second moment.
      eps: added to ``sqrt(v_hat)``, outside the square root.
      weight_decay: the decay coefficient.

    Returns:
      The optimizer: ``chain(scale_by_adam(b1, b2, eps), add_decayed_weights(weight_decay),
      scale_by_learning_rate(learning_rate))``. Its ``update`` needs ``params``.

    Example:
      >>> opt = adamw(0.1, weight_decay=0.5)
      >>> params = np.array([2.0])
      >>> opt.update(np.array([1.0]), opt.init(params), params)[0]  # -0.1 * (1 + 0.5 * 2)
      array([-0.2])
    """
    return chain(
        scale_by_adam(b1, b2, eps),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(learning_rate),
    )


def apply_updates(params: Params, updates: Updates) -> Params:
    """Adds the updates to the params, keeping each param's dtype.

    Args:
      params: a pytree of arrays.
      updates: a pytree of the same structure, as an optimizer's ``update`` returns.

    Returns:
      The new params, ``params + updates`` leaf by leaf, each cast to its param's dtype.

    Example:
      >>> apply_updates([np.float32(1.0)], [np.array(0.5)])
      [array(1.5, dtype=float32)]
    """
    return tree_map(lambda p, u: _cast(p + u, _dtype(p)), params, updates)


# ---------------------------------------------------------------------------------------------
# Learning-rate schedules. Each is a function of the step count written with functrace.numpy
# and no Python control flow on the count, so the count may be a tracer.


def constant_schedule(value: float) -> Schedule:
    """A schedule that is ``value`` at every step.

    Args:
      value: the constant.

    Returns:
      The schedule ``count -> value``.

    Example:
      >>> constant_schedule(0.1)(7)
      0.1
    """

    def schedule(count: Numeric) -> Numeric:
        del count
        return value

    return schedule


def exponential_decay(
    init_value: float, transition_steps: int, decay_rate: float, staircase: bool = False
) -> Schedule:
    """A schedule that multiplies the value by ``decay_rate`` every ``transition_steps`` steps.

    It is ``init_value * decay_rate ** (count / transition_steps)``; with ``staircase=True`` the
    exponent is rounded down, so the value drops in steps.

    Args:
      init_value: the value at step 0.
      transition_steps: how many steps one factor of ``decay_rate`` takes; must be positive.
      decay_rate: the factor per ``transition_steps`` steps.
      staircase: whether to decay in discrete steps.

    Returns:
      The schedule.

    Raises:
      ValueError: if ``transition_steps`` is not positive.

    Example:
      >>> schedule = exponential_decay(1.0, transition_steps=10, decay_rate=0.5, staircase=True)
      >>> float(schedule(0)), float(schedule(15)), float(schedule(20))
      (1.0, 0.5, 0.25)
    """
    if not transition_steps > 0:
        raise ValueError(
            f"exponential_decay: transition_steps must be positive, got {transition_steps}."
        )

    def schedule(count: Numeric) -> Numeric:
        exponent = count / transition_steps
        if staircase:
            exponent = fnp.floor(exponent)
        return init_value * decay_rate**exponent

    return schedule


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    """A schedule that falls from ``init_value`` to ``alpha * init_value`` along half a cosine.

    At step ``count`` it is ``init_value * ((1 - alpha) * c + alpha)`` with
    ``c = (1 + cos(pi * min(count, decay_steps) / decay_steps)) / 2``; it stays at
    ``alpha * init_value`` after ``decay_steps``.

    Args:
      init_value: the value at step 0.
      decay_steps: the number of steps the decay takes; must be positive.
      alpha: the final value as a fraction of ``init_value``.

    Returns:
      The schedule.

    Raises:
      ValueError: if ``decay_steps`` is not positive.

    Example:
      >>> schedule = cosine_decay_schedule(1.0, decay_steps=100, alpha=0.1)
      >>> float(schedule(0)), float(schedule(50)), float(schedule(200))
      (1.0, 0.55, 0.1)
    """
    if not decay_steps > 0:
        raise ValueError(f"cosine_decay_schedule: decay_steps must be positive, got {decay_steps}.")

    def schedule(count: Numeric) -> Numeric:
        progress = fnp.minimum(count, decay_steps) / decay_steps
        cosine = 0.5 * (1 + fnp.cos(math.pi * progress))
        return init_value * ((1 - alpha) * cosine + alpha)

    return schedule
