"""The example project's story, on PostgreSQL 15 and 18: Marathon → Snickers.

Each test copies ``examples/alembic`` into a temp dir, migrates the test
database to the first revision, adds rows, renames in the models, autogenerates
and then checks what issue 8 asks: ``rename_table`` plus the derived renames
and no drop/create, rows and sequence positions kept, ``seqcheck scan`` clean,
``alembic check`` clean, ``--sql`` printing the statements, a revision file that
passes ruff, and ``downgrade`` restoring the old names.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import psycopg
import pytest

from seqcheck.pipeline import scan_connection
from tests.alembic.project import EXAMPLE, ROOT, Project

if TYPE_CHECKING:
    from pathlib import Path

    from seqcheck.findings import Finding
    from tests.fix_server import TestDB

ROWS = "INSERT INTO owner (name) VALUES ('Mars');" + "".join(
    f"INSERT INTO marathon (name, weight_g, owner_id) VALUES ('{n}', {g}, 1);"
    for n, g in (("classic", 58), ("duo", 83), ("mini", 15))
)


def findings(project: Project) -> tuple[Finding, ...]:
    """Return every finding of a seqcheck scan, index-column ones included."""
    with psycopg.connect(project.db.dsn) as conn:
        return scan_connection(conn).drift.findings


def assert_ruff_clean(project: Project, rev_id: str) -> None:
    (path,) = project.versions.glob(f"{rev_id}_*.py")
    for args in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--no-cache", str(path)],
            capture_output=True,
            text=True,
            cwd=project.root,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def sequence_position(project: Project, name: str) -> tuple[object, ...]:
    return project.rows(f"SELECT last_value, is_called FROM {name}")[0]


@pytest.fixture
def project(tmp_path: Path, db: TestDB) -> Project:
    """The example project at its first revision, with three bars."""
    found = Project.copy(tmp_path, db)
    found.upgrade()
    found.run_sql(ROWS)
    return found


def test_renaming_the_model_renames_the_table_and_every_derived_name(
    project: Project,
) -> None:
    before = project.names()
    rows = project.rows("SELECT id, name, weight_g FROM marathon ORDER BY id")
    position = sequence_position(project, "marathon_id_seq")

    project.rename_in_models(("Marathon", "Snickers"), ("marathon", "snickers"))
    text = project.revision("marathon is now snickers", "0002")

    assert 'op.rename_table("marathon", "snickers")' in text
    assert "create_table" not in text
    assert "drop_table" not in text
    assert "import seqcheck.alembic.ops" in text
    assert "# seqcheck: table marathon renamed to snickers (similarity 100%" in text
    for line in (
        'op.rename_sequence("marathon_id_seq", "snickers_id_seq")',
        'op.rename_index("marathon_pkey", "snickers_pkey")',
        'op.rename_index("marathon_name_key", "snickers_name_key")',
        'op.rename_index("ix_marathon_owner_id", "ix_snickers_owner_id")',
        '"snickers", "marathon_owner_id_fkey", "snickers_owner_id_fkey"',
        '"snickers", "marathon_weight_g_check", "snickers_weight_g_check"',
    ):
        assert line in text, line
    if project.db.server.major >= 18:
        assert '"marathon_name_not_null", "snickers_name_not_null"' in text
    else:
        assert "not_null" not in text
    assert 'op.rename_table("snickers", "marathon")' in text  # downgrade()
    assert_ruff_clean(project, "0002")

    sql = project.sql("0001:0002")
    assert "ALTER TABLE marathon RENAME TO snickers;" in sql
    assert 'ALTER SEQUENCE "marathon_id_seq" RENAME TO "snickers_id_seq";' in sql
    assert 'ALTER INDEX "marathon_pkey" RENAME TO "snickers_pkey";' in sql
    assert (
        'ALTER TABLE "snickers" RENAME CONSTRAINT "marathon_owner_id_fkey"'
        ' TO "snickers_owner_id_fkey";'
    ) in sql

    project.upgrade()
    assert project.rows("SELECT id, name, weight_g FROM snickers ORDER BY id") == rows
    assert sequence_position(project, "snickers_id_seq") == position
    assert not any("marathon" in name for name in project.names())
    assert findings(project) == ()
    project.check()

    project.downgrade()
    assert project.names() == before
    assert project.rows("SELECT id, name, weight_g FROM marathon ORDER BY id") == rows
    assert sequence_position(project, "marathon_id_seq") == position
    assert findings(project) == ()
    project.rename_in_models(("Snickers", "Marathon"), ("snickers", "marathon"))
    for path in project.versions.glob("0002_*.py"):
        path.unlink()
    project.check()  # the old models match the downgraded database


def test_renaming_a_column_renames_it_and_the_names_built_from_it(
    project: Project,
) -> None:
    before = project.names()
    project.rename_in_models(("weight_g", "grams"))
    text = project.revision("grams, not weight_g", "0002")

    assert 'op.alter_column("marathon", "weight_g", new_column_name="grams")' in (
        " ".join(text.split()).replace("( ", "(").replace(" )", ")")
    )
    assert "add_column" not in text
    assert "drop_column" not in text
    assert '"marathon_weight_g_check", "marathon_grams_check"' in text
    assert "# seqcheck: column marathon.weight_g renamed to grams" in text
    assert_ruff_clean(project, "0002")

    project.upgrade()
    assert project.rows("SELECT sum(grams) FROM marathon") == [(156,)]
    assert "marathon_grams_check" in project.names()
    assert findings(project) == ()
    project.check()

    project.downgrade()
    assert project.names() == before
    assert project.rows("SELECT sum(weight_g) FROM marathon") == [(156,)]


def test_other_changes_stay_ordinary_operations_after_the_renames(
    project: Project,
) -> None:
    text = project.models.read_text(encoding="utf-8")
    text = text.replace("Marathon", "Snickers").replace("marathon", "snickers")
    text = text.replace("weight_g", "grams")
    text += "    launched: Mapped[int | None]\n"
    project.write_models(text)
    text = project.revision("snickers, grams, launched", "0002")

    upgrade = text.split("def downgrade")[0]
    assert upgrade.index('op.rename_table("marathon", "snickers")') < upgrade.index(
        "op.add_column("
    )
    assert 'sa.Column("launched", sa.Integer(), nullable=True)' in upgrade
    assert "new_column_name" in upgrade
    assert "create_table" not in text
    assert "drop_column" in text.split("def downgrade")[1]

    project.upgrade()
    assert findings(project) == ()
    project.check()
    project.downgrade()
    assert findings(project) == ()


def _upgrade_block(markdown: str) -> list[str]:
    """Return the lines of the first ``def upgrade`` code block in *markdown*."""
    start = markdown.index("```python\ndef upgrade() -> None:")
    block = markdown[start:].split("```")[1]
    return block.removeprefix("python\n").strip("\n").splitlines()


@pytest.mark.pg(">=18")
def test_the_readmes_show_what_autogenerate_writes(project: Project) -> None:
    project.rename_in_models(("Marathon", "Snickers"), ("weight_g", "grams"))
    text = project.models.read_text(encoding="utf-8")
    project.write_models(text.replace('"marathon"', '"snickers"'))
    revision = project.revision("marathon is now snickers", "0002")
    upgrade = revision[revision.index("def upgrade") :].split("\n\n\n")[0]
    lines = upgrade.strip("\n").splitlines()

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _upgrade_block(readme) == lines

    example = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    shown = _upgrade_block(example)
    assert [s for s in shown if "# seqcheck:" not in s] == [
        s for s in lines if "# seqcheck:" not in s
    ]
    assert [s.split("(similarity")[0] for s in shown if "# seqcheck:" in s] == [
        s.split("(similarity")[0] for s in lines if "# seqcheck:" in s
    ]


def test_names_alembic_does_not_model_are_renamed_too(project: Project) -> None:
    """Statistics, exclusion constraints, SQL-made indexes and their columns."""
    project.run_sql(
        "CREATE INDEX ON marathon (owner_id, weight_g);"
        "CREATE STATISTICS marathon_name_weight_g_stat ON name, weight_g FROM marathon;"
        "ALTER TABLE marathon ADD EXCLUDE USING btree (owner_id WITH =, name WITH =);"
    )
    project.rename_in_models(("Marathon", "Snickers"), ("weight_g", "grams"))
    text = project.models.read_text(encoding="utf-8")
    project.write_models(text.replace('"marathon"', '"snickers"'))
    revision = project.revision("snickers", "0002")
    text = "".join(revision.split())

    for expected in (
        'rename_index("marathon_owner_id_weight_g_idx", "snickers_owner_id_grams_idx")',
        'rename_index_column("snickers_owner_id_grams_idx", "weight_g", "grams")',
        'rename_statistics("marathon_name_weight_g_stat", "snickers_name_grams_stat")',
        'rename_index("marathon_owner_id_name_excl", "snickers_owner_id_name_excl")',
    ):
        assert "".join(expected.split()) in text, revision
    project.upgrade()
    assert findings(project) == ()
