"""Edges: another schema, identity columns, a renamed key column, a taken name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
import pytest

from seqcheck.pipeline import scan_connection
from tests.alembic.project import Project

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fix_server import TestDB

HEAD = """\
from __future__ import annotations

from sqlalchemy import ForeignKey, Identity, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass

"""


def clean(project: Project) -> None:
    with psycopg.connect(project.db.dsn) as conn:
        assert scan_connection(conn).drift.findings == ()
    project.check()


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def project(tmp_path: Path, db: TestDB) -> Project:
    return Project.copy(tmp_path, db, fresh=True)


def test_tables_in_another_schema(project: Project) -> None:
    env = project.root / "migrations" / "env.py"
    env.write_text(
        env.read_text().replace(
            "autogenerate_plugins=PLUGINS,",
            "autogenerate_plugins=PLUGINS,\n            include_schemas=True,",
        )
    )
    project.run_sql("CREATE SCHEMA app")
    body = """
class Marathon(Base):
    __tablename__ = "marathon"
    __table_args__ = {"schema": "app"}
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
"""
    project.write_models(HEAD + body)
    project.revision("first", "0001")
    project.upgrade()
    project.write_models(
        HEAD + body.replace("Marathon", "Snickers").replace('"marathon"', '"snickers"')
    )
    text = flat(project.revision("snickers", "0002"))
    assert flat('op.rename_table("marathon", "snickers", schema="app")') in text
    assert flat('rename_index("marathon_pkey", "snickers_pkey", schema="app")') in text
    assert "create_table" not in text
    project.upgrade()
    assert {"snickers_pkey", "snickers_name_key", "snickers_id_seq"} <= {
        str(row[0])
        for row in project.rows(
            "SELECT relname FROM pg_class WHERE relnamespace = 'app'::regnamespace"
        )
    }
    clean(project)


def test_identity_and_a_renamed_key_column(project: Project) -> None:
    body = """
class Marathon(Base):
    __tablename__ = "marathon"
    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    serial_no: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
"""
    project.write_models(HEAD + body)
    project.revision("first", "0001")
    project.upgrade()
    project.run_sql("INSERT INTO marathon (serial_no, name) VALUES (1, 'a'), (2, 'b')")
    renamed = body.replace("Marathon", "Snickers").replace('"marathon"', '"snickers"')
    project.write_models(HEAD + renamed.replace("    id:", "    bar_id:"))
    text = flat(project.revision("snickers", "0002"))
    assert flat('rename_sequence("marathon_id_seq", "snickers_bar_id_seq")') in text
    assert flat('op.alter_column("snickers", "id", new_column_name="bar_id")') in text
    project.upgrade()
    project.run_sql("INSERT INTO snickers (serial_no, name) VALUES (3, 'c')")
    assert project.rows("SELECT max(bar_id) FROM snickers") == [(3,)]
    clean(project)


def test_a_taken_name_gets_collision_digits(project: Project) -> None:
    body = """
class Marathon(Base):
    __tablename__ = "marathon"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class Odd(Base):
    __tablename__ = "snickers_pkey"
    id: Mapped[int] = mapped_column(primary_key=True)
    marathon_id: Mapped[int | None] = mapped_column(ForeignKey("marathon.id"))
"""
    project.write_models(HEAD + body)
    project.revision("first", "0001")
    project.upgrade()
    renamed = body.replace("class Marathon", "class Snickers")
    renamed = renamed.replace('"marathon"', '"snickers"').replace(
        '"marathon.id"', '"snickers.id"'
    )
    project.write_models(HEAD + renamed)
    text = flat(project.revision("snickers", "0002"))
    assert flat('op.rename_index("marathon_pkey", "snickers_pkey1")') in text
    project.upgrade()
    clean(project)


def test_a_column_rename_in_a_table_with_nothing_else(project: Project) -> None:
    """Too small to be similar to itself after the rename: still a column rename."""
    body = """
class Bar(Base):
    __tablename__ = "bar"
    id: Mapped[int] = mapped_column(primary_key=True)
    weight_g: Mapped[int | None]
"""
    project.write_models(HEAD + body)
    project.revision("first", "0001")
    project.upgrade()
    project.run_sql("INSERT INTO bar (weight_g) VALUES (58)")
    project.write_models(HEAD + body.replace("weight_g", "grams"))
    text = flat(project.revision("grams", "0002"))
    assert flat('op.alter_column("bar", "weight_g", new_column_name="grams")') in text
    assert "drop_column" not in text.split("defdowngrade")[0]
    project.upgrade()
    assert project.rows("SELECT grams FROM bar") == [(58,)]
    clean(project)


def test_a_name_the_model_gives_by_hand_wins(project: Project) -> None:
    body = """
class Marathon(Base):
    __tablename__ = "marathon"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, index=True)
"""
    project.write_models(HEAD + body)
    project.revision("first", "0001")
    project.upgrade()
    renamed = body.replace("Marathon", "Snickers").replace('"marathon"', '"snickers"')
    renamed = renamed.replace("mapped_column(Text, index=True)", "mapped_column(Text)")
    renamed += '    __table_args__ = (Index("snickers_by_name", "name"),)\n'
    project.write_models(HEAD.replace("Identity,", "Identity, Index,") + renamed)
    text = flat(project.revision("snickers", "0002"))
    assert flat('op.rename_index("ix_marathon_name", "snickers_by_name")') in text
    assert "create_index" not in text.split("defdowngrade")[0]
    project.upgrade()
    clean(project)
