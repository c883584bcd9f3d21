"""JAX's device queries (``ft.devices()`` …): one CPU device in one process."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft


def test_one_cpu_device() -> None:
    (device,) = ft.devices()
    assert ft.local_devices() == [device] and ft.devices("cpu") == [device]
    assert (device.id, device.platform, device.device_kind, device.process_index) == (
        0, "cpu", "cpu", 0)
    assert repr(device) == "CpuDevice(id=0)" and str(device) == "cpu:0"
    assert isinstance(device, ft.Device)
    assert ft.device_count() == ft.local_device_count() == ft.process_count() == 1
    assert ft.default_backend() == "cpu"
    assert ft.process_index() == ft.host_id() == 0 and ft.process_indices() == [0]
    assert ft.host_count() == 1 and ft.host_ids() == [0]


def test_device_put_on_the_device() -> None:
    out = ft.device_put({"a": [1.0, 2.0], "b": 3}, ft.devices()[0])  # leaves become arrays
    assert all(isinstance(v, np.ndarray) for v in (*out["a"], out["b"]))
    np.testing.assert_array_equal(out["a"], [1.0, 2.0])


@pytest.mark.parametrize("call", [
    lambda: ft.devices("gpu"), lambda: ft.device_count("tpu"), lambda: ft.local_devices(
        backend="cuda"), lambda: ft.process_index("gpu")])
def test_other_backends_are_refused(call: Any) -> None:
    with pytest.raises(RuntimeError, match="Unknown backend"):
        call()


def test_other_processes_are_refused() -> None:
    with pytest.raises(ValueError, match="process_index 1"):
        ft.local_devices(process_index=1)
