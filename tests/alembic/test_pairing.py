"""Which drops and creates become renames, in real projects on PostgreSQL 15 and 18.

Several models renamed at once (one a swap of two names), a ``naming_convention``,
unrelated tables that must stay drop + create, and the most similar of two
candidates winning, as git's rename detection does.
"""

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

from sqlalchemy import CheckConstraint, ForeignKey, Index, MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION_HERE


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

"""

PLAIN = "NAMING = {'ix': 'ix_%(column_0_label)s'}\n"
CONVENTION = """\
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""


def models(naming: str, body: str) -> str:
    return HEAD.replace("NAMING_CONVENTION_HERE", naming) + body


SNACKS = """
class Owner(Base):
    __tablename__ = "owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class Marathon(Base):
    __tablename__ = "marathon"
    __table_args__ = (CheckConstraint("weight_g > 0", name="positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    weight_g: Mapped[int | None]
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)


class Sale(Base):
    __tablename__ = "sale"
    id: Mapped[int] = mapped_column(primary_key=True)
    marathon_id: Mapped[int] = mapped_column(ForeignKey("marathon.id"))
    pence: Mapped[int]
"""

PETS = """
class Cat(Base):
    __tablename__ = "cat"
    id: Mapped[int] = mapped_column(primary_key=True)
    cat_name: Mapped[str] = mapped_column(Text, unique=True)
    lives: Mapped[int]


class Dog(Base):
    __tablename__ = "dog"
    id: Mapped[int] = mapped_column(primary_key=True)
    dog_name: Mapped[str] = mapped_column(Text, unique=True)
    barks: Mapped[bool]
    breed: Mapped[str | None] = mapped_column(Text, index=True)


class Owner(Base):
    __tablename__ = "owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
"""


def start(project: Project, text: str, rows: str = "") -> None:
    """Make *text* the models, generate and apply a first revision, add *rows*."""
    project.write_models(text)
    project.revision("first", "0001")
    project.upgrade()
    if rows:
        project.run_sql(rows)


def clean(project: Project) -> None:
    """Assert a clean ``seqcheck scan`` and a clean ``alembic check``."""
    with psycopg.connect(project.db.dsn) as conn:
        assert scan_connection(conn).drift.findings == ()
    project.check()


@pytest.fixture
def project(tmp_path: Path, db: TestDB) -> Project:
    return Project.copy(tmp_path, db, fresh=True)


def test_several_models_renamed_at_once_including_a_swap(project: Project) -> None:
    start(
        project,
        models(PLAIN, PETS),
        "INSERT INTO cat (cat_name, lives) VALUES ('Tom', 9), ('Kit', 7);"
        "INSERT INTO dog (dog_name, barks, breed) VALUES ('Rex', true, 'lab');"
        "INSERT INTO owner (name) VALUES ('Ann');",
    )
    before = project.names()
    swapped = (
        PETS.replace('"cat"', '"TMP"')
        .replace('"dog"', '"cat"')
        .replace('"TMP"', '"dog"')
    )
    swapped = swapped.replace('"owner"', '"person"')
    project.write_models(models(PLAIN, swapped))
    text = project.revision("swap cat and dog, owner is person", "0002")

    assert "create_table" not in text
    assert "drop_table" not in text
    assert 'op.rename_table("owner", "person")' in text
    assert "seqcheck_tmp" in text  # the swap goes through temporary names
    assert "# seqcheck: table cat renamed to dog (similarity 100%" in text
    assert "# seqcheck: table dog renamed to cat (similarity 100%" in text
    project.upgrade()
    assert project.rows("SELECT cat_name, lives FROM dog ORDER BY lives") == [
        ("Kit", 7),
        ("Tom", 9),
    ]
    assert project.rows("SELECT dog_name FROM cat") == [("Rex",)]
    assert {"dog_pkey", "dog_cat_name_key", "cat_pkey", "ix_cat_breed"} <= (
        project.names()
    )
    assert not any("seqcheck_tmp" in name for name in project.names())
    clean(project)
    project.downgrade()
    assert project.names() == before
    assert project.rows("SELECT count(*) FROM cat") == [(2,)]


def test_naming_convention_names_follow_the_model(project: Project) -> None:
    start(
        project,
        models(CONVENTION, SNACKS),
        "INSERT INTO owner (name) VALUES ('Mars');"
        "INSERT INTO marathon (name, weight_g, owner_id) VALUES ('classic', 58, 1);"
        "INSERT INTO sale (marathon_id, pence) VALUES (1, 25);",
    )
    before = project.names()
    assert {"pk_marathon", "uq_marathon_name", "ck_marathon_positive"} <= before
    assert "fk_sale_marathon_id_marathon" in before
    project.write_models(
        models(
            CONVENTION,
            SNACKS.replace("Marathon", "Snickers")
            .replace('"marathon"', '"snickers"')
            .replace("marathon.id", "snickers.id"),
        )
    )
    text = project.revision("snickers", "0002")

    assert "create_table" not in text
    for old, new in (
        ("pk_marathon", "pk_snickers"),
        ("uq_marathon_name", "uq_snickers_name"),
        ("ck_marathon_positive", "ck_snickers_positive"),
        ("fk_marathon_owner_id_owner", "fk_snickers_owner_id_owner"),
        ("ix_marathon_owner_id", "ix_snickers_owner_id"),
        ("fk_sale_marathon_id_marathon", "fk_sale_marathon_id_snickers"),
        ("marathon_id_seq", "snickers_id_seq"),
    ):
        assert f'"{old}", "{new}"' in text, old
    project.upgrade()
    assert "fk_sale_marathon_id_snickers" in project.names()
    clean(project)
    project.downgrade()
    assert project.names() == before


UNRELATED = """
class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    happened: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
"""

COUPON = """
class Coupon(Base):
    __tablename__ = "coupon"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    percent: Mapped[bool]
"""


def test_unrelated_tables_stay_drop_and_create(project: Project) -> None:
    start(project, models(PLAIN, SNACKS + UNRELATED))
    renamed = SNACKS.replace("Marathon", "Snickers").replace('"marathon"', '"snickers"')
    renamed = renamed.replace("marathon.id", "snickers.id")
    project.write_models(models(PLAIN, renamed + COUPON))
    text = project.revision("snickers; no more audit log; coupons", "0002")

    assert 'op.rename_table("marathon", "snickers")' in text
    upgrade = text.split("def downgrade")[0]
    assert 'op.drop_table("audit_log")' in upgrade
    assert 'op.create_table(\n        "coupon"' in upgrade
    assert "audit_log renamed" not in text
    project.upgrade()
    clean(project)


def test_a_table_below_the_threshold_is_noted_and_kept(project: Project) -> None:
    start(project, models(PLAIN, UNRELATED))
    near = UNRELATED.replace("AuditLog", "Event").replace('"audit_log"', '"event"')
    near = near.replace(
        "happened: Mapped[int]",
        "at: Mapped[int]\n    kind: Mapped[int]\n    level: Mapped[int]",
    )
    project.write_models(models(PLAIN, near))
    text = project.revision("events", "0002")

    assert "drop_table" in text
    assert "create_table" in text
    assert "# seqcheck: table audit_log → event: similarity 40%, below the 50%" in text


ARCHIVE = """
class MarathonArchive(Base):
    __tablename__ = "marathon_archive"
    __table_args__ = (CheckConstraint("weight_g > 0", name="archived_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    weight_g: Mapped[int | None]
    retired: Mapped[int]
"""


def test_of_two_candidates_the_most_similar_wins(project: Project) -> None:
    start(project, models(PLAIN, SNACKS))
    renamed = SNACKS.replace("Marathon", "Snickers").replace('"marathon"', '"snickers"')
    renamed = renamed.replace("marathon.id", "snickers.id")
    project.write_models(models(PLAIN, renamed + ARCHIVE))
    text = project.revision("snickers and an archive", "0002")

    assert 'op.rename_table("marathon", "snickers")' in text
    assert 'op.create_table(\n        "marathon_archive"' in text
    project.upgrade()
    clean(project)
