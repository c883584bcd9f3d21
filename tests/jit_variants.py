"""Cross any test with the placement of ``jit``: none, around the transformation, inside it.

Every transformation must give the same answer whether or not ``jit`` is wrapped around the
function it transforms (``grad(jit(f))``) or around the transformed function
(``jit(grad(f))``).  Test modules reuse their own checks for all three placements::

    from jit_variants import jit_placement, place_jit  # noqa: F401  (jit_placement: a fixture)

    def test_grad_matches(jit_placement):
        g = place_jit(ft.grad, f, jit_placement)      # grad(f), jit(grad(f)) or grad(jit(f))
        ...

or with extra arguments to the transformation: ``place_jit(ft.grad, f, placement, argnums=1)``.
``PLACEMENTS`` lists the placements for ``pytest.mark.parametrize``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import functrace as ft

PLACEMENTS = ("plain", "jit outside", "jit inside")


def place_jit(transform: Callable[..., Callable[..., Any]], f: Callable[..., Any],
              placement: str, **kwargs: Any) -> Callable[..., Any]:
    """``transform(f, **kwargs)`` with ``jit`` placed as ``placement`` says (``PLACEMENTS``)."""
    if placement == "plain":
        return transform(f, **kwargs)
    if placement == "jit outside":
        return ft.jit(transform(f, **kwargs))
    if placement == "jit inside":
        return transform(ft.jit(f), **kwargs)
    raise ValueError(f"unknown jit placement {placement!r}; expected one of {PLACEMENTS}")


@pytest.fixture(params=PLACEMENTS)
def jit_placement(request: pytest.FixtureRequest) -> str:
    """Each placement of ``jit`` in turn (use with :func:`place_jit`)."""
    return str(request.param)
