"""Rows of the primitive table (same format as ``tests/cases.py``) for the matrix
decompositions of ``functrace.numpy.linalg``.
"""

from __future__ import annotations

from cases import Case

DECOMPOSITION_CASES: list[Case] = []
