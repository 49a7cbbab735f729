"""PostgreSQL 18 NOT NULL renames recurse by name: attached partitions block them."""

from __future__ import annotations

import psycopg
import pytest

from seqcheck.catalog import read_catalog
from seqcheck.drift import find_drift
from seqcheck.findings import Kind
from seqcheck.inheritance import dead_ends, descendants
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, run_sql


def _dead(dsn: str) -> tuple[set[str], set[str]]:
    with psycopg.connect(dsn) as conn:
        catalog = read_catalog(conn)
    findings = [f for f in find_drift(catalog).findings if f.kind is Kind.NOT_NULL]
    return {f.name for f in findings}, {f.name for f in dead_ends(findings, catalog)}


@pytest.mark.pg(">=18")
def test_attached_partition_with_its_own_name_is_a_dead_end(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table p (a int not null, b int not null) partition by range (a);
        create table p1 partition of p for values from (0) to (10);
        create table p2 (a int not null, b int not null);
        alter table p attach partition p2 for values from (10) to (20);
        alter table p rename to q;
        """,
    )
    found, dead = _dead(db.dsn)
    assert {"p_a_not_null", "p_b_not_null"} <= found
    assert dead == {"p_a_not_null", "p_b_not_null"}
    # PostgreSQL agrees: the recursing rename fails on p2.
    with (
        psycopg.connect(db.dsn) as conn,
        pytest.raises(psycopg.errors.UndefinedObject, match="p2"),
    ):
        conn.execute("alter table q rename constraint p_a_not_null to q_a_not_null")


@pytest.mark.pg(">=18")
def test_partitions_made_with_partition_of_are_not(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table p (a int not null) partition by range (a);
        create table p1 partition of p for values from (0) to (10);
        create table c (a int not null);
        create table d () inherits (c);
        alter table p rename to q;
        alter table c rename to e;
        """,
    )
    found, dead = _dead(db.dsn)
    assert {"p_a_not_null", "c_a_not_null"} <= found
    assert dead == set()
    with psycopg.connect(db.dsn) as conn:
        conn.execute("alter table q rename constraint p_a_not_null to q_a_not_null")
        catalog = read_catalog(conn)
    tables = {t.name: t.oid for t in catalog.tables}
    assert descendants(catalog)[tables["q"]] == (tables["p1"],)


@pytest.mark.pg(">=18")
def test_fix_reports_a_dead_end_and_renames_the_rest(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table p (a int not null, b int) partition by range (a);
        create index on p (b);
        create table p2 (a int not null, b int);
        alter table p attach partition p2 for values from (10) to (20);
        alter table p rename to q;
        """,
    )
    done = seqcheck("fix", db.dsn, "--apply")
    assert done.code == 1, done.err
    assert "cannot rename q.p_a_not_null" in done.err
    found, dead = _dead(db.dsn)
    assert found == dead == {"p_a_not_null"}
    with psycopg.connect(db.dsn) as conn:
        names = {r[0] for r in conn.execute("select relname from pg_class").fetchall()}
    assert "q_b_idx" in names
