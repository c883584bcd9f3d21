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


# -- pmap over the one device, lax.axis_size --------------------------------------------------


def test_pmap_maps_over_one_member_with_collectives() -> None:
    from functrace import lax

    x = np.array([[1.0, 2.0, 3.0]])
    f = ft.pmap(lambda v: v / lax.psum(v, "i") * lax.axis_size("i"), axis_name="i")
    np.testing.assert_allclose(f(x), np.ones((1, 3)))  # one member: psum(v) is v
    scaled = ft.pmap(lambda v, n: v * n, static_broadcasted_argnums=1)
    np.testing.assert_allclose(scaled(x, 3), 3 * x)
    assert scaled(x, 3).shape == (1, 3)
    np.testing.assert_allclose(ft.pmap(lambda v, w: v * w, in_axes=(0, None))(x, 2.0), 2 * x)
    np.testing.assert_allclose(ft.pmap(lambda v: v.sum(), out_axes=0)(x), [6.0])
    g = ft.grad(lambda v: ft.pmap(lambda u: (u ** 2).sum())(v).sum())(x)
    np.testing.assert_allclose(g, 2 * x)


def test_pmap_refuses_more_members_than_devices() -> None:
    with pytest.raises(ValueError, match="2 members, but there is 1 device"):
        ft.pmap(lambda v: v)(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="Unknown backend"):
        ft.pmap(lambda v: v, backend="gpu")


def test_pmap_matches_jax_on_one_device() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = np.array([[0.5, -1.0, 2.0]])

    def body(lax: Any) -> Any:
        return lambda v: (v - lax.pmean(v, "i")) * lax.axis_index("i") + lax.psum(v, "i")

    from functrace import lax as ft_lax

    ours = ft.pmap(body(ft_lax), axis_name="i")(x)
    theirs = jax.pmap(body(jax.lax), axis_name="i")(x)
    np.testing.assert_allclose(ours, np.asarray(theirs))


def test_axis_size_of_nested_names() -> None:
    from functrace import lax

    def f(v: Any) -> Any:
        return v * lax.axis_size("i") + lax.axis_size(("i", "j"))

    out = ft.vmap(ft.vmap(f, axis_name="j"), axis_name="i")(np.zeros((2, 3)))
    np.testing.assert_array_equal(out, np.full((2, 3), 6.0))
    with pytest.raises(NameError, match="unbound axis name"):
        ft.vmap(lambda v: v * lax.axis_size("k"), axis_name="i")(np.ones(2))
