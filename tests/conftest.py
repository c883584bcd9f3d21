"""Test configuration: hypothesis profiles.

``ci`` (the default) is derandomized, so a run is reproducible and CI never flakes on a new
random draw; failures print a reproduction blob.  ``dev`` draws fresh examples each run:
``HYPOTHESIS_PROFILE=dev python -m pytest tests``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The tables (cases.py, programs.py) are imported by name from the test modules.
sys.path.insert(0, str(Path(__file__).parent))

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("dev", derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Undo hypothesis' per-call settings wrapper on parametrized tests.

    Hypothesis' pytest plugin wraps a parametrized test's settings in a new ``settings`` object
    on every call and never unwraps it, so a test with ~1000 parameters (the primitive table's
    ``test_vmap``) builds a chain of settings deep enough to raise ``RecursionError`` (and each
    lookup walks the whole chain).  Restoring the settings after each call keeps it flat.
    """
    fn = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
    saved = getattr(fn, "_hypothesis_internal_use_settings", None)
    yield
    if saved is not None:
        fn._hypothesis_internal_use_settings = saved  # type: ignore[union-attr]
