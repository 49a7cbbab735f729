"""Partition copies of a foreign key follow their parent's rename (NAMING.md §4.6).

A partitioned table's foreign key has a copy on every partition, at every
depth, under the parent's name; ``RENAME CONSTRAINT`` on the parent leaves
them. The schema is built once under its final names and once under old names
that are then renamed; after ``fix --apply`` on the second, every foreign key
row (parents, copies, the copy an attached partition brought under its own
name) is named as in the fresh build. The undo script puts them back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from seqcheck.catalog import read_catalog
from seqcheck.clones import foreign_key_clones
from seqcheck.drift import find_drift
from seqcheck.plan import make_plan
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, psql_ok, run_sql
from tests.renames import database
from tests.test_apply import state

SCHEMA = """
create table {owners} (id int primary key, code int unique);
create table {t} (id int, owner_id int references {owners},
                  code int references {owners} (code))
    partition by range (id);
create table {t}_1 partition of {t} for values from (0) to (10);
create table {t}_2 partition of {t} for values from (10) to (20)
    partition by range (id);
create table {t}_2a partition of {t}_2 for values from (10) to (15);
create table {t}_3 (id int, owner_id int, code int,
                    constraint own_fk foreign key (owner_id) references {owners});
alter table {t} attach partition {t}_3 for values from (20) to (30);
insert into {owners} values (1, 7);
insert into {t} values (1, 1, 7), (11, 1, 7), (21, 1, null);
"""

RENAMES = """
alter table marathon rename to snickers;
alter table marathon_1 rename to snickers_1;
alter table marathon_2 rename to snickers_2;
alter table marathon_2a rename to snickers_2a;
alter table marathon_3 rename to snickers_3;
alter table owner rename to owners;
"""

FOREIGN_KEYS = """
select c.conrelid::regclass::text, c.conname::text, c.conparentid <> 0,
       c.confrelid::regclass::text
from pg_constraint c
where c.contype = 'f' and c.connamespace = 'public'::regnamespace
order by 1, 2
"""


def _foreign_keys(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(FOREIGN_KEYS).fetchall()


def test_copies_follow_their_parent_to_the_fresh_names(
    db: TestDB, tmp_path: Path
) -> None:
    with database(db.server) as fresh:
        run_sql(fresh, SCHEMA.format(t="snickers", owners="owners"))
        want = _foreign_keys(fresh)
    run_sql(db.dsn, SCHEMA.format(t="marathon", owners="owner") + RENAMES)
    before = state(db.dsn)
    stale = _foreign_keys(db.dsn)
    assert ("snickers_2a", "marathon_owner_id_fkey", True, "owners") in stale
    assert ("snickers_3", "own_fk", True, "owners") in stale

    undo = tmp_path / "undo.sql"
    written = seqcheck("fix", db.dsn, "-f", "sql", "--reverse", "-o", str(undo))
    assert written.code == 1, written
    dry = seqcheck("fix", db.dsn)
    assert (
        'ALTER TABLE "public"."snickers_2a" RENAME CONSTRAINT'
        ' "marathon_owner_id_fkey" TO "snickers_owner_id_fkey";' in dry.out
    )
    applied = seqcheck("fix", db.dsn, "--apply")
    assert (applied.code, applied.err) == (0, ""), applied
    assert _foreign_keys(db.dsn) == want
    assert seqcheck("scan", db.dsn).code == 0

    psql_ok(db.server, db.dsn, undo, "-1")
    assert state(db.dsn) == before


def test_the_plan_renames_copies_with_their_parent_in_one_batch(db: TestDB) -> None:
    run_sql(db.dsn, SCHEMA.format(t="marathon", owners="owner") + RENAMES)
    with psycopg.connect(db.dsn) as conn:
        catalog = read_catalog(conn)
    plan = make_plan(find_drift(catalog), catalog)
    parents = [s for s in plan.steps if s.kind == "fkey" and s.follows is None]
    assert {s.old for s in parents} == {
        "marathon_owner_id_fkey",
        "marathon_code_fkey",
    }
    clones = foreign_key_clones(catalog, {s.object_oid for s in parents})
    for parent in parents:
        tables = [c.table for c in clones[parent.object_oid]]
        own = parent.old == "marathon_owner_id_fkey"  # _3 brought its own
        assert tables == ["snickers_1", "snickers_2", "snickers_2a"] + (
            [] if own else ["snickers_3"]
        )
        followers = [s for s in plan.steps if s.follows == parent.finding]
        assert [s.table for s in followers] == tables
        assert {(s.old, s.new) for s in followers} == {(parent.old, parent.new)}
    # --batch 1 cannot split a foreign key from its copies.
    cut = seqcheck("fix", db.dsn, "-f", "sql", "--batch", "1").out
    (batch,) = [b for b in cut.split("BEGIN;") if '"marathon_owner_id_fkey" TO' in b]
    assert batch.count('RENAME CONSTRAINT "marathon_owner_id_fkey" TO') == 4
    assert cut.count("BEGIN;") > 1


@pytest.mark.parametrize("fmt", ["json"])
def test_json_lists_the_copies_in_the_parents_statement(db: TestDB, fmt: str) -> None:
    run_sql(db.dsn, SCHEMA.format(t="marathon", owners="owner") + RENAMES)
    result = seqcheck("scan", db.dsn, "-f", fmt)
    assert '\\"snickers_2a\\" RENAME CONSTRAINT' in result.out
