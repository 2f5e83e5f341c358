"""Shared test fixtures."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MTAGBENCH_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """Folder of real CMU-MOSI files (``$MTAGBENCH_TEST_DATA``); tests using it skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real CMU-MOSI files not found at {SHARED_DATA}")
    return SHARED_DATA
