"""The backpropagation chapter (../shared/seed/backpropagation-chapter.md), in code.

Everything the chapter derives by hand is computed here by functrace and checked against the
chapter's closed forms:

1. f(x1, x2) = x1*x2 + exp(x1*x2) - sin(x2) written as its evaluation trace, and its jaxpr;
2. the primal trace v1..v7, the forward tangents v̇1..v̇7 for ẋ = (1, 0) and the reverse
   adjoints v̄7..v̄1;
3. the one-line form of f, which computes x1*x2 twice and so traces six equations;
4. the single-layer linear model, ∂E/∂w_ji = (y_j - t_j) x_i;
5. the general network, δ_j = h'(a_j) Σ_k w_kj δ_k, on a two-layer tanh network;
6. numerical differentiation (central differences) as the check it is meant to be;
7. forward vs reverse mode: a Jacobian column by column or row by row.

Run ``python examples/seed_example.py``; the exit status is 1 if any check fails.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

import functrace as ft
import functrace.numpy as fnp
from functrace.testing import numerical_jacobian

X1, X2 = 1.5, 0.5  # the point at which the chapter's example is evaluated

# SPEC §4: the evaluation trace written as Python traces to exactly these five equations.
SPEC_JAXPR = """\
{ lambda ; a:f64[] b:f64[]. let
    c:f64[] = mul a b
    d:f64[] = sin b
    e:f64[] = exp c
    f:f64[] = sub c d
    g:f64[] = add e f
  in (g,) }"""


class Checks:
    """Collects named comparisons; prints each one as it is made."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.count = 0

    def close(self, name: str, got: Any, expected: Any, rtol: float = 1e-12,
              atol: float = 1e-12) -> None:
        got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
        ok = got.shape == expected.shape and bool(np.allclose(got, expected, rtol, atol))
        err = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else np.inf
        self._record(name, ok, f"max |difference| = {err:.1e}")

    def true(self, name: str, ok: bool, detail: str = "") -> None:
        self._record(name, ok, detail)

    def _record(self, name: str, ok: bool, detail: str) -> None:
        self.count += 1
        if not ok:
            self.failed.append(name)
        print(f"  [{'ok' if ok else 'FAILED'}] {name}" + (f"  ({detail})" if detail else ""))


# ---------------------------------------------------------------------------------------------
# The chapter's example


def f(x1: Any, x2: Any) -> Any:
    """x1*x2 + exp(x1*x2) - sin(x2), written as its evaluation trace (v1 = x1, v2 = x2)."""
    v3 = x1 * x2
    v4 = fnp.sin(x2)
    v5 = fnp.exp(v3)
    v6 = v3 - v4
    return v5 + v6


def f_one_liner(x1: Any, x2: Any) -> Any:
    return x1 * x2 + fnp.exp(x1 * x2) - fnp.sin(x2)


def primal_trace(x1: Any, x2: Any) -> tuple[Any, ...]:
    """All seven primal variables v1..v7 of the evaluation trace."""
    v1, v2 = x1 * 1.0, x2 * 1.0
    v3 = v1 * v2
    v4 = fnp.sin(v2)
    v5 = fnp.exp(v3)
    v6 = v3 - v4
    v7 = v5 + v6
    return v1, v2, v3, v4, v5, v6, v7


def f_perturbed(x1: Any, x2: Any, e: Any) -> Any:
    """f with a perturbation e_i added to each v_i.  The adjoint v̄_i = ∂f/∂v_i counts every
    path from v_i to the output, which is exactly ∂f/∂e_i at e = 0: the gradient with respect
    to e is the vector of adjoints."""
    v1 = x1 + e[0]
    v2 = x2 + e[1]
    v3 = v1 * v2 + e[2]
    v4 = fnp.sin(v2) + e[3]
    v5 = fnp.exp(v3) + e[4]
    v6 = v3 - v4 + e[5]
    return v5 + v6 + e[6]


def chapter_primals(x1: float, x2: float) -> list[float]:
    v1, v2 = x1, x2
    v3 = v1 * v2
    v4 = np.sin(v2)
    v5 = np.exp(v3)
    v6 = v3 - v4
    return [v1, v2, v3, v4, v5, v6, v5 + v6]


def chapter_tangents(v: Sequence[float], x1_dot: float, x2_dot: float) -> list[float]:
    """The chapter's tangent equations, verbatim."""
    v1, v2, v3 = v[0], v[1], v[2]
    d1, d2 = x1_dot, x2_dot
    d3 = v1 * d2 + d1 * v2
    d4 = d2 * np.cos(v2)
    d5 = d3 * np.exp(v3)
    d6 = d3 - d4
    return [d1, d2, d3, d4, d5, d6, d5 + d6]


def chapter_adjoints(v: Sequence[float]) -> list[float]:
    """The chapter's adjoint equations, with its v̄2 typo corrected (v̄3·v1, not v̄2·v1)."""
    v1, v2, v5 = v[0], v[1], v[4]
    b7 = 1.0
    b6 = b7
    b5 = b7
    b4 = -b6
    b3 = b5 * v5 + b6
    b2 = b3 * v1 + b4 * np.cos(v2)
    b1 = b3 * v2
    return [b1, b2, b3, b4, b5, b6, b7]


# ---------------------------------------------------------------------------------------------
# Printing


def _width(s: str) -> int:
    return sum(1 for c in s if not unicodedata.combining(c))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned columns (combining accents such as v̇ take no width)."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(" " * (w - _width(c)) + c for c, w in zip(cells, widths, strict=True))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def section(title: str) -> None:
    print(f"\n{title}\n{'=' * len(title)}")


# ---------------------------------------------------------------------------------------------
# The sections


def evaluation_trace(checks: Checks) -> None:
    section("1. f(x1, x2) = x1*x2 + exp(x1*x2) - sin(x2), written as its evaluation trace")
    jaxpr = ft.make_jaxpr(f)(X1, X2)
    print(jaxpr)
    checks.true("the jaxpr is the five equations of SPEC §4", str(jaxpr) == SPEC_JAXPR)
    value = f(X1, X2)
    print(f"f({X1}, {X2}) = {float(value):.12f}")
    checks.close("value", value, X1 * X2 + np.exp(X1 * X2) - np.sin(X2))


def forward_and_reverse(checks: Checks) -> None:
    section(f"2. Primal trace, forward tangents for ẋ = (1, 0), reverse adjoints, "
            f"at ({X1}, {X2})")
    v = [float(x) for x in primal_trace(X1, X2)]
    # Forward mode: push the tangent (1, 0) through every intermediate at once.
    _, dots = ft.jvp(primal_trace, (X1, X2), (1.0, 0.0))
    v_dot = [float(d) for d in dots]
    # Reverse mode: one backward sweep gives the adjoint of every intermediate.
    v_bar = [float(b) for b in ft.grad(f_perturbed, argnums=2)(X1, X2, np.zeros(7))]

    v_ref, dot_ref, bar_ref = (chapter_primals(X1, X2), chapter_tangents(v, 1.0, 0.0),
                               chapter_adjoints(v))
    rows = [[f"{i + 1}", f"{v[i]:.9f}", f"{v_dot[i]:.9f}", f"{dot_ref[i]:.9f}",
             f"{v_bar[i]:.9f}", f"{bar_ref[i]:.9f}"] for i in range(7)]
    print(table(["i", "v_i", "v̇_i (functrace)", "v̇_i (chapter)", "v̄_i (functrace)",
                 "v̄_i (chapter)"], rows))
    print("(the chapter's line for v̄2 reads v̄2 = v̄2·v1 + v̄4·cos(v2); the adjoint is "
          "v̄2 = v̄3·v1 + v̄4·cos(v2), and v̄1 = v̄3·v2)")
    checks.close("primal trace v1..v7 = the chapter's", v, v_ref)
    checks.close("tangents v̇1..v̇7 = the chapter's tangent equations", v_dot, dot_ref)
    checks.close("adjoints v̄7..v̄1 = the chapter's adjoint equations", v_bar, bar_ref)

    grads = ft.grad(f, argnums=(0, 1))(X1, X2)
    _, f_dot = ft.jvp(f, (X1, X2), (1.0, 0.0))
    checks.close("grad(f) = (v̄1, v̄2)", grads, v_bar[:2])
    checks.close("forward v̇7 = reverse v̄1 = ∂f/∂x1", [f_dot, v_dot[6]], [v_bar[0]] * 2)
    _, f_lin = ft.linearize(f, X1, X2)
    checks.close("linearize(f) reuses the trace: f_jvp(0, 1) = v̄2", f_lin(0.0, 1.0), v_bar[1])


def one_liner(checks: Checks) -> None:
    section("3. The one-liner x1*x2 + exp(x1*x2) - sin(x2) traces what it computes")
    jaxpr = ft.make_jaxpr(f_one_liner)(X1, X2)
    print(jaxpr)
    names = [e.primitive.name for e in jaxpr.eqns]
    checks.true("six equations: mul mul exp add sin sub",
                names == ["mul", "mul", "exp", "add", "sin", "sub"], " ".join(names))
    checks.close("same value and gradient as the trace form",
                 [f_one_liner(X1, X2), *ft.grad(f_one_liner, argnums=(0, 1))(X1, X2)],
                 [f(X1, X2), *ft.grad(f, argnums=(0, 1))(X1, X2)])


def single_layer(checks: Checks, rng: np.random.Generator) -> None:
    section("4. Single layer: y_k = Σ_i w_ki x_i, E = ½ Σ_k (y_k - t_k)², "
            "∂E/∂w_ji = (y_j - t_j) x_i")
    w, x, t = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)

    def error(w: Any) -> Any:
        y = w @ x
        return 0.5 * fnp.sum((y - t) ** 2)

    by_formula = np.outer(w @ x - t, x)
    by_grad = ft.grad(error)(w)
    print("∂E/∂w by grad:\n", np.array2string(by_grad, precision=6))
    checks.close("grad(E) = (y - t) xᵀ", by_grad, by_formula)


def general_network(checks: Checks, rng: np.random.Generator) -> None:
    section("5. General network: a_j = Σ_i w_ji z_i, z_j = h(a_j), "
            "δ_j = h'(a_j) Σ_k w_kj δ_k, ∂E/∂w_ji = δ_j z_i")
    w1, w2 = rng.normal(size=(5, 4)) * 0.5, rng.normal(size=(3, 5)) * 0.5
    x, t = rng.normal(size=4), rng.normal(size=3)

    def error(w1: Any, w2: Any) -> Any:
        z = fnp.tanh(w1 @ x)  # hidden layer, h = tanh
        y = w2 @ z  # linear output layer
        return 0.5 * fnp.sum((y - t) ** 2)

    # Backpropagation by hand, the chapter's recursion.
    a = w1 @ x
    z = np.tanh(a)
    delta_k = w2 @ z - t  # output units: δ_k = y_k - t_k
    delta_j = (1 - np.tanh(a) ** 2) * (w2.T @ delta_k)  # δ_j = h'(a_j) Σ_k w_kj δ_k
    g1, g2 = ft.grad(error, argnums=(0, 1))(w1, w2)
    rows = [[f"{j}", f"{delta_j[j]:.9f}", f"{g1[j, 0] / x[0]:.9f}"] for j in range(5)]
    print(table(["j", "δ_j (recursion)", "∂E/∂w_j0 / x_0 (grad)"], rows))
    checks.close("∂E/∂w_ji = δ_j x_i (first layer)", g1, np.outer(delta_j, x))
    checks.close("∂E/∂w_kj = δ_k z_j (output layer)", g2, np.outer(delta_k, z))


def numerical(checks: Checks, rng: np.random.Generator) -> None:
    section("6. Numerical differentiation: (E(w + ε) - E(w - ε)) / 2ε, a check, at O(W²)")
    checks.close("central differences on f", numerical_jacobian(f, X1, X2, argnums=(0, 1)),
                 ft.grad(f, argnums=(0, 1))(X1, X2), rtol=1e-8, atol=1e-8)
    w, x = rng.normal(size=(6, 8)) * 0.4, rng.normal(size=8)
    calls = [0]

    def error(w: Any) -> Any:
        calls[0] += 1
        return 0.5 * fnp.sum(fnp.tanh(w @ x) ** 2)

    numeric = numerical_jacobian(error, w)
    n_numeric, calls[0] = calls[0], 0
    exact = ft.grad(error)(w)
    print(f"W = {w.size} weights: central differences evaluated E {n_numeric} times "
          f"(2W, each O(W): O(W²) in all); grad ran it {calls[0]} time, then one backward "
          "sweep (O(W))")
    checks.close("central differences = grad on a tanh layer", numeric, exact, rtol=1e-7,
                 atol=1e-9)


def jacobians(checks: Checks) -> None:
    section("7. Forward vs reverse: a Jacobian column by column (jacfwd) or row by row (jacrev)")

    def g(x: Any) -> Any:  # D = 3 inputs, K = 2 outputs
        return fnp.stack([x[0] * x[1] + fnp.exp(x[0] * x[1]) - fnp.sin(x[1]),
                          fnp.sum(fnp.tanh(x) * x[2])])

    x = np.array([X1, X2, -0.3])
    j_fwd, j_rev = ft.jacfwd(g)(x), ft.jacrev(g)(x)
    print(np.array2string(j_fwd, precision=6))
    checks.close("jacfwd = jacrev", j_fwd, j_rev)
    checks.close("row 0 = ∇f of section 2", j_fwd[0, :2], ft.grad(f, argnums=(0, 1))(X1, X2))


def main() -> int:
    checks = Checks()
    rng = np.random.default_rng(0)
    evaluation_trace(checks)
    forward_and_reverse(checks)
    one_liner(checks)
    single_layer(checks, rng)
    general_network(checks, rng)
    numerical(checks, rng)
    jacobians(checks)
    print()
    if checks.failed:
        print(f"FAILED: {len(checks.failed)} of {checks.count} checks: "
              + "; ".join(checks.failed))
        return 1
    print(f"All {checks.count} checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
