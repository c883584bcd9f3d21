"""``jax.scipy``'s counterparts: :mod:`functrace.scipy.special`, :mod:`functrace.scipy.stats`,
:mod:`functrace.scipy.linalg`, :mod:`functrace.scipy.signal` and
:mod:`functrace.scipy.integrate`."""

from functrace.scipy import integrate, linalg, signal, special, stats

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
