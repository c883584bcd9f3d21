"""``jax.config``'s few options that mean something for a NumPy library, so that code (and
test suites) written for JAX run unchanged.

functrace follows NumPy's dtypes: float64 by default, float32 kept as float32.  That is JAX
with ``jax_enable_x64`` on, so ``config.update("jax_enable_x64", True)`` is accepted and does
nothing; turning it off (JAX's float32 default) is refused with a ``ValueError``, since
functrace cannot give JAX's 32-bit results.  ``jax_disable_jit`` switches ``jit`` off like the
``disable_jit()`` context manager; ``jax_platform_name`` / ``jax_platforms`` accept ``"cpu"``.
Any other name raises ``AttributeError``, as JAX does for an unknown option.

>>> import functrace as ft
>>> ft.config.update("jax_enable_x64", True)
>>> ft.config.jax_enable_x64
True
"""

from __future__ import annotations

from typing import Any

from functrace.interpreters import jit as _jit

__all__ = ["config"]


class Config:
    """The options object, ``functrace.config`` (the same as ``functrace.config.config``)."""

    _platforms = ("cpu", "", None)

    def update(self, name: str, value: Any) -> None:
        """Set option ``name`` to ``value``.

        Raises:
          AttributeError: ``name`` is not an option functrace knows.
          ValueError: a value functrace cannot honour (``jax_enable_x64=False``, a platform
            other than the CPU).
        """
        if name == "jax_enable_x64":
            if not value:
                raise ValueError("functrace follows NumPy's dtypes (float64 by default, as JAX "
                                 "with jax_enable_x64=True); jax_enable_x64=False is not "
                                 "supported. Convert inputs with .astype(np.float32) to "
                                 "compute in float32.")
        elif name == "jax_disable_jit":
            _jit._jit_disabled.default = bool(value)
        elif name in ("jax_platform_name", "jax_platforms"):
            if value not in self._platforms:
                raise ValueError(f"functrace runs on the CPU (NumPy) only; {name}={value!r} is "
                                 "not supported, use 'cpu'.")
        else:
            raise AttributeError(f"Unrecognized config option: {name} (functrace knows "
                                 "jax_enable_x64, jax_disable_jit, jax_platform_name and "
                                 "jax_platforms).")

    @property
    def jax_enable_x64(self) -> bool:
        return True

    @property
    def jax_disable_jit(self) -> bool:
        return _jit._jit_disabled.get()

    def read(self, name: str) -> Any:
        """The value of option ``name``."""
        if name in ("jax_enable_x64", "jax_disable_jit"):
            return getattr(self, name)
        if name in ("jax_platform_name", "jax_platforms"):
            return "cpu"
        raise AttributeError(f"Unrecognized config option: {name}.")


config = Config()
update = config.update
read = config.read
