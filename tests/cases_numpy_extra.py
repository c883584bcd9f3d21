"""Rows of the primitive table (same format as ``tests/cases.py``) for the ``functrace.numpy``
functions written on existing primitives (composites).
"""

from __future__ import annotations

from cases import Case

NUMPY_EXTRA_CASES: list[Case] = []
