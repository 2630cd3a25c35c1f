"""The oversight indicator tests' hand-made rows, reused so both computations see the same data."""

from gridgov.oversight.tests.conftest import (  # noqa: F401 (pytest fixtures)
    make_callback,
    make_case,
    make_task,
    posts_held_since_2025,
)
