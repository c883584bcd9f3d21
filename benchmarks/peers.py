"""Lazy, cached imports of functrace and of the peer libraries.

Each accessor returns the modules a workload needs or raises :class:`Unavailable` when the
library is not installed, which the runner turns into a "skipped" row. Any other import failure
(a broken install, a half-written functrace) propagates and is reported as an ERROR row.

JAX is configured here, before its first import: CPU only (``JAX_PLATFORMS=cpu``) and 64-bit
types enabled, so float64 workloads really run in float64 (float32 inputs stay float32).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import os
from types import ModuleType
from typing import Any

__all__ = [
    "Unavailable",
    "autograd",
    "functrace",
    "jax",
    "to_numpy",
    "torch",
    "versions",
]


class Unavailable(Exception):
    """A library a row needs is not installed; the row is skipped."""


def _import(name: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only "the package itself is missing" means unavailable; a missing dependency of an
        # installed package is a real error worth reporting.
        if exc.name == package:
            raise Unavailable(f"{package} not installed") from exc
        raise


@functools.cache
def functrace() -> tuple[Any, Any]:
    """``(functrace, functrace.numpy)``."""
    ft = _import("functrace", "functrace")
    fnp = importlib.import_module("functrace.numpy")
    return ft, fnp


@functools.cache
def jax() -> tuple[Any, Any]:
    """``(jax, jax.numpy)`` on the CPU with x64 enabled."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    jax_mod = _import("jax", "jax")
    jax_mod.config.update("jax_enable_x64", True)
    jnp = importlib.import_module("jax.numpy")
    return jax_mod, jnp


@functools.cache
def autograd() -> tuple[Any, Any]:
    """``(autograd, autograd.numpy)``."""
    ag = _import("autograd", "autograd")
    anp = importlib.import_module("autograd.numpy")
    return ag, anp


@functools.cache
def torch() -> Any:
    """``torch`` with ``torch.func`` loaded."""
    torch_mod = _import("torch", "torch")
    importlib.import_module("torch.func")
    return torch_mod


def to_numpy(x: Any) -> Any:
    """Convert a peer's array (torch tensor, JAX array, NumPy scalar) to a NumPy array."""
    import numpy as np

    detach = getattr(x, "detach", None)
    if callable(detach):  # torch.Tensor
        return detach().cpu().numpy()
    return np.asarray(x)


_DISTRIBUTIONS = {
    "numpy": "numpy",
    "functrace": "functrace",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "autograd": "autograd",
    "torch": "torch",
}


def versions() -> dict[str, str]:
    """Installed versions (without importing the heavy libraries)."""
    out: dict[str, str] = {}
    for label, dist in _DISTRIBUTIONS.items():
        try:
            out[label] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[label] = "not installed"
    if out["functrace"] == "not installed" and importlib.util.find_spec("functrace") is not None:
        out["functrace"] = "source checkout (not pip-installed)"
    return out
