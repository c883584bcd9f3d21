"""Tests for functrace.optim against closed-form numbers worked out by hand."""

import math
from typing import Any

import numpy as np
import pytest

import functrace
from functrace import optim
from functrace.testing import check_grads
from functrace.tree_util import tree_leaves

G1 = np.array([1.0, 2.0])
G2 = np.array([0.5, -1.0])


def run_steps(opt, params, grads_list):
    """Runs one update per gradient and returns the list of updates."""
    state = opt.init(params)
    out = []
    for grads in grads_list:
        updates, state = opt.update(grads, state, params)
        out.append(updates)
    return out


def adam_reference(grads_list, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0, param=0.0):
    """Adam / AdamW written out as the textbook formulas, one step after another."""
    m = v = 0.0
    out = []
    for t, g in enumerate(grads_list, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        out.append(-lr * (m_hat / (np.sqrt(v_hat) + eps) + weight_decay * param))
    return out


# Two steps with G1 then G2 and lr = 0.1:
#   momentum:  t1 = G1 = [1, 2];  t2 = G2 + 0.9 * t1 = [1.4, 0.8];  steps -0.1 * t
#   nesterov:  steps -0.1 * (g + 0.9 * t_new): [1.9, 3.8] then [0.5 + 1.26, -1 + 0.72]
SGD_CASES = [
    # momentum, nesterov, step 1, step 2
    (0.0, False, [-0.1, -0.2], [-0.05, 0.1]),
    (0.9, False, [-0.1, -0.2], [-0.14, -0.08]),
    (0.9, True, [-0.19, -0.38], [-0.176, 0.028]),
]


@pytest.mark.parametrize("momentum, nesterov, step1, step2", SGD_CASES)
def test_sgd_matches_hand_computed_steps(momentum, nesterov, step1, step2):
    opt = optim.sgd(0.1, momentum=momentum, nesterov=nesterov)
    u1, u2 = run_steps(opt, np.zeros(2), [G1, G2])
    np.testing.assert_allclose(u1, step1, rtol=1e-12)
    np.testing.assert_allclose(u2, step2, rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    # After one step m_hat = g and v_hat = g**2, so the step is -lr * g / (|g| + eps).
    g = np.array([0.5, -3.0, 1e-3])
    (u,) = run_steps(optim.adam(0.01), np.zeros(3), [g])
    np.testing.assert_allclose(u, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_two_steps_match_reference():
    # Step 2 with g1 = 1, g2 = -1: m = 0.09 - 0.1 = -0.01, v = 0.000999 + 0.001 = 0.001999,
    # m_hat = -0.01 / 0.19, v_hat = 0.001999 / 0.001999, so the step is 0.1 * 0.01 / 0.19.
    u1, u2 = run_steps(optim.adam(0.1), np.zeros(1), [np.array([1.0]), np.array([-1.0])])
    np.testing.assert_allclose(u1, [-0.1 / (1 + 1e-8)], rtol=1e-12)
    np.testing.assert_allclose(u2, [0.1 * (0.01 / 0.19) / (1 + 1e-8)], rtol=1e-10)
    grads = [np.array([0.3, -2.0]), np.array([0.1, 4.0]), np.array([-0.7, 0.5])]
    got = run_steps(optim.adam(0.05, b1=0.8, b2=0.99, eps=1e-3), np.zeros(2), grads)
    want = adam_reference(grads, lr=0.05, b1=0.8, b2=0.99, eps=1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_adamw_adds_decoupled_weight_decay():
    # Step = -lr * (g / (|g| + eps) + weight_decay * param): the decay is not rescaled by Adam.
    params = np.array([2.0, -4.0])
    g = np.array([0.5, 0.25])
    (u,) = run_steps(optim.adamw(0.1, weight_decay=0.5), params, [g])
    np.testing.assert_allclose(u, [-0.1 * (1 + 1.0), -0.1 * (1 - 2.0)], rtol=1e-7)
    grads = [g, np.array([-1.0, 3.0])]
    got = run_steps(optim.adamw(0.1, weight_decay=0.5), params, grads)
    want = adam_reference(grads, lr=0.1, weight_decay=0.5, param=params)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_adamw_needs_params():
    opt = optim.adamw(0.1)
    with pytest.raises(ValueError, match="needs the params"):
        opt.update(G1, opt.init(G1))


def test_adam_on_pytree_keeps_structure_and_float32():
    params = [
        {"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)},
        {"w": np.ones((3, 1), np.float32), "b": np.zeros(1, np.float32)},
    ]
    grads = [{k: np.full_like(v, -2.0) for k, v in layer.items()} for layer in params]
    opt = optim.adam(0.5)
    updates, state = opt.update(grads, opt.init(params), params)
    new = optim.apply_updates(params, updates)
    assert isinstance(state[0], optim.ScaleByAdamState) and int(state[0].count) == 1
    for layer, new_layer in zip(params, new, strict=True):
        assert new_layer.keys() == layer.keys()
        for name, p in layer.items():
            assert new_layer[name].dtype == np.float32
            np.testing.assert_allclose(new_layer[name], p + 0.5, rtol=1e-6)


def test_apply_updates_adds_and_keeps_dtype():
    params = {"a": np.array([1.0, 2.0], np.float32), "b": [np.array(3.0)]}
    updates = {"a": np.array([0.5, -0.5]), "b": [np.array(-1.0)]}
    new = optim.apply_updates(params, updates)
    assert new["a"].dtype == np.float32
    np.testing.assert_array_equal(new["a"], [1.5, 1.5])
    np.testing.assert_array_equal(new["b"][0], 2.0)


@pytest.mark.parametrize(
    "max_norm, want_a, want_b",
    [
        (1.0, [0.6], [[0.8]]),  # global norm 5 is scaled down to 1
        (10.0, [3.0], [[4.0]]),  # within bounds: unchanged
        (5.0, [3.0], [[4.0]]),  # exactly at the bound: unchanged
    ],
)
def test_clip_by_global_norm(max_norm, want_a, want_b):
    grads = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    clip = optim.clip_by_global_norm(max_norm)
    updates, state = clip.update(grads, clip.init(grads))
    np.testing.assert_allclose(updates["a"], want_a, rtol=1e-12)
    np.testing.assert_allclose(updates["b"], want_b, rtol=1e-12)
    assert state == optim.EmptyState()


def test_clip_by_global_norm_of_zero_gradients_is_zero():
    clip = optim.clip_by_global_norm(1.0)
    with np.errstate(all="raise"):
        updates, _ = clip.update([np.zeros(3)], clip.init([np.zeros(3)]))
    np.testing.assert_array_equal(updates[0], np.zeros(3))


def test_clip_by_global_norm_rejects_non_positive_norm():
    with pytest.raises(ValueError, match="max_norm must be positive"):
        optim.clip_by_global_norm(0.0)


def test_chain_applies_in_order_and_tuples_states():
    # Clip [3, 4] to norm 1, then scale by 2; the other order would give [1.2, 1.6] / 10 * 1.
    opt = optim.chain(optim.clip_by_global_norm(1.0), optim.scale(2.0))
    state = opt.init(np.zeros(2))
    assert state == (optim.EmptyState(), optim.EmptyState())
    updates, _ = opt.update(np.array([3.0, 4.0]), state)
    np.testing.assert_allclose(updates, [1.2, 1.6], rtol=1e-12)
    opt = optim.chain(optim.scale(2.0), optim.clip_by_global_norm(1.0))
    updates, _ = opt.update(np.array([3.0, 4.0]), opt.init(np.zeros(2)))
    np.testing.assert_allclose(updates, [0.6, 0.8], rtol=1e-12)


def test_chain_rejects_a_foreign_state():
    opt = optim.chain(optim.scale(2.0), optim.scale(3.0))
    with pytest.raises(ValueError, match="2 transformations"):
        opt.update(G1, (optim.EmptyState(),))


def test_chained_adam_equals_adam():
    chained = optim.chain(optim.scale_by_adam(), optim.scale_by_learning_rate(0.1))
    grads = [G1, G2, G1]
    want = run_steps(optim.adam(0.1), np.zeros(2), grads)
    np.testing.assert_allclose(run_steps(chained, np.zeros(2), grads), want, rtol=1e-15)


def test_scale_by_learning_rate_flips_the_sign():
    updates, _ = optim.scale_by_learning_rate(0.1).update(G1, optim.EmptyState())
    np.testing.assert_allclose(updates, -0.1 * G1, rtol=1e-15)


STEPS = [0, 1, 5, 10, 15, 25, 100, 150]


@pytest.mark.parametrize(
    "schedule, formula",
    [
        (optim.constant_schedule(0.3), lambda n: 0.3),
        (optim.exponential_decay(2.0, 10, 0.5), lambda n: 2.0 * 0.5 ** (n / 10)),
        (
            optim.exponential_decay(2.0, 10, 0.5, staircase=True),
            lambda n: 2.0 * 0.5 ** (n // 10),
        ),
        (
            optim.cosine_decay_schedule(1.0, 100),
            lambda n: 0.5 * (1 + math.cos(math.pi * min(n, 100) / 100)),
        ),
        (
            optim.cosine_decay_schedule(0.4, 100, alpha=0.25),
            lambda n: 0.4 * (0.75 * 0.5 * (1 + math.cos(math.pi * min(n, 100) / 100)) + 0.25),
        ),
    ],
    ids=["constant", "exponential", "exponential-staircase", "cosine", "cosine-alpha"],
)
def test_schedule_matches_formula(schedule, formula):
    for n in STEPS:
        np.testing.assert_allclose(float(schedule(n)), formula(n), rtol=1e-12, atol=1e-15)
        # Optimizer states carry the count as a 0-d int32 array.
        np.testing.assert_allclose(
            float(schedule(np.asarray(n, np.int32))), formula(n), rtol=1e-12, atol=1e-15
        )


def test_schedule_known_values():
    cosine = optim.cosine_decay_schedule(1.0, 100, alpha=0.1)
    np.testing.assert_allclose([float(cosine(n)) for n in (0, 50, 100, 200)], [1, 0.55, 0.1, 0.1])
    stairs = optim.exponential_decay(1.0, 10, 0.5, staircase=True)
    assert [float(stairs(n)) for n in (0, 9, 10, 19, 20)] == [1.0, 1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize(
    "make, kwargs",
    [(optim.exponential_decay, {"decay_rate": 0.5}), (optim.cosine_decay_schedule, {})],
)
def test_schedule_rejects_non_positive_steps(make, kwargs):
    with pytest.raises(ValueError, match="must be positive"):
        make(1.0, 0, **kwargs)


def test_schedule_as_sgd_learning_rate():
    # lr halves every step: 1, 0.5, 0.25.
    opt = optim.sgd(optim.exponential_decay(1.0, transition_steps=1, decay_rate=0.5))
    state = opt.init(np.zeros(2))
    for lr in (1.0, 0.5, 0.25):
        updates, state = opt.update(G1, state)
        np.testing.assert_allclose(updates, -lr * G1, rtol=1e-12)
    assert int(state[-1].count) == 3


def test_schedule_as_adam_learning_rate():
    schedule = optim.cosine_decay_schedule(0.1, decay_steps=2)
    grads = [G1, G2, G1]
    got = run_steps(optim.adam(schedule), np.zeros(2), grads)
    unit = run_steps(optim.adam(1.0), np.zeros(2), grads)
    for n, (u, w) in enumerate(zip(got, unit, strict=True)):
        np.testing.assert_allclose(u, float(schedule(n)) * w, rtol=1e-12, atol=1e-18)


# Optimizers that exercise every block, with schedules so the step count is traced too.
TRACED_OPTIMIZERS = [
    optim.sgd(optim.exponential_decay(0.1, 2, 0.5, staircase=True), momentum=0.9, nesterov=True),
    optim.adam(0.1),
    optim.chain(optim.clip_by_global_norm(0.5), optim.adamw(optim.cosine_decay_schedule(0.1, 3))),
]
TRACED_IDS = ["sgd-nesterov-staircase", "adam", "clip-adamw-cosine"]
PARAMS = {"w": np.ones((2, 3), np.float32), "b": [np.arange(3.0)]}
GRADS = {"w": np.full((2, 3), 0.5, np.float32), "b": [np.array([1.0, -2.0, 0.25])]}

# The jit test runs once functrace.jit exists.
jit: Any = getattr(functrace, "jit", None)


def train_step(opt, params, state, grads):
    updates, state = opt.update(grads, state, params)
    return optim.apply_updates(params, updates), state


@pytest.mark.parametrize("opt", TRACED_OPTIMIZERS, ids=TRACED_IDS)
def test_update_traces_on_abstract_values(opt):
    # make_jaxpr's tracers have no values, so this fails on any Python branch on a value.
    state = opt.init(PARAMS)
    closed = functrace.make_jaxpr(lambda *args: train_step(opt, *args))(PARAMS, state, GRADS)
    want = tree_leaves(train_step(opt, PARAMS, state, GRADS))
    assert len(closed.jaxpr.outvars) == len(want)
    for var, leaf in zip(closed.jaxpr.outvars, want, strict=True):
        assert var.aval.dtype == np.asarray(leaf).dtype
        assert var.aval.shape == np.shape(leaf)


@pytest.mark.parametrize("opt", TRACED_OPTIMIZERS, ids=TRACED_IDS)
def test_grad_through_optimizer_steps(opt):
    # Differentiates the loss after two steps w.r.t. the initial params (a meta-gradient).
    def loss_after_two_steps(params):
        state = opt.init(params)
        for _ in range(2):
            grads = {"w": 2.0 * params["w"], "b": [params["b"][0] ** 3]}
            params, state = train_step(opt, params, state, grads)
        return (params["w"] ** 2).sum() + (params["b"][0] ** 2).sum()

    start = {"w": np.linspace(-1.2, 1.3, 6).reshape(2, 3), "b": [np.array([0.5, -1.0, 2.0])]}
    check_grads(loss_after_two_steps, (start,), modes=("rev",))


@pytest.mark.skipif(jit is None, reason="functrace.jit is not available yet")
@pytest.mark.parametrize("opt", TRACED_OPTIMIZERS, ids=TRACED_IDS)
def test_update_under_jit_matches_eager(opt):
    jitted = jit(lambda *args: train_step(opt, *args))
    eager = compiled = (PARAMS, opt.init(PARAMS))
    for _ in range(4):
        eager = train_step(opt, *eager, GRADS)
        compiled = jitted(*compiled, GRADS)
    for got, want in zip(tree_leaves(compiled), tree_leaves(eager), strict=True):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_allclose(got, want, rtol=1e-6)
