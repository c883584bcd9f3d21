"""Workload families, one module each; :func:`load` imports them, registering their workloads.

The order of ``FAMILIES`` is the order of the report.
"""

from __future__ import annotations

import importlib

FAMILIES = ("scalar", "chain", "mlp", "tracing", "jacobian", "numdiff", "per_example",
            "control_flow", "conv")


def load() -> None:
    for name in FAMILIES:
        importlib.import_module(f"{__name__}.{name}")
