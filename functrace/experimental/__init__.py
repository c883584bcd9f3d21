"""Experimental parts of functrace, as ``jax.experimental``: :mod:`functrace.experimental.ode`
(``odeint``, an adaptive ODE solver with adjoint gradients)."""

from functrace.experimental import ode

__all__ = ["ode"]
