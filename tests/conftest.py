"""Test configuration: hypothesis profiles.

``ci`` (the default) is derandomized, so a run is reproducible and CI never flakes on a new
random draw; failures print a reproduction blob.  ``dev`` draws fresh examples each run:
``HYPOTHESIS_PROFILE=dev python -m pytest tests``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# The tables (cases.py, programs.py) are imported by name from the test modules.
sys.path.insert(0, str(Path(__file__).parent))

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("dev", derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
