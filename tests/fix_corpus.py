"""pytest plugin: the shared schema corpus, ``../shared/corpus`` beside the repository.

- ``corpus`` (session): its directory. Missing, it skips the test, or fails it
  under ``CI=true`` unless ``SEQCHECK_SHARED_OPTIONAL`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.corpus import CORPUS
from tests.fix_server import IN_CI

__all__ = ["corpus"]


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus directory, ``../shared/corpus`` beside the repository."""
    if not (CORPUS / "README.md").is_file() or not (CORPUS / "expected").is_dir():
        reason = f"corpus not found: no {CORPUS} (../shared/corpus beside the repo)"
        if IN_CI and not os.environ.get("SEQCHECK_SHARED_OPTIONAL"):
            pytest.fail(f"{reason}; CI=true needs it", pytrace=False)
        pytest.skip(reason)
    return CORPUS
