"""JAX's device queries, for code written against ``jax``: functrace computes with NumPy in this
process, so there is one device, the host's CPU, and one process.

>>> import functrace as ft
>>> ft.devices()
[CpuDevice(id=0)]
>>> ft.device_count(), ft.default_backend(), ft.process_index()
(1, 'cpu', 0)
"""

from __future__ import annotations

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
