from __future__ import annotations

import pytest
from django.utils import timezone

from benchmarks.generate import GenerationReport, generate_group
from benchmarks.shapes import SHAPES

# History is built around a day; upcoming sessions must lie ahead of the real clock.
TODAY = timezone.localdate()


@pytest.fixture
def tiny_group(db) -> GenerationReport:
    return generate_group(SHAPES["tiny"], seed=3, today=TODAY)


@pytest.fixture
def committed_tiny_group(transactional_db) -> GenerationReport:
    """The tiny group committed, as the benchmark's own database holds it."""
    return generate_group(SHAPES["tiny"], seed=3, today=TODAY)
