"""Rows for referenced partitions follow their foreign key's rename (NAMING.md §4.6).

A foreign key that references a partitioned table gets one more row per
partition of it, on the referencing table: ``fr_id_fkey1``, ``fr_id_fkey2`` up
to PostgreSQL 17, ``fr_id_fkey_1``, ``fr_id_fkey_2`` from 18. Each schema is
built once under its final names and once under old names that are then
renamed; after ``fix --apply`` on the second, every constraint name (these rows
included) is the fresh build's, the rows were never findings of their own, and
the undo script puts everything back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from seqcheck.batches import split_plan
from seqcheck.catalog import Catalog, read_catalog
from seqcheck.clones import referenced_rows
from seqcheck.drift import find_drift
from seqcheck.plan import Plan, make_plan
from seqcheck.statements import object_names
from seqcheck.verify import Names, expected, predicted, renames, unexpected
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, run_sql
from tests.renames import database
from tests.test_apply import state

REFERENCED = """
create table {rp} (id int primary key) partition by range (id);
create table {rp}1 partition of {rp} for values from (0) to (10);
create table {rp}2 partition of {rp} for values from (10) to (20);
"""
PLAIN = REFERENCED + "create table {fr} ({col} int references {rp});\n"
# Sub-partitions, a default, and partitions attached after the keys exist, at
# the top and below a partitioned partition (PostgreSQL 18: fp_id_fkey_2_1).
DEEP = """
create table {rp} (id int primary key) partition by list (id);
create table {rp}1 partition of {rp} for values in (1);
create table {rp}2 partition of {rp} for values in (2, 3) partition by list (id);
create table {rp}2b partition of {rp}2 for values in (2);
create table {rp}d partition of {rp} default;
create table {fr} (id int references {rp}, other int);
create table {fp} (id int, constraint {fp}_id_fkey foreign key (id) references {rp})
    partition by list (id);
create table {fp}_a partition of {fp} for values in (1);
create table {fp}_b partition of {fp} for values in (2, 3) partition by list (id);
create table {fp}_b2 partition of {fp}_b for values in (2, 3);
create table {rp}2c (id int primary key);
alter table {rp}2 attach partition {rp}2c for values in (3);
create table {rp}4 (id int primary key);
alter table {rp} attach partition {rp}4 for values in (4);
"""
# Names a fresh build must step over: another table's constraints.
TAKEN = (
    """
create table other (x int, constraint gr_id_fkey1 check (x > 0),
                    constraint gr_id_fkey_1 check (x > 0));
"""
    + PLAIN
)
# Two referencing tables whose names are swapped: the rows swap names too.
SWAP = (
    REFERENCED
    + """
create table {first} (id int references {rp});
create table {second} (id int references {rp});
"""
)
LONG_F, LONG_G = "f" * 61, "g" * 61

PLAIN_OLD = {"rp": "rp", "fr": "fr", "col": "id"}
CASES: dict[str, tuple[str, dict[str, str], dict[str, str], str]] = {
    "referencing-table": (
        PLAIN,
        PLAIN_OLD,
        PLAIN_OLD | {"fr": "gr"},
        "alter table fr rename to gr;",
    ),
    "referenced-table": (
        PLAIN,
        PLAIN_OLD,
        PLAIN_OLD | {"rp": "rq"},
        "alter table rp rename to rq; alter table rp1 rename to rq1;"
        " alter table rp2 rename to rq2;",
    ),
    "referencing-column": (
        PLAIN,
        PLAIN_OLD,
        PLAIN_OLD | {"col": "rid"},
        "alter table fr rename column id to rid;",
    ),
    "both-partitioned": (
        DEEP,
        {"rp": "rp", "fr": "fr", "fp": "fp"},
        {"rp": "rp", "fr": "gr", "fp": "gp"},
        "alter table fr rename to gr; alter table fp rename to gp;"
        " alter table fp_a rename to gp_a; alter table fp_b rename to gp_b;"
        " alter table fp_b2 rename to gp_b2;",
    ),
    "names-taken": (
        TAKEN,
        PLAIN_OLD,
        PLAIN_OLD | {"fr": "gr"},
        "alter table fr rename to gr;",
    ),
    "swap": (
        SWAP,
        {"rp": "rp", "first": "a", "second": "b"},
        {"rp": "rp", "first": "b", "second": "a"},
        "alter table a rename to t; alter table b rename to a;"
        " alter table t rename to b;",
    ),
    "long": (
        PLAIN,
        PLAIN_OLD | {"fr": LONG_F},
        PLAIN_OLD | {"fr": LONG_G},
        f"alter table {LONG_F} rename to {LONG_G};",
    ),
}

# Every constraint, keyed by what it is: its table, type, columns, the table it
# references and, for a row below another, what that one references.
CONSTRAINTS = """
select c.conrelid::regclass::text, c.contype::text, c.conkey::text,
       c.confrelid::regclass::text,
       coalesce(p.confrelid::regclass::text, ''), c.conname::text
from pg_constraint c left join pg_constraint p on p.oid = c.conparentid
where c.connamespace = 'public'::regnamespace
order by 1, 2, 3, 4, 5, 6
"""


def constraint_names(dsn: str) -> list[tuple[Any, ...]]:
    """Return every constraint of schema public, keyed by what it is (CONSTRAINTS)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(CONSTRAINTS).fetchall()


def _catalog(dsn: str) -> Catalog:
    with psycopg.connect(dsn) as conn:
        return read_catalog(conn)


def _names(dsn: str) -> Names:
    with psycopg.connect(dsn) as conn, conn.cursor(binary=True) as cur:
        return set(cur.execute(object_names()).fetchall())


def _rows(dsn: str) -> set[str]:
    """Return the names of the rows for referenced partitions."""
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "select c.conname::text from pg_constraint c"
            " join pg_constraint p on p.oid = c.conparentid"
            " where c.conrelid = p.conrelid"
        ).fetchall()
    return {name for (name,) in found}


@pytest.mark.parametrize("case", list(CASES))
def test_fix_gives_the_fresh_builds_names(
    db: TestDB, tmp_path: Path, case: str
) -> None:
    schema, old, new, rename = CASES[case]
    with database(db.server) as fresh:
        run_sql(fresh, schema.format(**new))
        want = constraint_names(fresh)
    run_sql(db.dsn, schema.format(**old) + rename)
    before = state(db.dsn)
    rows = _rows(db.dsn)
    assert len(rows) >= 2

    scan = json.loads(seqcheck("scan", db.dsn, "-f", "json").out)
    reported = {f["name"] for t in scan["tables"] for f in t["findings"]}
    assert not reported & rows  # reported only through their foreign key

    undo = tmp_path / "undo.sql"
    seqcheck("fix", db.dsn, "-f", "sql", "--reverse", "-o", str(undo))
    applied = seqcheck("fix", db.dsn, "--apply")
    assert applied.err == "", applied
    assert constraint_names(db.dsn) == want
    assert seqcheck("scan", db.dsn).code == 0
    assert seqcheck("fix", db.dsn, "-f", "sql").out.count("RENAME") == 0

    run_sql(db.dsn, undo.read_text(encoding="utf-8"))
    assert state(db.dsn) == before
    assert _rows(db.dsn) == rows


def _plan(dsn: str) -> tuple[Catalog, Plan]:
    catalog = _catalog(dsn)
    return catalog, make_plan(find_drift(catalog), catalog)


@pytest.mark.pg("<18")
def test_rows_are_numbered_with_the_table_and_columns(db: TestDB) -> None:
    run_sql(
        db.dsn, DEEP.format(rp="rp", fr="fr", fp="fp") + CASES["both-partitioned"][3]
    )
    _, plan = _plan(db.dsn)
    gp = [(s.table, s.old, s.new) for s in plan.steps if s.table == "gp"]
    assert gp == [("gp", "fp_id_fkey", "gp_id_fkey")] + [
        ("gp", f"fp_id_fkey{n}", f"gp_id_fkey{n}") for n in range(1, 7)
    ]


@pytest.mark.pg(">=18")
def test_rows_are_numbered_after_the_key_they_were_made_from(db: TestDB) -> None:
    run_sql(
        db.dsn, DEEP.format(rp="rp", fr="fr", fp="fp") + CASES["both-partitioned"][3]
    )
    _, plan = _plan(db.dsn)
    gp = {(s.old, s.new) for s in plan.steps if s.table == "gp"}
    assert gp == {
        ("fp_id_fkey", "gp_id_fkey"),
        ("fp_id_fkey_1", "gp_id_fkey_1"),
        ("fp_id_fkey_2", "gp_id_fkey_2"),
        ("fp_id_fkey_3", "gp_id_fkey_3"),  # rp2b, below rp2's row
        ("fp_id_fkey_4", "gp_id_fkey_4"),  # the default partition
        ("fp_id_fkey_2_1", "gp_id_fkey_2_1"),  # rp2c, attached to rp2 later
        ("fp_id_fkey_5", "gp_id_fkey_5"),  # rp4, attached to rp later
    }


def test_rows_follow_their_key_in_plan_batches_and_verification(db: TestDB) -> None:
    schema, old, _, rename = CASES["both-partitioned"]
    run_sql(db.dsn, schema.format(**old) + rename)
    catalog, plan = _plan(db.dsn)
    keys = {s.finding: s for s in plan.steps if s.kind == "fkey" and not s.follows}
    rows = referenced_rows(catalog, {s.object_oid for s in keys.values()})
    followers = [
        s for s in plan.steps if s.follows and s.finding.name != s.follows.name
    ]
    assert {s.object_oid for s in followers} == {
        r.oid for found in rows.values() for r in found
    }
    for step in followers:
        assert step.follows is not None
        key = keys[step.follows]
        assert (step.schema, step.table, step.finding.table_oid) == (
            key.schema,
            key.table,
            key.finding.table_oid,
        )
        assert step.statement == key.statement
        assert (step.finding.name, step.finding.expected) == (step.old, step.new)
    # --batch 1 never separates a key from its rows.
    for batch in split_plan(plan, catalog, statements=1):
        families = {s.follows or s.finding for s in batch.steps if s.kind == "fkey"}
        for family in families:
            assert {s for s in plan.steps if (s.follows or s.finding) == family} <= set(
                batch.steps
            )
    done = renames(plan.steps)
    after = predicted(catalog, done)
    names = {c.oid: c.name for c in after.constraints}
    assert all(names[s.object_oid] == s.new for s in followers)

    before = _names(db.dsn)
    assert seqcheck("fix", db.dsn, "--apply").code == 0
    now = _names(db.dsn)
    assert expected(after).met_by(now)
    assert unexpected(done, before, now) == []
    without = [r for r in done if r.object_oid not in {s.object_oid for s in followers}]
    complaints = unexpected(without, before, now)
    assert len(complaints) == len(followers)
    assert all("not planned" in c for c in complaints)


def test_a_renamed_row_is_put_back_to_the_fresh_name(db: TestDB) -> None:
    """A row that lost its generated name still gets the fresh build's."""
    run_sql(db.dsn, PLAIN.format(**PLAIN_OLD) + "alter table fr rename to gr;")
    with psycopg.connect(db.dsn) as conn:
        (row,) = conn.execute(
            "select conname::text from pg_constraint where conrelid = 'gr'::regclass"
            " and confrelid = 'rp1'::regclass"
        ).fetchone() or ("",)
    run_sql(db.dsn, f'alter table gr rename constraint "{row}" to mine')
    assert seqcheck("fix", db.dsn, "--apply").code == 0
    names = {n for (n,) in _constraint_names(db.dsn, "gr")}
    assert "mine" not in names
    assert names in (
        {"gr_id_fkey", "gr_id_fkey1", "gr_id_fkey2"},
        {"gr_id_fkey", "gr_id_fkey_1", "gr_id_fkey_2"},
    )


def _constraint_names(dsn: str, table: str) -> list[tuple[str]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select conname::text from pg_constraint where conrelid = %s::regclass",
            (table,),
        ).fetchall()


def test_nothing_changes_without_partitioned_references(db: TestDB) -> None:
    run_sql(
        db.dsn,
        "create table r (id int primary key); create table fr (id int references r);"
        " alter table fr rename to gr;",
    )
    catalog, plan = _plan(db.dsn)
    assert referenced_rows(catalog, {s.object_oid for s in plan.steps}) == {}
    assert [(s.old, s.new, s.follows) for s in plan.steps] == [
        ("fr_id_fkey", "gr_id_fkey", None)
    ]


HAND_NAMED = """
create table r (id int primary key) partition by list (id);
create table r1 partition of r for values in (1);
create table r2 partition of r for values in (2);
create table fr (id int, constraint fk_rails_0a1b2c foreign key (id) references r);
alter table fr rename to gr;
"""


def test_rows_under_a_hand_named_key(db: TestDB) -> None:
    """12-17 name them from the table (stale after a rename), 18 from the key."""
    run_sql(db.dsn, HAND_NAMED)
    scan = seqcheck("scan", db.dsn, "--format", "json")
    found = [
        (f["name"], f["expected"])
        for t in json.loads(scan.out)["tables"]
        for f in t["findings"]
    ]
    if db.server.major < 18:
        assert scan.code == 1
        assert found == [("fr_id_fkey", "gr_id_fkey"), ("fr_id_fkey1", "gr_id_fkey1")]
    else:
        assert (scan.code, found) == (0, [])
    assert seqcheck("fix", db.dsn, "--apply").code == 0
    again = seqcheck("scan", db.dsn)
    assert again.code == 0, again
