"""Write tests/random_jax_values.py: jax.random's results for the cases of tests/random_cases.py.

Usage (needs jax, which functrace's tests do not):  python tools/random/gen_jax_values.py

Runs every case with ``jax.random`` under ``jax_enable_x64`` (so that default dtypes are
NumPy's), one call per seed, outside ``jit`` (as a user would call it), and writes the values
(or, for ``DIGEST_CASES``, a SHA-256 of the result's bytes) as Python literals.
"""

from __future__ import annotations

import hashlib
import pathlib
import sys
import textwrap

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from random_cases import (  # noqa: E402
    CASES,
    CLOSE_CASES,
    DIGEST_CASES,
    KERNELS,
    SEEDS,
    canonical_bytes,
    kernel_grid,
)

JAX_KERNELS = {"log": jax.numpy.log, "log1p": jax.numpy.log1p, "erf": jax.lax.erf,
               "erf_inv": jax.lax.erf_inv, "tan": jax.numpy.tan}


def _literal(x: np.ndarray) -> list[str]:
    """The flat values as a list literal, wrapped into lines of at most 100 characters."""
    if x.dtype.kind == "f":
        text = repr([float(v) for v in x.ravel()])
    elif x.dtype.kind == "b":
        text = repr([bool(v) for v in x.ravel()])
    else:
        text = repr([int(v) for v in x.ravel()])
    return textwrap.wrap(text, width=100, initial_indent=" " * 8, subsequent_indent=" " * 9,
                         break_on_hyphens=False)


def main() -> None:
    lines = [
        '"""jax.random\'s results for the cases of tests/random_cases.py (values, and SHA-256',
        "digests of the large ones), written by tools/random/gen_jax_values.py with JAX "
        f"{jax.__version__}",
        '(jax_enable_x64) on an x86-64 CPU.  Do not edit: regenerate."""',
        "",
        "from math import inf, nan  # noqa: F401  (non-finite samples, e.g. binomial's)",
        "",
        "VALUES = {",
    ]
    cases = {**CASES, **{name: case for name, (case, _, _) in CLOSE_CASES.items()}}
    for name, case in cases.items():
        for seed in SEEDS:
            out = np.asarray(case(jax.random, jax.random.PRNGKey(seed)))
            lines.append(f"    ({name!r}, {seed}): ({out.dtype.name!r}, {out.shape!r},")
            body = _literal(out)
            body[-1] += "),"
            lines += body
    lines += ["}", "", "DIGESTS = {"]
    for name, case in DIGEST_CASES.items():
        for seed in SEEDS:
            out = np.asarray(case(jax.random, jax.random.PRNGKey(seed)))
            digest = hashlib.sha256(canonical_bytes(out)).hexdigest()
            lines.append(f"    ({name!r}, {seed}): ({out.dtype.name!r}, {out.shape!r},")
            lines.append(f"        {digest!r}),")
    lines += ["}", "", "KERNEL_DIGESTS = {"]
    for name in KERNELS:
        for dtype in ("float32", "float64"):
            out = np.asarray(jax.jit(JAX_KERNELS[name])(kernel_grid(name, dtype)))
            digest = hashlib.sha256(canonical_bytes(out)).hexdigest()
            lines.append(f"    ({name!r}, {dtype!r}): {digest!r},")
    lines += ["}", ""]
    (ROOT / "tests" / "random_jax_values.py").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
