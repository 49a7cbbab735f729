"""The built wheel ships the catalog SQL and works without the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_sql_and_loads_it(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = out.glob("seqcheck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    shipped = {n for n in names if n.startswith("seqcheck/sql/") and n.endswith(".sql")}
    in_tree = {f"seqcheck/sql/{p.name}" for p in (ROOT / "sql").glob("*.sql")}
    assert shipped == in_tree
    assert "seqcheck/rules/sc101_sequence_name.py" in names
    # Run from the unpacked wheel only, away from the source tree's sql/.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    code = (
        "import seqcheck.catalog as c, pathlib;"
        "q = c.load_query('indexes').as_string(None);"
        "assert 'pg_index' in q;"
        "print(pathlib.Path(c.__file__).parent)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == str(tmp_path / "site" / "seqcheck")
