"""``fix --format alembic``: a revision file that passes ruff and runs under Alembic.

A minimal Alembic environment in a temp dir (``alembic.ini``, ``env.py``
connecting to the test database) gets the file seqcheck writes;
``alembic upgrade head`` must leave exactly the names ``fix --apply`` gives
a copy of the database (same OIDs), and ``alembic downgrade -1`` the names
from before. Hostile names (quotes, ``:``, ``%``, newlines, emoji) go through
SQLAlchemy's ``text()`` unharmed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seqcheck.render import FORMATS
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, copy_database, run_sql
from tests.render.hostile import hostile_report, match_snapshot
from tests.test_apply import STORY, State, state
from tests.test_cli import HOSTILE

ENV_PY = """
import psycopg
from alembic import context
from sqlalchemy import create_engine

DSN = {dsn!r}

engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(DSN))
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""

FIRST = '''"""An earlier revision."""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def alembic_env(where: Path, dsn: str) -> Path:
    """Write a minimal Alembic project migrating *dsn*; return its versions dir."""
    (where / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\n", encoding="utf-8"
    )
    versions = where / "migrations" / "versions"
    versions.mkdir(parents=True)
    (where / "migrations" / "env.py").write_text(
        ENV_PY.format(dsn=dsn), encoding="utf-8"
    )
    return versions


def alembic(where: Path, *args: str) -> None:
    """Run the real ``alembic`` command line in *where*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "alembic.ini", *args],
        cwd=where,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def ruff(path: Path, *args: str) -> None:
    """Run ruff on *path* with its defaults and more (not this project's config)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--isolated", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def assert_ruff_clean(path: Path) -> None:
    ruff(path, "check")
    ruff(path, "check", "--select", "E,W,F,I,UP,B,SIM,RUF,PL,C4,RET")
    ruff(path, "format", "--check")


def ours(dsn: str) -> State:
    """Return the database's state without Alembic's own version table."""
    found = state(dsn)
    return State(
        {
            k: v
            for k, v in found.names.items()
            if not v.startswith("alembic_version") and v != "version_num"
        },
        {k: v for k, v in found.rows.items() if "alembic_version" not in k},
        found.positions,
    )


@pytest.mark.parametrize("schema", [STORY, HOSTILE], ids=["story", "hostile"])
def test_upgrade_gives_the_fixed_names_and_downgrade_the_old(
    db: TestDB, tmp_path: Path, twin: str, schema: str
) -> None:
    run_sql(db.dsn, schema)
    before = state(db.dsn)
    applied = copy_database(db.server, db.name, twin)
    assert seqcheck("fix", applied, "--apply").code == 0
    versions = alembic_env(tmp_path, db.dsn)
    revision = versions / "seqcheck_rename.py"
    written = seqcheck("fix", db.dsn, "-f", "alembic", "-o", str(revision))
    assert (written.code, written.err) == (1, ""), written
    assert_ruff_clean(revision)
    text = revision.read_text(encoding="utf-8")
    assert "down_revision = None" in text
    assert "seqcheck fix --format alembic" in text

    alembic(tmp_path, "upgrade", "head")
    upgraded = ours(db.dsn)
    assert upgraded.names == state(applied).names
    assert upgraded.rows == before.rows and upgraded.positions == before.positions
    assert seqcheck("scan", db.dsn).code == 0

    alembic(tmp_path, "downgrade", "-1")
    assert ours(db.dsn) == before


def test_revision_ids_chain_onto_an_earlier_revision(
    db: TestDB, tmp_path: Path
) -> None:
    run_sql(db.dsn, STORY)
    before = state(db.dsn)
    versions = alembic_env(tmp_path, db.dsn)
    (versions / "0001_first.py").write_text(FIRST, encoding="utf-8")
    revision = versions / "0002_seqcheck.py"
    written = seqcheck(
        "fix",
        db.dsn,
        "-f",
        "alembic",
        "--revision",
        "0002",
        "--down-revision",
        "0001",
        "-o",
        str(revision),
    )
    assert written.code == 1, written
    text = revision.read_text(encoding="utf-8")
    assert 'revision = "0002"\ndown_revision = "0001"\n' in text
    assert "Revision ID: 0002\nRevises: 0001\n" in text
    assert_ruff_clean(revision)
    alembic(tmp_path, "upgrade", "head")
    assert seqcheck("scan", db.dsn).code == 0
    alembic(tmp_path, "downgrade", "0001")
    assert ours(db.dsn) == before
    alembic(tmp_path, "upgrade", "0002")
    assert seqcheck("scan", db.dsn).code == 0


def test_the_default_revision_id_is_derived_from_the_statements(db: TestDB) -> None:
    run_sql(db.dsn, STORY)
    first = seqcheck("fix", db.dsn, "-f", "alembic").out
    assert first == seqcheck("fix", db.dsn, "-f", "alembic").out
    (line,) = [x for x in first.splitlines() if x.startswith("revision = ")]
    assert len(line) == len('revision = ""') + 12


def test_hostile_snapshot_passes_ruff(tmp_path: Path) -> None:
    text = FORMATS["alembic"](hostile_report())
    match_snapshot("hostile.alembic.py", text)
    path = tmp_path / "revision.py"
    path.write_text(text, encoding="utf-8")
    assert_ruff_clean(path)
    compile(text, str(path), "exec")
    assert "\\\\:" in text  # a literal backslash before each colon, for text()


def test_nothing_to_rename_is_still_a_revision(tmp_path: Path) -> None:
    text = FORMATS["alembic"](hostile_report(clean=True))
    path = tmp_path / "revision.py"
    path.write_text(text, encoding="utf-8")
    assert_ruff_clean(path)
    assert "nothing to rename" in text
