"""Naming conventions: SQLAlchemy's own DDL and Rails' index names, renamed."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
)

from seqcheck.catalog import read_catalog
from seqcheck.conventions import RAILS, Names, sqlalchemy
from seqcheck.drift import Scope, find_drift
from seqcheck.embedded import Server
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier
from seqcheck.plan import make_plan
from seqcheck.statements import statement
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, run_sql
from tests.renames import database, identities

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
LONG = "a_rather_long_table_name_for_a_model_x"


def _metadata(owner: str, marathon: str, long: str) -> MetaData:
    """The models, with table names as given (the "migration" renames them)."""
    meta = MetaData(naming_convention=CONVENTION)
    Table(owner, meta, Column("id", Integer, primary_key=True))
    Table(
        marathon,
        meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), unique=True),
        Column("weight", Integer, index=True),
        Column("owner_id", ForeignKey(f"{owner}.id")),
        CheckConstraint("weight > 0", name="positive_weight"),
    )
    Table(
        long,
        meta,
        Column("id", Integer, primary_key=True),
        Column("some_rather_long_column_name", Integer),
        UniqueConstraint("some_rather_long_column_name"),
    )
    return meta


def _create(dsn: str, meta: MetaData) -> None:
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(dsn)
    )
    try:
        meta.create_all(engine)
    finally:
        engine.dispose()


def _findings(dsn: str, scope: Scope) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        drift = find_drift(read_catalog(conn), scope)
    return {
        f.name: f.expected
        for f in drift.findings
        if f.tier in (Tier.CERTAIN, Tier.LIKELY) and f.kind is not Kind.INDEX_COLUMN
    }


def test_sqlalchemy_truncation_matches_sqlalchemy() -> None:
    convention = sqlalchemy(CONVENTION)
    long = convention.render(
        Kind.UNIQUE, Names(LONG + "_renamed", ("some_rather_long_column_name",))
    )
    meta = _metadata("o", "m", LONG + "_renamed")
    table = meta.tables[LONG + "_renamed"]
    [unique] = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    engine = create_engine("postgresql+psycopg://")
    assert engine.dialect.identifier_preparer.format_constraint(unique) == long
    assert len(long) == 60


def test_renamed_models_report_what_sqlalchemy_would_emit(pg_server: Server) -> None:
    scope = Scope(convention=sqlalchemy(CONVENTION))
    with database(pg_server) as fresh, database(pg_server) as old:
        _create(fresh, _metadata("people", "snickers", LONG + "_v2"))
        _create(old, _metadata("owner", "marathon", LONG))
        run_sql(
            old,
            f"""
            ALTER TABLE marathon RENAME TO snickers;
            ALTER TABLE owner RENAME TO people;
            ALTER TABLE {LONG} RENAME TO {LONG}_v2;
            """,
        )
        with psycopg.connect(fresh) as conn:
            want = identities(read_catalog(conn))
        with psycopg.connect(old) as conn:
            have = identities(read_catalog(conn))
        differ = {have[k][1]: want[k][1] for k in want if want[k] != have[k]}
        found = _findings(old, scope)
        assert found == differ
        assert found["fk_marathon_owner_id_owner"] == "fk_snickers_owner_id_people"
        assert found["ck_marathon_positive_weight"] == "ck_snickers_positive_weight"
        # Apply the plan's renames and the renamed schema matches the fresh one.
        with psycopg.connect(old) as conn:
            catalog = read_catalog(conn)
            plan = make_plan(find_drift(catalog, scope), catalog)
            for step in plan.steps:
                conn.execute(statement(step))
        assert _findings(old, scope) == {}
        with psycopg.connect(old) as conn:
            assert identities(read_catalog(conn)) == want


def test_hand_names_under_a_convention_are_quiet(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table orders (id int constraint pk_orders primary key, n int);
        create index ix_orders_recent on orders (n);
        create index orders_n_idx on orders (n);
        """,
    )
    assert _findings(db.dsn, Scope(convention=sqlalchemy(CONVENTION))) == {}


def test_rails_index_names(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table people (id bigserial primary key, email text, org_id int);
        create index index_people_on_email on people (email);
        create index index_people_on_org_id_and_email on people (org_id, email);
        alter table people rename to users;
        """,
    )
    found = _findings(db.dsn, Scope(convention=RAILS))
    assert found["index_people_on_email"] == "index_users_on_email"
    assert (
        found["index_people_on_org_id_and_email"] == "index_users_on_org_id_and_email"
    )
    assert found["people_pkey"] == "users_pkey"


def test_bad_templates_are_errors() -> None:
    with pytest.raises(SeqcheckError, match="unknown token"):
        sqlalchemy({"ix": "ix_%(colum_0_name)s"})
    with pytest.raises(SeqcheckError, match="unknown key"):
        sqlalchemy({"idx": "ix_%(column_0_name)s"})


def test_rails_foreign_keys_follow_a_renamed_table(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table orgs (id bigserial primary key);
        create table people (id bigserial primary key, org_id bigint);
        create index index_people_on_org_id on people (org_id);
        alter table people add constraint fk_rails_1d02976dd6
            foreign key (org_id) references orgs;
        alter table people rename to users;
        """,
    )
    found = _findings(db.dsn, Scope(convention=RAILS))
    assert found["fk_rails_1d02976dd6"] == RAILS.render(
        Kind.FKEY, Names("users", ("org_id",))
    )
    assert found["index_people_on_org_id"] == "index_users_on_org_id"


def test_config_file_selects_the_convention(db: TestDB, tmp_path: Path) -> None:
    run_sql(
        db.dsn,
        """
        create table marathon (id int constraint pk_marathon primary key, w int);
        create index ix_marathon_w on marathon (w);
        alter table marathon rename to snickers;
        """,
    )
    (tmp_path / "seqcheck.toml").write_text(
        'convention = "sqlalchemy"\n'
        "[naming_convention]\n"
        'ix = "ix_%(column_0_label)s"\n'
        'pk = "pk_%(table_name)s"\n'
    )
    done = seqcheck("scan", db.dsn, "--format", "json", cwd=tmp_path)
    assert done.code == 1, done.err
    findings = {
        f["name"]: f["expected"]
        for t in json.loads(done.out)["tables"]
        for f in t["findings"]
    }
    assert findings["pk_marathon"] == "pk_snickers"
    assert findings["ix_marathon_w"] == "ix_snickers_w"
    # The command line wins: under PostgreSQL's defaults these are hand names.
    done = seqcheck(
        "scan", db.dsn, "--convention", "postgres", "--format", "json", cwd=tmp_path
    )
    names = {f["name"] for t in json.loads(done.out)["tables"] for f in t["findings"]}
    assert "pk_marathon" not in names


def test_config_file_errors(tmp_path: Path) -> None:
    (tmp_path / "seqcheck.toml").write_text('convention = "sqlalchemy"\n')
    done = seqcheck("scan", "dbname=x", cwd=tmp_path)
    assert done.code == 2
    assert "naming_convention" in done.err and done.err.count("\n") == 1
    (tmp_path / "seqcheck.toml").write_text(
        '[naming_convention]\nix = "ix_%(colum_0_name)s"\n'
    )
    done = seqcheck("scan", "dbname=x", cwd=tmp_path)
    assert done.code == 2
    assert "unknown token" in done.err and "seqcheck.toml" in done.err
