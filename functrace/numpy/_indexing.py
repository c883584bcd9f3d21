"""Indexing of traced arrays (``x[1:, None, ::2]``, integer arrays, boolean masks)."""

from __future__ import annotations

from typing import Any


def getitem(a: Any, index: Any) -> Any:
    """``a[index]`` with NumPy's basic and advanced indexing."""
    raise NotImplementedError("indexing traced arrays is not implemented yet")
