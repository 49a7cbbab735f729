"""Names that are today's defaults are left out of drift's subjects, changing nothing.

``find_drift`` asks the rules not to make subjects of names that are today's
default, whole (:class:`~seqcheck.rules.Finder`). On a real schema (15 and
18) with renames, hand names, collision digits, repeated index columns,
partitions, inheritance, statistics and domains, every subject left out is
one the judge calls clean with no evidence, and drift finds exactly what it
finds when every subject is made.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg
import pytest

from seqcheck import drift as drift_module
from seqcheck.catalog import Catalog, read_catalog
from seqcheck.drift import Scope, find_drift
from seqcheck.evidence import judge
from seqcheck.findings import Kind
from seqcheck.naming import encoding_for
from seqcheck.rules import RULES, Rule, Subject
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY, SWAP
from tests.test_drift_cases import HAND_NAMES

MIXED = """
create table t (a int, b int, c text);
create index on t (a, a);
create index t_a_a_idx on t (a, a);
create index on t ((a + 1), (b + 1));
create index on t (a, (a + 1));
create unique index t_c_key on t (c);
alter table t add constraint t_a_check check (a > 0);
alter table t add constraint t_a_check1 check (a < 100);
create statistics t_a_b_stat on a, b from t;
create table parent (id int primary key, n int check (n > 0));
create table child () inherits (parent);
create table parted (id int, k int, primary key (id, k)) partition by range (id);
create table parted_1 partition of parted for values from (0) to (10);
create domain positive as int check (value > 0);
create table u (id int primary key, v int unique, p int references parent);
create index on u (v, p);
create table old_name (id serial primary key, x int unique, y int not null);
alter table old_name rename to new_name;
alter table new_name rename column x to z;
"""


def _catalog(db: TestDB) -> Catalog:
    run_sql(db.dsn, HAND_NAMES + STORY + SWAP + MIXED)
    with psycopg.connect(db.dsn) as conn:
        return read_catalog(conn)


def _every_subject(rule: Rule) -> Rule:
    """Return *rule*, its finder asked for every subject whatever drift asks."""

    def subjects(catalog: Catalog, tables: Any, *, clean: bool = True) -> Any:
        del clean
        return rule.subjects(catalog, tables)

    return replace(rule, subjects=subjects)


def _subjects(catalog: Catalog, *, clean: bool) -> dict[int, Subject]:
    tables = {t.oid: t for t in catalog.tables}
    return {
        s.oid: s for rule in RULES for s in rule.subjects(catalog, tables, clean=clean)
    }


def test_the_subjects_left_out_are_clean_without_evidence(db: TestDB) -> None:
    catalog = _catalog(db)
    enc = encoding_for(catalog.server.encoding)
    every = _subjects(catalog, clean=True)
    kept = _subjects(catalog, clean=False)
    assert kept.keys() <= every.keys()
    left = [every[oid] for oid in every.keys() - kept.keys()]
    assert len(left) >= 15  # most of this schema is named by default
    kinds = {Kind.SEQUENCE, Kind.PKEY, Kind.UNIQUE, Kind.INDEX, Kind.FKEY, Kind.CHECK}
    if catalog.server.major >= 18:
        kinds.add(Kind.NOT_NULL)
    assert {s.kind for s in left} >= kinds
    for subject in left:
        assert judge(subject, {}, enc) is None, subject
    # a column indexed twice is stored as a, a1: left to the judge; stored
    # expression names (expr, expr1) are today's already
    assert "t_a_a1_idx" in {s.name for s in kept.values()}
    assert {"t_expr_expr1_idx", "t_a_expr_idx"} <= {s.name for s in left}


@pytest.mark.parametrize("strict", [False, True])
def test_drift_is_the_same_with_every_subject(
    db: TestDB, monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    catalog = _catalog(db)
    scope = Scope(strict=strict)
    found = find_drift(catalog, scope)
    assert len(found.findings) >= 10
    monkeypatch.setattr(drift_module, "RULES", tuple(map(_every_subject, RULES)))
    assert find_drift(catalog, scope) == found
