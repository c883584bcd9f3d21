"""``jax.scipy``'s counterparts: :mod:`functrace.scipy.special` and :mod:`functrace.scipy.stats`."""

from functrace.scipy import special, stats

__all__ = ["special", "stats"]
