"""Every GitHub Actions workflow passes check-jsonschema and zizmor, offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def _tool(name: str) -> str:
    """Return the venv's copy of a console script, else the one on ``PATH``."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is in the test extra)")
    return found


def _check(argv: list[str]) -> None:
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{argv}\n{result.stdout}\n{result.stderr}"


def test_there_are_workflows() -> None:
    assert FILES, f"no workflow files in {WORKFLOWS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_workflow_matches_github_schema(path: Path) -> None:
    schema = ["--builtin-schema", "vendor.github-workflows"]
    _check([sys.executable, "-m", "check_jsonschema", *schema, str(path)])


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_workflow_has_no_zizmor_findings(path: Path) -> None:
    _check([_tool("zizmor"), "--offline", "--no-progress", str(path)])
