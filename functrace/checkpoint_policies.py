"""``jax.checkpoint_policies``: the policies ``checkpoint(f, policy=...)`` accepts.

A policy is called as ``policy(prim, *avals, **params)`` for an equation of the checkpointed
function and says whether its output may be saved for the backward pass (True) or must be
recomputed (False).  These are JAX's policies with JAX's signatures; ``offload`` policies, which
move values to host memory on an accelerator, save them (there is only host memory here).

Under reverse mode, :func:`~functrace.checkpoint` keeps its inputs and the outputs of the
equations its policy accepts, and recomputes every other intermediate in the backward pass
(see docs/autodiff.md): ``nothing_saveable`` (the same as ``policy=None``) saves least,
``everything_saveable`` recomputes (almost) nothing.  Values and derivatives are the same
under every policy; memory and time differ.

>>> import functrace as ft
>>> from functrace import checkpoint_policies as cp
>>> f = ft.checkpoint(lambda x: ft.numpy.sin(x) ** 2, policy=cp.dots_saveable)
>>> round(float(ft.grad(f)(0.5)), 6)
0.841471
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "checkpoint_dots", "checkpoint_dots_with_no_batch_dims", "dots_saveable",
    "dots_with_no_batch_dims_saveable", "everything_saveable", "nothing_saveable",
    "offload_dot_with_no_batch_dims", "save_and_offload_only_these_names",
    "save_any_names_but_these", "save_anything_except_these_names", "save_from_both_policies",
    "save_only_these_names",
]

Policy = Callable[..., bool]


def _name_of(prim: Any, params: dict[str, Any]) -> str | None:
    """The name given by ``checkpoint_name`` to an equation's output, if it is one."""
    return params.get("name") if getattr(prim, "name", None) == "name" else None


def everything_saveable(*_: Any, **__: Any) -> bool:
    """Save every intermediate (no recomputation): the default of ``checkpoint`` in JAX is
    the opposite, :func:`nothing_saveable`."""
    return True


def nothing_saveable(*_: Any, **__: Any) -> bool:
    """Recompute every intermediate in the backward pass."""
    return False


def dots_saveable(prim: Any, *_: Any, **__: Any) -> bool:
    """Save the results of matrix products (``dot_general``), recompute the rest."""
    return getattr(prim, "name", None) == "dot_general"


checkpoint_dots = dots_saveable


def dots_with_no_batch_dims_saveable(prim: Any, *_: Any, **params: Any) -> bool:
    """Save the results of matrix products without batch dimensions, recompute the rest."""
    if getattr(prim, "name", None) != "dot_general":
        return False
    (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable


def offload_dot_with_no_batch_dims(offload_src: Any, offload_dst: Any) -> Policy:
    """JAX offloads such products to ``offload_dst`` memory; here they are saved."""
    return dots_with_no_batch_dims_saveable


def save_only_these_names(*names_which_can_be_saved: str) -> Policy:
    """Save only the values named with ``checkpoint_name`` and one of these names."""
    names = set(names_which_can_be_saved)

    def policy(prim: Any, *_: Any, **params: Any) -> bool:
        return _name_of(prim, params) in names

    return policy


def save_anything_except_these_names(*names_not_to_save: str) -> Policy:
    """Save everything except the values named with one of these names."""
    names = set(names_not_to_save)

    def policy(prim: Any, *_: Any, **params: Any) -> bool:
        return _name_of(prim, params) not in names

    return policy


def save_any_names_but_these(*names_not_to_save: str) -> Policy:
    """Save the values named with ``checkpoint_name``, except those with one of these names."""
    names = set(names_not_to_save)

    def policy(prim: Any, *_: Any, **params: Any) -> bool:
        name = _name_of(prim, params)
        return name is not None and name not in names

    return policy


def save_and_offload_only_these_names(*, names_which_can_be_saved: Any,
                                      names_which_can_be_offloaded: Any, offload_src: Any,
                                      offload_dst: Any) -> Policy:
    """Save the values with the first names; JAX offloads those with the second, here they
    are saved too."""
    return save_only_these_names(*names_which_can_be_saved, *names_which_can_be_offloaded)


def save_from_both_policies(policy_1: Policy, policy_2: Policy) -> Policy:
    """Save what either policy saves."""
    def policy(prim: Any, *args: Any, **params: Any) -> bool:
        return bool(policy_1(prim, *args, **params)) or bool(policy_2(prim, *args, **params))

    return policy
