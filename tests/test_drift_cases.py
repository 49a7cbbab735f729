"""Drift on hand-written schemas: quiet on hand names, exact on real renames.

Each test builds DDL on a real server (15 and 18), scans it with the library, and
compares the certain and likely findings (name → expected) with what a fresh
build under today's names would give.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from seqcheck.catalog import read_catalog
from seqcheck.drift import Scope, find_drift
from seqcheck.findings import Kind, Tier
from tests.fix_server import TestDB, run_sql


def _scan(dsn: str, scope: Scope | None = None) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        catalog = read_catalog(conn)
    drift = find_drift(catalog, scope)
    return {
        f.name: f.expected
        for f in drift.findings
        if f.tier in (Tier.CERTAIN, Tier.LIKELY)
        or (scope is not None and scope.strict and f.tier is Tier.CUSTOM)
    }


def _all(dsn: str) -> list[Any]:
    with psycopg.connect(dsn) as conn:
        return list(find_drift(read_catalog(conn)).findings)


HAND_NAMES = """
create table orders (id bigint generated always as identity, customer_id int,
    created_at timestamptz, email text, total numeric, status text,
    constraint orders_pk primary key (id));
create table customers (id serial constraint customers_pkey primary key, email text,
    constraint customers_email_uniq unique (email));
create table customers_by_status (id int, status text, primary key (id, status));
create index orders_recent_idx on orders (created_at);
create index accounts_email_idx on orders (lower(email));
create index archive_created_idx on orders (created_at, status);
create index orders_by_customer_idx on orders (customer_id);
alter table orders add constraint orders_status_customer_id_fkey
    foreign key (customer_id, status) references customers_by_status;
alter table orders add constraint orders_total_positive_check
    check (total >= 0 and status is not null);
alter table orders add constraint primary_check check (total > 0 and status <> '');
create table edit_area (edit int, area int, primary key (edit, area));
create index edit_area_idx on edit_area (area);
create unique index users_email_idx on customers (email);
"""


def test_hand_written_names_are_quiet(db: TestDB) -> None:
    run_sql(db.dsn, HAND_NAMES)
    assert _scan(db.dsn) == {}
    strict = _scan(db.dsn, Scope(strict=True))
    # --strict lists names in the pattern that are not today's default
    assert "orders_recent_idx" in strict
    assert strict["orders_recent_idx"] == "orders_created_at_idx"
    assert "orders_pk" not in strict  # does not end in its label
    assert "orders_total_positive_check" in strict


def test_foreign_single_column_middle_is_likely(db: TestDB) -> None:
    """A one-column name whose middle is no column today reads as a rename."""
    run_sql(
        db.dsn,
        """
        create table customers (id int primary key);
        create table orders (customer_id int constraint orders_customer_fkey
            references customers);
        """,
    )
    with psycopg.connect(db.dsn) as conn:
        drift = find_drift(read_catalog(conn))
    [finding] = drift.findings
    assert (finding.name, finding.tier, finding.stale) == (
        "orders_customer_fkey",
        Tier.LIKELY,
        "customer",
    )


def test_marathon_snickers(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table owner (id serial primary key);
        create table marathon (id serial primary key, name text unique,
            owner_id int references owner, weight int check (weight > 0));
        create index on marathon (name);
        alter table marathon rename to snickers;
        """,
    )
    found = _scan(db.dsn)
    expected = {
        "marathon_id_seq": "snickers_id_seq",
        "marathon_pkey": "snickers_pkey",
        "marathon_name_key": "snickers_name_key",
        "marathon_owner_id_fkey": "snickers_owner_id_fkey",
        "marathon_weight_check": "snickers_weight_check",
        "marathon_name_idx": "snickers_name_idx",
    }
    if db.server.major >= 18:
        expected["marathon_id_not_null"] = "snickers_id_not_null"
    assert found == expected


def test_swap_in_pattern(db: TestDB) -> None:
    """``orders → orders_old``, ``orders_new → orders``: both sets are stale."""
    run_sql(
        db.dsn,
        """
        create table orders (id serial primary key, ref text unique);
        create table orders_new (id serial primary key, ref text unique);
        alter table orders rename to orders_old;
        alter table orders_new rename to orders;
        """,
    )
    found = _scan(db.dsn)
    assert found["orders_new_pkey"] == "orders_pkey"
    assert found["orders_pkey"] == "orders_old_pkey"
    assert found["orders_new_ref_key"] == "orders_ref_key"
    assert found["orders_new_id_seq"] == "orders_id_seq"


def test_collision_digits_are_not_drift_but_follow_a_freed_name(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table orders (id int primary key);
        alter table orders rename to orders_archive;
        create table orders (id int primary key);
        """,
    )
    found = _scan(db.dsn)
    expected = {"orders_pkey": "orders_archive_pkey", "orders_pkey1": "orders_pkey"}
    if db.server.major >= 18:
        expected["orders_id_not_null"] = "orders_archive_id_not_null"
        expected["orders_id_not_null1"] = "orders_id_not_null"
    assert found == expected


def test_a_cut_name_with_two_digits_follows_a_freed_plain_name(db: TestDB) -> None:
    """Names freed by the run are found whatever the digit count cuts off."""
    long = "l" * 63
    steps = [
        f'create table "{long}" (id int primary key);'
        f' alter table "{long}" rename to a{n};'
        for n in range(11)
    ]
    run_sql(db.dsn, "\n".join(steps) + f'create table "{long}" (id int primary key);')
    found = _scan(db.dsn)
    assert found["l" * 56 + "_pkey11"] == "l" * 58 + "_pkey"
    assert found["l" * 58 + "_pkey"] == "a0_pkey"
    assert found["l" * 56 + "_pkey10"] == "a10_pkey"
    assert found["l" * 57 + "_pkey9"] == "a9_pkey"


def test_collision_digits_alone_are_quiet(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table t (a int);
        create sequence t_pkey;
        alter table t add primary key (a);
        """,
    )
    assert _scan(db.dsn) == {}


def test_column_rename_proven_by_index(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table t (id serial primary key, voucher_id int, n int);
        create index on t (voucher_id);
        alter table t add constraint t_voucher_id_fkey foreign key (voucher_id)
            references t;
        alter table t rename column voucher_id to "deprecated-voucher_id";
        """,
    )
    found = _scan(db.dsn)
    assert found["t_voucher_id_idx"] == "t_deprecated-voucher_id_idx"
    assert found["t_voucher_id_fkey"] == "t_deprecated-voucher_id_fkey"
    columns = [f for f in _all(db.dsn) if f.kind is Kind.INDEX_COLUMN]
    assert [(f.name, f.expected) for f in columns] == [
        ("t_voucher_id_idx.voucher_id", "t_voucher_id_idx.deprecated-voucher_id")
    ]


def test_column_rename_likely_without_index(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table accounts (id int, email text not null check (email <> ''),
            ref_id serial);
        alter table accounts rename column email to email_address;
        alter table accounts rename column ref_id to parent_id;
        """,
    )
    found = _scan(db.dsn)
    assert found["accounts_email_check"] == "accounts_email_address_check"
    assert found["accounts_ref_id_seq"] == "accounts_parent_id_seq"
    with psycopg.connect(db.dsn) as conn:
        drift = find_drift(read_catalog(conn))
    tiers = {f.name: f.tier for f in drift.findings}
    assert tiers["accounts_email_check"] is Tier.LIKELY


def test_partitions_are_judged_against_their_own_name(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table p (a int, b int, primary key (a, b)) partition by range (a);
        create index on p (b);
        create table p1 partition of p for values from (0) to (10);
        alter table p rename to q;
        alter table p1 rename to q1;
        """,
    )
    found = _scan(db.dsn)
    assert found == {
        "p_pkey": "q_pkey",
        "p_b_idx": "q_b_idx",
        "p1_pkey": "q1_pkey",
        "p1_b_idx": "q1_b_idx",
    } | (
        {"p_a_not_null": "q_a_not_null", "p_b_not_null": "q_b_not_null"}
        if db.server.major >= 18
        else {}
    )


def test_inherited_checks_follow_the_parent(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table parent (id serial primary key, a int check (a > 0));
        create table child () inherits (parent);
        alter table child rename to kid;
        """,
    )
    assert _scan(db.dsn) == {}


def test_like_copies_are_not_drift(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table src (id int primary key, a int check (a > 0) not null);
        create table dst (like src including all);
        """,
    )
    assert _scan(db.dsn) == {}


def test_skipped_objects(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create extension if not exists pg_trgm;
        create table marathon (id int primary key, f int);
        create index marathon_f_idx_ccnew on marathon (f);
        create index marathon_bad_idx on marathon (f);
        update pg_index set indisvalid = false
            where indexrelid = 'marathon_bad_idx'::regclass;
        alter table marathon rename to snickers;
        """,
    )
    found = _scan(db.dsn)
    expected = {"marathon_pkey": "snickers_pkey"}
    if db.server.major >= 18:
        expected["marathon_id_not_null"] = "snickers_id_not_null"
    assert found == expected


@pytest.mark.pg(">=16")
def test_unnamed_statistics(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table marathon (id int primary key, a int, b int);
        create statistics on b, a from marathon;
        alter table marathon rename to snickers;
        """,
    )
    found = _scan(db.dsn)
    # The order written (b, a), as the old name shows and a fresh build keeps.
    assert found["marathon_b_a_stat"] == "snickers_b_a_stat"


def test_filters(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create schema app;
        create table app.marathon (id serial primary key);
        alter table app.marathon rename to snickers;
        create table public.x (id int generated by default as identity primary key);
        alter table public.x rename to y;
        """,
    )
    nn = {"marathon_id_not_null", "x_id_not_null"} if db.server.major >= 18 else set()
    assert set(_scan(db.dsn, Scope(schemas=("app",)))) - nn == {
        "marathon_pkey",
        "marathon_id_seq",
    }
    assert set(_scan(db.dsn, Scope(exclude_schemas=("app",)))) - nn == {
        "x_pkey",
        "x_id_seq",
    }
    assert set(_scan(db.dsn, Scope(tables=("y",)))) - nn == {"x_pkey", "x_id_seq"}
    assert set(_scan(db.dsn, Scope(exclude_tables=("app.*",)))) - nn == {
        "x_pkey",
        "x_id_seq",
    }
    assert set(_scan(db.dsn, Scope(kinds=frozenset({Kind.PKEY})))) == {
        "marathon_pkey",
        "x_pkey",
    }
