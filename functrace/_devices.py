"""JAX's device queries and ``pmap``, for code written against ``jax``: functrace computes with
NumPy in this process, so there is one device, the host's CPU, and one process.

>>> import functrace as ft
>>> ft.devices()
[CpuDevice(id=0)]
>>> ft.device_count(), ft.default_backend(), ft.process_index()
(1, 'cpu', 0)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from functrace.api import AxisSpec, vmap
from functrace.interpreters.jit import jit
from functrace.primitives.collectives import axis_size as _named_axis_size

__all__ = [
    "Device",
    "default_backend",
    "device_count",
    "devices",
    "host_count",
    "host_id",
    "host_ids",
    "local_device_count",
    "local_devices",
    "pmap",
    "process_count",
    "process_index",
    "process_indices",
]


class Device:
    """The one device: NumPy on the host CPU (the attributes of a JAX device that code reads)."""

    __slots__ = ()

    id = 0
    platform = "cpu"
    device_kind = "cpu"
    process_index = 0
    host_id = 0
    client = None

    def __repr__(self) -> str:
        return "CpuDevice(id=0)"

    def __str__(self) -> str:
        return "cpu:0"


_CPU = Device()


def _check_backend(backend: object) -> None:
    if backend not in (None, "cpu") and backend is not _CPU:
        raise RuntimeError(
            f"Unknown backend {backend!r}: functrace computes with NumPy on the CPU, whose "
            "backend is 'cpu'."
        )


def devices(backend: str | None = None) -> list[Device]:
    """The devices: ``[CpuDevice(id=0)]``. ``backend`` may be None or ``'cpu'``; another
    (``'gpu'``, ``'tpu'``) raises ``RuntimeError``, as JAX does for a backend it lacks."""
    _check_backend(backend)
    return [_CPU]


def local_devices(process_index: int | None = None, backend: str | None = None
                  ) -> list[Device]:
    """The devices of this process: the same single CPU device."""
    _check_backend(backend)
    if process_index not in (None, 0):
        raise ValueError(f"Unknown process_index {process_index}: there is one process, 0.")
    return [_CPU]


def device_count(backend: str | None = None) -> int:
    """The number of devices: 1."""
    _check_backend(backend)
    return 1


def local_device_count(backend: str | None = None) -> int:
    """The number of devices of this process: 1."""
    _check_backend(backend)
    return 1


def default_backend() -> str:
    """The platform computations run on: ``'cpu'``."""
    return "cpu"


def process_index(backend: str | None = None) -> int:
    """This process's index among the processes of a multi-process run: 0."""
    _check_backend(backend)
    return 0


def process_count(backend: str | None = None) -> int:
    """The number of processes: 1."""
    _check_backend(backend)
    return 1


def process_indices(backend: str | None = None) -> list[int]:
    """The indices of the processes: ``[0]``."""
    _check_backend(backend)
    return [0]


# JAX's older names for the last three.
host_id, host_count, host_ids = process_index, process_count, process_indices


class _PmapAxis:
    """The name of the mapped axis of a ``pmap`` given none (each ``pmap`` its own)."""

    __slots__ = ()


def pmap(fun: Callable[..., Any], axis_name: Hashable | None = None, *,
         in_axes: AxisSpec = 0, out_axes: AxisSpec = 0,
         static_broadcasted_argnums: int | Sequence[int] = (),
         devices: Sequence[Device] | None = None, backend: str | None = None,
         axis_size: int | None = None, donate_argnums: int | Sequence[int] = (),
         global_arg_shapes: Any = None) -> Callable[..., Any]:
    """JAX's ``pmap`` on the one device there is: ``fun`` mapped over an axis of its inputs
    (``vmap`` with ``axis_name``, so the collectives ``lax.psum``... work), compiled with
    ``jit``.  As in JAX, each member of the mapped axis runs on its own device, so the axis
    must have at most ``device_count()`` members, here 1: a longer one raises ``ValueError``
    (``vmap`` maps over any length).  ``static_broadcasted_argnums`` reach ``fun`` as Python
    values, unmapped; ``devices`` and ``backend`` may name the CPU device; ``donate_argnums``
    is accepted and does nothing.

    >>> import numpy as np, functrace as ft
    >>> from functrace import lax
    >>> ft.pmap(lambda x: x / lax.psum(x, "i"), axis_name="i")(np.ones((1, 3)))
    array([[1., 1., 1.]])
    """
    _check_backend(backend)
    for device in devices or ():
        if device is not _CPU:
            raise ValueError(f"pmap: unknown device {device!r}; the one device is {_CPU!r}.")
    if global_arg_shapes is not None:
        raise ValueError("pmap: global_arg_shapes is not supported (there is one process).")
    static = ((static_broadcasted_argnums,) if isinstance(static_broadcasted_argnums, int)
              else tuple(static_broadcasted_argnums))
    name = axis_name if axis_name is not None else _PmapAxis()

    def on_each_device(*args: Any, **kwargs: Any) -> Any:
        members = _named_axis_size(name)
        if members > device_count():
            raise ValueError(
                f"pmap: the mapped axis has {members} members, but there is "
                f"{device_count()} device (functrace computes with NumPy on the host's CPU); "
                "use vmap to map over more.")
        return fun(*args, **kwargs)

    def mapped(*args: Any, **kwargs: Any) -> Any:
        axes = in_axes
        if static:
            positions = {i % len(args) for i in static}
            per_arg = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
            axes = tuple(None if i in positions else a for i, a in enumerate(per_arg))
        return vmap(on_each_device, axes, out_axes, axis_size, name)(*args, **kwargs)

    return jit(mapped, static_argnums=static)

