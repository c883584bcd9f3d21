"""Tests for functrace.nn: activations and losses against NumPy formulas, their stability and
derivatives at extreme inputs, the MLP, per-example gradients, and a small training run."""

import math

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import nn, optim
from functrace.testing import check_grads

GELU_C = math.sqrt(2 / math.pi)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_gelu(x):
    return 0.5 * x * (1 + np.tanh(GELU_C * (x + 0.044715 * x**3)))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    return np.log(np_softmax(x, axis))


# name, function, NumPy reference (on moderate inputs)
ELEMENTWISE = [
    ("relu", nn.relu, lambda x: np.maximum(x, 0)),
    ("tanh", nn.tanh, np.tanh),
    ("sigmoid", nn.sigmoid, np_sigmoid),
    ("softplus", nn.softplus, lambda x: np.log1p(np.exp(x))),
    ("gelu", nn.gelu, np_gelu),
    # The rest of jax.nn's activations, against NumPy formulas (values checked against
    # jax.nn by hand, derivatives at the kinks below).
    ("relu6", nn.relu6, lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    ("celu", lambda x: nn.celu(x, 2.0), lambda x: np.maximum(x, 0)
     + 2 * np.expm1(np.minimum(x, 0) / 2)),
    ("selu", nn.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))),
    ("silu", nn.silu, lambda x: x * np_sigmoid(x)),
    ("log_sigmoid", nn.log_sigmoid, lambda x: np.log(np_sigmoid(x))),
    ("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    ("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("mish", nn.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("sparse_plus", nn.sparse_plus, lambda x: np.where(x <= -1, 0, np.where(
        x >= 1, x, (x + 1) ** 2 / 4))),
    ("sparse_sigmoid", nn.sparse_sigmoid, lambda x: np.clip(x + 1, 0, 2) / 2),
]
NORMALIZING = [
    ("softmax", nn.softmax, np_softmax),
    ("log_softmax", nn.log_softmax, np_log_softmax),
]
ACTIVATIONS = ELEMENTWISE + NORMALIZING

# Exact value, first and second derivative at chosen points, worked out by hand:
# sigmoid' = s(1 - s), sigmoid'' = s(1 - s)(1 - 2s); softplus' = sigmoid;
# gelu''(0) = 2 * (d/dx of 0.5 tanh(c x) at 0) = c; ReLU's derivative at 0 is 0, as in JAX.
POINTS = [
    # function, x, value, first derivative, second derivative
    ("relu", 1e4, 1e4, 1.0, 0.0),
    ("relu", -1e4, 0.0, 0.0, 0.0),
    ("relu", 0.0, 0.0, 0.0, 0.0),
    ("tanh", 1e4, 1.0, 0.0, 0.0),
    ("tanh", -1e4, -1.0, 0.0, 0.0),
    ("sigmoid", 1e4, 1.0, 0.0, 0.0),
    ("sigmoid", -1e4, 0.0, 0.0, 0.0),
    ("sigmoid", 0.0, 0.5, 0.25, 0.0),
    ("sigmoid", -40.0, np_sigmoid(-40.0), np_sigmoid(-40.0), np_sigmoid(-40.0)),
    ("softplus", 1e4, 1e4, 1.0, 0.0),
    ("softplus", -1e4, 0.0, 0.0, 0.0),
    ("softplus", 0.0, math.log(2), 0.5, 0.25),
    ("gelu", 1e4, 1e4, 1.0, 0.0),
    ("gelu", -1e4, 0.0, 0.0, 0.0),
    ("gelu", 0.0, 0.0, 0.5, GELU_C),
    # At the kinks, jax.nn's derivatives (each function picks the branch JAX's does).
    ("relu6", 0.0, 0.0, 0.0, 0.0),
    ("relu6", 6.0, 6.0, 0.0, 0.0),
    ("leaky_relu", 0.0, 0.0, 1.0, 0.0),
    ("elu", 0.0, 0.0, 1.0, 1.0),
    ("celu", 0.0, 0.0, 1.0, 0.125),  # alpha 2: the min's tie halves exp(0) / alpha
    ("selu", 0.0, 0.0, 1.0507009873554805 * 1.6732632423543772,
     1.0507009873554805 * 1.6732632423543772),
    ("hard_tanh", 1.0, 1.0, 1.0, 0.0),
    ("hard_tanh", -1.0, -1.0, 1.0, 0.0),
    ("hard_sigmoid", 3.0, 1.0, 0.0, 0.0),
    ("hard_sigmoid", -3.0, 0.0, 0.0, 0.0),
    ("sparse_plus", 1.0, 1.0, 1.0, 0.0),
    ("sparse_plus", -1.0, 0.0, 0.0, 0.0),
    ("sparse_sigmoid", 1.0, 1.0, 0.25, 0.0),
    ("sparse_sigmoid", -1.0, 0.0, 0.25, 0.0),
    ("log_sigmoid", -1e4, -1e4, 1.0, 0.0),
    ("silu", 0.0, 0.0, 0.5, 0.5),
]
BY_NAME = dict((name, fn) for name, fn, _ in ACTIVATIONS)


def moderate(shape, seed=0, dtype=np.float64):
    """Random inputs kept 0.1 away from 0, where ReLU has its kink."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    return (np.sign(x) * (0.1 + np.abs(x))).astype(dtype)


def derivatives(fn, x):
    """Value, first and second derivative of an elementwise function, entry by entry."""
    d1 = ft.grad(lambda x: fnp.sum(fn(x)))
    d2 = ft.grad(lambda x: fnp.sum(d1(x)))
    return fn(x), d1(x), d2(x)


# ---------------------------------------------------------------------------------------------
# Activations


@pytest.mark.parametrize("name, fn, reference", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_matches_numpy(name, fn, reference, dtype):
    x = moderate((4, 5), dtype=dtype)
    got = fn(x)
    assert np.asarray(got).dtype == dtype
    np.testing.assert_allclose(got, reference(x.astype(np.float64)),
                               rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-7)


@pytest.mark.parametrize("name, fn, reference", NORMALIZING, ids=[a[0] for a in NORMALIZING])
def test_normalizing_activation_axis(name, fn, reference):
    x = moderate((3, 4, 5))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(fn(x, axis=axis), reference(x, axis=axis), rtol=1e-13)
    np.testing.assert_allclose(np.exp(nn.log_softmax(x, axis=1)).sum(1), 1.0, rtol=1e-13)


@pytest.mark.parametrize("name, x, value, d1, d2", POINTS)
def test_activation_values_and_derivatives_at_points(name, x, value, d1, d2):
    got = derivatives(BY_NAME[name], np.array([x]))
    for g, want in zip(got, (value, d1, d2), strict=True):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, [want], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name, fn, reference", ELEMENTWISE, ids=[a[0] for a in ELEMENTWISE])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_elementwise_activation_is_finite_at_extremes(name, fn, reference, dtype):
    x = np.array([-1e4, -800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0, 1e4], dtype)
    for out in derivatives(fn, x):
        assert np.asarray(out).dtype == dtype
        assert np.all(np.isfinite(out)), (name, out)


@pytest.mark.parametrize("name, fn, reference", NORMALIZING, ids=[a[0] for a in NORMALIZING])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normalizing_activation_is_finite_at_extremes(name, fn, reference, dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype)
    log_want = np.array([[0, -2e4, -1e4], [-math.log(3)] * 3,
                         [-math.log(2), -math.log(2), -2e4 - math.log(2)]])
    want = np.exp(log_want) if name == "softmax" else log_want
    np.testing.assert_allclose(fn(x), want, rtol=1e-6, atol=1e-30)
    w = moderate(x.shape, seed=1, dtype=dtype)
    scalar = lambda x: fnp.sum(w * fn(x))  # noqa: E731
    for out in (ft.grad(scalar)(x), ft.hessian(scalar)(x)):
        assert np.all(np.isfinite(out)), (name, out)


def test_gelu_is_close_to_the_exact_erf_form():
    x = np.linspace(-6, 6, 241)
    exact = 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    assert np.max(np.abs(nn.gelu(x) - exact)) < 1e-3
    np.testing.assert_array_equal(nn.gelu(x, approximate=True), nn.gelu(x))
    np.testing.assert_allclose(nn.gelu(x, approximate=False), exact, rtol=1e-13, atol=1e-15)
    check_grads(lambda v: nn.gelu(v, approximate=False), (x[::20],), order=2)


@pytest.mark.parametrize("name, fn, reference", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_check_grads(name, fn, reference):
    check_grads(fn, (moderate((2, 3)),), order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------------
# Losses and metrics

LOGITS = moderate((4, 3), seed=2) * 2
LABELS = np.array([0, 2, 1, 2])
ONE_HOT = np.eye(3)[LABELS]


def np_cross_entropy(logits, targets):
    return -np.mean(np.sum(targets * np_log_softmax(logits), axis=-1))


def test_mse():
    pred, target = moderate((3, 4), seed=3), moderate((3, 4), seed=4)
    np.testing.assert_allclose(nn.mse(pred, target), np.mean((pred - target) ** 2), rtol=1e-14)
    # Broadcasting target, mean over all elements of the broadcast difference.
    np.testing.assert_allclose(nn.mse(pred, 1.0), np.mean((pred - 1) ** 2), rtol=1e-14)


def test_cross_entropy_integer_labels_equal_one_hot():
    by_index = nn.softmax_cross_entropy(LOGITS, LABELS)
    np.testing.assert_allclose(by_index, nn.softmax_cross_entropy(LOGITS, ONE_HOT), rtol=1e-14)
    np.testing.assert_allclose(by_index, np_cross_entropy(LOGITS, ONE_HOT), rtol=1e-13)
    g_index = ft.grad(nn.softmax_cross_entropy)(LOGITS, LABELS)
    g_one_hot = ft.grad(nn.softmax_cross_entropy)(LOGITS, ONE_HOT)
    np.testing.assert_allclose(g_index, g_one_hot, rtol=1e-14)
    # The gradient of the mean cross-entropy is (softmax - one_hot) / batch.
    np.testing.assert_allclose(g_index, (np_softmax(LOGITS) - ONE_HOT) / 4, rtol=1e-12)


def test_cross_entropy_probability_rows_and_single_example():
    probs = np_softmax(moderate((4, 3), seed=5))
    np.testing.assert_allclose(nn.softmax_cross_entropy(LOGITS, probs),
                               np_cross_entropy(LOGITS, probs), rtol=1e-13)
    # One example: logits (classes,) with a 0-d label.
    np.testing.assert_allclose(nn.softmax_cross_entropy(LOGITS[1], LABELS[1]),
                               -np_log_softmax(LOGITS[1])[2], rtol=1e-13)


def test_cross_entropy_at_extreme_logits():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]])
    labels = np.array([1, 1])
    np.testing.assert_allclose(nn.softmax_cross_entropy(logits, labels), 1e4)
    np.testing.assert_allclose(ft.grad(nn.softmax_cross_entropy)(logits, labels),
                               [[0.5, -0.5], [0.0, 0.0]])
    assert np.all(np.isfinite(ft.hessian(nn.softmax_cross_entropy)(logits, labels)))


def test_cross_entropy_keeps_float32():
    loss = nn.softmax_cross_entropy(LOGITS.astype(np.float32), LABELS)
    assert np.asarray(loss).dtype == np.float32


@pytest.mark.parametrize("labels", [np.array([0, 1, 2]), np.eye(4), np.zeros((4, 2))])
def test_cross_entropy_rejects_mismatched_labels(labels):
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        nn.softmax_cross_entropy(LOGITS, labels)


LOSSES = [
    ("mse", nn.mse, (moderate((3, 2), seed=6), moderate((3, 2), seed=7))),
    ("cross_entropy_int", lambda z: nn.softmax_cross_entropy(z, LABELS), (LOGITS,)),
    ("cross_entropy_probs", nn.softmax_cross_entropy,
     (LOGITS, np_softmax(moderate((4, 3), seed=8)))),
    ("l2_penalty", nn.l2_penalty,
     ([{"w": moderate((2, 3), seed=9), "b": moderate((3,), seed=10)},
       {"w": moderate((3, 1), seed=11), "b": moderate((1,), seed=12)}],)),
]


@pytest.mark.parametrize("name, fn, args", LOSSES, ids=[case[0] for case in LOSSES])
def test_loss_check_grads(name, fn, args):
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


def test_l2_penalty_counts_weights_only():
    params = LOSSES[-1][2][0]
    want = sum(np.sum(layer["w"] ** 2) for layer in params)
    np.testing.assert_allclose(nn.l2_penalty(params), want, rtol=1e-14)
    grads = ft.grad(nn.l2_penalty)(params)
    for layer, g in zip(params, grads, strict=True):
        np.testing.assert_allclose(g["w"], 2 * layer["w"], rtol=1e-14)
        np.testing.assert_array_equal(g["b"], 0.0)


def test_accuracy():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [5.0, 4.0, 9.0], [1.0, 0.0, 2.0]])
    labels = np.array([0, 1, 1, 0])
    assert float(nn.accuracy(logits, labels)) == 0.5
    assert float(nn.accuracy(logits, np.eye(3)[labels])) == 0.5
    assert float(nn.accuracy(logits, np.array([0, 1, 2, 2]))) == 1.0
    with pytest.raises(ValueError, match="accuracy"):
        nn.accuracy(logits, labels[:3])


# ---------------------------------------------------------------------------------------------
# Initialisation and the network


@pytest.mark.parametrize("init", ["he", "glorot"])
def test_init_mlp_shapes_and_scales(init):
    sizes = [400, 300, 2]
    params = nn.init_mlp(np.random.default_rng(0), sizes, init=init)
    assert [(p["w"].shape, p["b"].shape) for p in params] == [((400, 300), (300,)),
                                                               ((300, 2), (2,))]
    w = params[0]["w"]
    want_std = math.sqrt(2 / 400) if init == "he" else math.sqrt(2 / 700)
    assert abs(w.std() / want_std - 1) < 0.02
    assert abs(w.mean()) < 0.05 * want_std
    if init == "glorot":
        assert np.abs(w).max() <= math.sqrt(6 / 700)
    for layer in params:
        np.testing.assert_array_equal(layer["b"], 0.0)
    # The same generator state gives the same parameters.
    again = nn.init_mlp(np.random.default_rng(0), sizes, init=init)
    np.testing.assert_array_equal(again[1]["w"], params[1]["w"])


def test_init_mlp_dtype_and_errors():
    params = nn.init_mlp(np.random.default_rng(0), [3, 4, 2], dtype=np.float32)
    assert {leaf.dtype for layer in params for leaf in layer.values()} == {np.dtype(np.float32)}
    with pytest.raises(ValueError, match="sizes"):
        nn.init_mlp(np.random.default_rng(0), [3])
    with pytest.raises(ValueError, match="sizes"):
        nn.init_mlp(np.random.default_rng(0), [3, 0, 2])
    with pytest.raises(ValueError, match="init"):
        nn.init_mlp(np.random.default_rng(0), [3, 2], init="xavier")  # type: ignore[arg-type]


def np_mlp(params, x, activation):
    for layer in params[:-1]:
        x = activation(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def small_mlp(seed=0):
    params = nn.init_mlp(np.random.default_rng(seed), [5, 7, 6, 3])
    for layer in params:  # non-zero biases, so that the test sees them
        layer["b"] = moderate(layer["b"].shape, seed=seed + 1)
    return params


def test_mlp_shapes_and_values():
    params = small_mlp()
    x = moderate((8, 5), seed=3)
    out = nn.mlp(params, x)
    assert out.shape == (8, 3)
    np.testing.assert_allclose(out, np_mlp(params, x, np.tanh), rtol=1e-13)
    np.testing.assert_allclose(nn.mlp(params, x, activation=nn.relu),
                               np_mlp(params, x, lambda z: np.maximum(z, 0)), rtol=1e-13)
    np.testing.assert_allclose(nn.mlp(params, x[2]), out[2], rtol=1e-13)  # one example
    # A single layer is affine: no activation on the last layer.
    layer = params[:1]
    np.testing.assert_allclose(nn.mlp(layer, x), x @ layer[0]["w"] + layer[0]["b"], rtol=1e-14)


def loss(params, x, y):
    return nn.softmax_cross_entropy(nn.mlp(params, x, activation=nn.gelu), y)


def test_mlp_loss_check_grads():
    params, x = small_mlp(), moderate((4, 5), seed=4)
    check_grads(lambda p: loss(p, x, LABELS), (params,), order=2, modes=("fwd", "rev"))


def test_per_example_gradients_with_vmap():
    params, x, y = small_mlp(), moderate((6, 5), seed=5), np.array([0, 1, 2, 2, 1, 0])
    per_example = ft.vmap(ft.grad(loss), in_axes=(None, 0, 0))(params, x, y)
    for i in range(len(x)):
        one = ft.grad(loss)(params, x[i], y[i])
        for got, want in zip(per_example, one, strict=True):
            for key in ("w", "b"):
                np.testing.assert_allclose(got[key][i], want[key], rtol=1e-12, atol=1e-15)
    # Their mean is the gradient of the batch-mean loss.
    full = ft.grad(loss)(params, x, y)
    np.testing.assert_allclose(per_example[0]["w"].mean(0), full[0]["w"], rtol=1e-12)


@pytest.mark.skipif(not hasattr(ft, "jit"), reason="functrace.jit is not available")
def test_jit_value_and_grad_matches_eager():
    params, x = small_mlp(), moderate((4, 5), seed=6)
    eager = ft.value_and_grad(loss)(params, x, LABELS)
    jitted = ft.jit(ft.value_and_grad(loss))(params, x, LABELS)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=1e-13)
    for got, want in zip(jitted[1], eager[1], strict=True):
        np.testing.assert_allclose(got["w"], want["w"], rtol=1e-12, atol=1e-15)
    acc = ft.jit(lambda p, x, y: nn.accuracy(nn.mlp(p, x), y))(params, x, LABELS)
    assert float(acc) == float(nn.accuracy(nn.mlp(params, x), LABELS))


# ---------------------------------------------------------------------------------------------
# Training


def two_moons(n, seed):
    """Two interleaved half circles with Gaussian noise: classes no straight line separates."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    y = rng.integers(0, 2, n)
    x = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    return x + rng.normal(0, 0.1, x.shape), y


def test_training_a_small_mlp_on_two_moons():
    x_train, y_train = two_moons(256, seed=0)
    x_test, y_test = two_moons(512, seed=1)
    params = nn.init_mlp(np.random.default_rng(0), [2, 32, 2], init="glorot")
    opt = optim.adam(0.03)
    state = opt.init(params)

    def step(params, state, x, y):
        value, grads = ft.value_and_grad(lambda p: loss(p, x, y) + 1e-4 * nn.l2_penalty(p))(
            params)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    step = ft.jit(step) if hasattr(ft, "jit") else step
    losses = []
    for _ in range(150):
        params, state, value = step(params, state, x_train, y_train)
        losses.append(float(value))
    # A linear classifier gets about 88% here; the hidden layer must bend the boundary.
    assert losses[-1] < 0.2 * losses[0]
    assert float(nn.accuracy(nn.mlp(params, x_test, activation=nn.gelu), y_test)) >= 0.97


def test_log1mexp_is_accurate_for_small_and_large_inputs():
    x = np.array([1e-300, 1e-10, 0.5, math.log(2.0), 0.7, 5.0, 50.0, 800.0])
    want = np.array([math.log(-math.expm1(-v)) if v < 1 else math.log1p(-math.exp(-v))
                     for v in x])
    np.testing.assert_allclose(nn.log1mexp(x), want, rtol=1e-14, atol=1e-300)
    check_grads(nn.log1mexp, (np.array([0.1, 0.5, 2.0, 10.0]),), order=2)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no inf or NaN on the way
        g = ft.grad(lambda x: fnp.sum(nn.log1mexp(x)))(x)
    np.testing.assert_allclose(g, np.exp(-x) / -np.expm1(-x), rtol=1e-12)  # 1 / (e^x - 1)


def test_glu_one_hot_standardize_logsumexp():
    x = moderate((4, 6), seed=3)
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(nn.glu(x), a * np_sigmoid(b), rtol=1e-13)
    np.testing.assert_allclose(nn.glu(x, axis=0), x[:2] * np_sigmoid(x[2:]), rtol=1e-13)
    check_grads(nn.glu, (x,), order=2)
    with pytest.raises(ValueError, match="odd"):
        nn.glu(np.ones((3, 3)))
    labels = np.array([[0, 2], [5, -1]])
    got = nn.one_hot(labels, 3)
    assert got.shape == (2, 2, 3) and got.dtype == np.float64
    np.testing.assert_array_equal(got, (labels[..., None] == np.arange(3)).astype(float))
    np.testing.assert_array_equal(nn.one_hot(labels, 3, axis=0, dtype=np.int32),
                                  np.moveaxis(got, -1, 0).astype(np.int32))
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(nn.standardize(x), want, rtol=1e-10)
    np.testing.assert_allclose(nn.standardize(x, axis=(0, 1)),
                               (x - x.mean()) / np.sqrt(x.var() + 1e-5), rtol=1e-10)
    check_grads(nn.standardize, (x,), order=2)
    np.testing.assert_allclose(nn.logsumexp(x, axis=1),
                               np.log(np.exp(x).sum(1)), rtol=1e-13)
    np.testing.assert_allclose(nn.logmeanexp(x, axis=1, keepdims=True),
                               np.log(np.exp(x).mean(1, keepdims=True)), rtol=1e-13)
    np.testing.assert_allclose(nn.logmeanexp(x), np.log(np.exp(x).mean()), rtol=1e-13)
    mask = np.arange(24).reshape(4, 6) % 3 != 1
    np.testing.assert_allclose(nn.logsumexp(x, axis=1, where=mask),
                               np.log(np.where(mask, np.exp(x), 0).sum(1)), rtol=1e-13)
    np.testing.assert_allclose(nn.logmeanexp(x, 1, mask),
                               np.log(np.where(mask, np.exp(x), 0).sum(1) / mask.sum(1)),
                               rtol=1e-13)
    g = ft.grad(lambda x: fnp.sum(nn.logmeanexp(x, axis=1, where=mask)))(x)
    assert np.all(g[~mask] == 0)
    assert nn.swish is nn.silu and nn.hard_swish is nn.hard_silu
    np.testing.assert_array_equal(nn.identity(x), x)


def test_softmax_and_log_softmax_where():
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    mask = np.array([[True, False, True], [False, False, True]])
    e = np.where(mask, np.exp(x - 3.0), 0.0)
    want = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(nn.softmax(x, where=mask), want, rtol=1e-13)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(nn.log_softmax(x, where=mask), np.log(want), rtol=1e-13)
    w = np.arange(6.0).reshape(2, 3)
    g = ft.grad(lambda x: fnp.sum(nn.softmax(x, where=mask) * w))(x)
    assert np.all(g[~mask] == 0)
    # On the kept entries, the plain softmax of those entries alone.
    g_row = ft.grad(lambda r: fnp.sum(nn.softmax(r) * w[0, [0, 2]]))(x[0, [0, 2]])
    np.testing.assert_allclose(g[0, [0, 2]], g_row, rtol=1e-12)


def test_masked_log_softmax_is_constant_where_masked():
    # Found by comparing with jax.nn: the masked entries are the constant -inf (no tangent), and
    # a fully masked row gives -inf (softmax 0), with no NaN and no division by zero.
    rng = np.random.default_rng(0)
    x = rng.random((4, 5))
    mask = rng.random((4, 5)) < 0.6
    mask[:, 0] = True
    mask[2, :] = False
    with np.errstate(all="raise"):
        out = nn.log_softmax(x, axis=1, where=mask)
        tangent = ft.jvp(lambda x: nn.log_softmax(x, axis=1, where=mask), (x,),
                         (np.ones_like(x),))[1]
        g = ft.grad(lambda x: fnp.sum(fnp.where(mask, nn.softmax(x, axis=1, where=mask), 0.0)
                                      * x))(x)
    assert np.all(out[~mask] == -np.inf) and np.all(tangent[~mask] == 0)
    np.testing.assert_array_equal(nn.softmax(x, axis=1, where=mask)[2], 0.0)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(nn.standardize(x, axis=None), (x - x.mean()) / np.sqrt(
        x.var() + 1e-5), rtol=1e-10)


def _np_attention(q, k, v, bias=None, keep=None, scale=None):
    """A plain NumPy reference: per batch and head, softmax(q k^T * scale + bias) v."""
    b, t, n, h = q.shape
    group = n // k.shape[2]
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scale = 1 / np.sqrt(h) if scale is None else scale
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    if bias is not None:
        logits = logits + bias
    if keep is not None:
        logits = np.where(keep, logits, -0.7 * np.finfo(q.dtype).max)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    return np.einsum("bnts,bsnh->btnh", w / w.sum(-1, keepdims=True), v)


def test_dot_product_attention():
    rng = np.random.default_rng(1)
    b, t, s, n, k_heads, h = 2, 3, 5, 4, 2, 8
    q = rng.standard_normal((b, t, n, h))
    k, v = rng.standard_normal((b, s, k_heads, h)), rng.standard_normal((b, s, k_heads, h))
    bias = rng.standard_normal((1, n, t, s))
    mask = rng.random((b, 1, t, s)) < 0.7
    causal = np.arange(s)[None, :] <= np.arange(t)[:, None]
    window = np.abs(np.arange(s)[None, :] - np.arange(t)[:, None]) <= 1
    cases = [({}, {}), ({"bias": bias}, {"bias": bias}), ({"mask": mask}, {"keep": mask}),
             ({"is_causal": True}, {"keep": causal}), ({"scale": 0.3}, {"scale": 0.3}),
             ({"local_window_size": 1, "is_causal": True, "mask": mask},
              {"keep": mask & causal & window})]
    for kw, ref in cases:
        want = _np_attention(q, k, v, **ref)
        np.testing.assert_allclose(nn.dot_product_attention(q, k, v, **kw), want, rtol=1e-12)
        np.testing.assert_allclose(ft.jit(lambda q, k, v, kw=kw: nn.dot_product_attention(
            q, k, v, **kw))(q, k, v), want, rtol=1e-12)
        check_grads(lambda q, k, v, kw=kw: nn.dot_product_attention(q, k, v, **kw), (q, k, v),
                    order=1)
    # Sequence lengths: padded keys are masked out, padded queries give zero rows.
    lengths_q, lengths_kv = np.array([2, 3]), np.array([4, 2])
    got = nn.dot_product_attention(q, k, v, query_seq_lengths=lengths_q,
                                   key_value_seq_lengths=lengths_kv)
    keep = np.arange(s)[None, None, None, :] < lengths_kv[:, None, None, None]
    want = _np_attention(q, k, v, keep=keep)
    want[0, 2:] = 0.0
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # Unbatched (T, N, H), and a fully masked row attends uniformly (no NaN), as JAX's.
    np.testing.assert_allclose(nn.dot_product_attention(q[0], k[0], v[0]),
                               _np_attention(q, k, v)[0], rtol=1e-12)
    out = nn.dot_product_attention(q, k, v, mask=np.zeros((b, 1, t, s), bool))
    np.testing.assert_allclose(out, np.repeat(np.repeat(v, 2, axis=2).mean(1, keepdims=True),
                                              t, axis=1), rtol=1e-12)
    with pytest.raises(ValueError, match="multiple"):
        nn.dot_product_attention(q, k[:, :, :1].repeat(3, axis=2), v[:, :, :1].repeat(3, axis=2))
