"""Shared fixtures and hypothesis profiles.

Profiles: ``dev`` (the default: quick), ``ci`` (more examples, no deadline), selected with
``HYPOTHESIS_PROFILE``. ``STATUSKIT_FULL=1`` turns on the full profile of the process tests
(for example 200+ SIGKILLs instead of a quicker sample).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def status_path(tmp_path: Path) -> Path:
    """A path for a status file in a fresh folder."""
    return tmp_path / "plan" / "status.json"
