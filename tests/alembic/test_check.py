"""``seqcheck alembic-check`` and the pytest helper: upgrade, scan, exit 0/1/2."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy.engine import make_url

from seqcheck.alembic.check import assert_migrations_clean, sqlalchemy_url
from tests.alembic.project import EXAMPLE
from tests.cli_run import seqcheck
from tests.test_cli import assert_error

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fix_server import TestDB

HAND_WRITTEN = '''"""marathon is now snickers, renamed by hand

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.rename_table("marathon", "snickers")


def downgrade() -> None:
    op.rename_table("snickers", "marathon")
'''

BROKEN = '''"""a migration that fails

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("CREATE TABLE snickers (id int)")


def downgrade() -> None:
    pass
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_clean_history_exits_0(project: Path) -> None:
    result = seqcheck("alembic-check", "-c", str(project / "alembic.ini"))
    assert result.code == 0, result.err
    assert "No drift in 3 tables." in result.out


def test_a_hand_written_rename_exits_1_with_the_findings(project: Path) -> None:
    (project / "migrations" / "versions" / "0002_hand.py").write_text(HAND_WRITTEN)
    result = seqcheck(
        "alembic-check", "-c", str(project / "alembic.ini"), "--format", "json"
    )
    assert result.code == 1, result.err
    assert '"expected": "snickers_id_seq"' in result.out


def test_a_failing_migration_exits_2_with_alembics_message(project: Path) -> None:
    versions = project / "migrations" / "versions"
    (versions / "0002_hand.py").write_text(HAND_WRITTEN)
    (versions / "0003_broken.py").write_text(BROKEN)
    result = seqcheck("alembic-check", "-c", str(project / "alembic.ini"))
    assert result.code == 2
    # Alembic logs as the project's logging config says; our error comes last.
    assert "Running upgrade 0002 -> 0003" in result.err
    assert result.err.splitlines()[-1] == (
        "seqcheck: error: alembic upgrade head failed in revision 0003:"
        ' (psycopg.errors.DuplicateTable) relation "snickers" already exists'
    )


def test_dsn_migrates_that_database(project: Path, db: TestDB) -> None:
    result = seqcheck(
        "alembic-check", "-c", str(project / "alembic.ini"), "--dsn", db.dsn
    )
    assert result.code == 0, result.err
    with psycopg.connect(db.dsn) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0001",)
        ]


def test_usage_errors_exit_2(project: Path) -> None:
    assert_error(
        seqcheck("alembic-check", "-c", str(project / "missing.ini")),
        "Alembic config",
        "not found",
    )
    assert_error(
        seqcheck("alembic-check", "--dsn", "dbname=x", "--pg-bin", "/usr/bin"),
        "--pg-bin is for the throwaway server",
    )


@pytest.mark.pg(">=18")
def test_the_pytest_helper_passes_and_fails(project: Path, db: TestDB) -> None:
    assert assert_migrations_clean(project / "alembic.ini", dsn=db.dsn) == ()
    (project / "migrations" / "versions" / "0002_hand.py").write_text(HAND_WRITTEN)
    with pytest.raises(AssertionError, match="seqcheck found drift") as caught:
        assert_migrations_clean(project / "alembic.ini", dsn=db.dsn)
    assert "'marathon_pkey' should be 'snickers_pkey'" in str(caught.value)


def test_sqlalchemy_url_keeps_every_connection_parameter() -> None:
    url = make_url(
        sqlalchemy_url("host=/tmp/x port=5433 user=u dbname=d password='p@w:'")
    )
    assert (url.drivername, url.username, url.password, url.database) == (
        "postgresql+psycopg",
        "u",
        "p@w:",
        "d",
    )
    assert dict(url.query) == {"host": "/tmp/x", "port": "5433"}
    url = make_url(sqlalchemy_url("postgresql://u@h:5/d?sslmode=require"))
    assert dict(url.query) == {"host": "h", "port": "5", "sslmode": "require"}
