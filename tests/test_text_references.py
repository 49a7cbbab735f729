"""Text references on real servers: listed by ``scan`` and ``fix``, refused by default.

A LedgerSMB-style schema: PL/pgSQL that calls ``currval('transactions_id_seq')``,
a ``nextval('entity_id_seq'::text)`` default, a procedure, an ``ON CONFLICT ON
CONSTRAINT``, a quoted mixed-case sequence name, and a ``BEGIN ATOMIC``
function (which holds OIDs, so it is safe and not listed). ``fix --apply``
renames everything else and exits 1; with ``--allow-text-references`` it
renames those objects too, and never rewrites a body or a default.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from seqcheck.catalog import read_catalog
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, run_sql

LEDGER = """
create table transactions (id serial primary key, note text);
create table ar (id int primary key references transactions, amount numeric);
create function post_ar(amount numeric) returns int language plpgsql as $$
BEGIN
  INSERT INTO gl (note) VALUES ('ar');
  INSERT INTO ar (id, amount) VALUES (currval('transactions_id_seq'), amount);
  RETURN currval('transactions_id_seq');
END;
$$;
create table entity (id serial primary key, code text unique);
alter table entity alter column id set default nextval('entity_id_seq'::text);
create procedure bump() language plpgsql as $$
begin perform setval('public.entity_id_seq', 100); end $$;
create table location_class (id serial primary key, class text);
create function add_class(c text) returns void language sql as $$
  insert into location_class (class) values (c)
  on conflict on constraint location_class_pkey do nothing;
$$;
create table "Acme" (id serial primary key);
create function acme_next() returns bigint language sql
as $$ select nextval('public."Acme_id_seq"') $$;
alter table transactions rename to gl;
alter table entity rename to entities;
alter table location_class rename to location_classes;
alter table "Acme" rename to "AcmeCorp";
"""

# Resolved when created (14+): never a text reference.
ATOMIC = """
create function safe_next() returns bigint
begin atomic select nextval('transactions_id_seq'); end;
"""

REFUSED = {
    "transactions_id_seq",
    "entity_id_seq",
    "location_class_pkey",
    "Acme_id_seq",
}


@pytest.fixture
def ledger(db: TestDB) -> Iterator[TestDB]:
    run_sql(db.dsn, LEDGER + (ATOMIC if db.server.major >= 14 else ""))
    yield db


def _query(dsn: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query.encode()).fetchall()


def _relations(dsn: str) -> set[str]:
    rows = _query(
        dsn,
        "select relname::text from pg_class where relnamespace = 'public'::regnamespace"
        " union all select conname::text from pg_constraint"
        " where connamespace = 'public'::regnamespace",
    )
    return {name for (name,) in rows}


def _bodies(dsn: str) -> list[tuple[Any, ...]]:
    return _query(
        dsn,
        "select proname::text, prosrc from pg_proc"
        " where pronamespace = 'public'::regnamespace order by 1",
    )


def test_the_catalog_reads_text_defaults_and_bodies(ledger: TestDB) -> None:
    with psycopg.connect(ledger.dsn) as conn:
        texts = read_catalog(conn).texts
    kinds = sorted((t.kind, t.owner, t.detail) for t in texts)
    assert kinds == [
        ("default", "entities", "id"),
        ("function", "acme_next()", "sql"),
        ("function", "add_class(c text)", "sql"),
        ("function", "post_ar(amount numeric)", "plpgsql"),
        ("procedure", "bump()", "plpgsql"),
    ]  # no regclass defaults, no BEGIN ATOMIC body
    (default,) = [t for t in texts if t.kind == "default"]
    assert default.text == "nextval(('entity_id_seq'::text)::regclass)"


def test_scan_lists_them(ledger: TestDB) -> None:
    result = seqcheck("scan", ledger.dsn, "--format", "json")
    assert result.code == 1, result
    doc = json.loads(result.out)
    found = {
        f["name"]: f["text_references"]
        for table in doc["tables"]
        for f in table["findings"]
        if f["text_references"]
    }
    assert set(found) == REFUSED
    assert found["transactions_id_seq"] == [
        {
            "kind": "function-body",
            "where": "function public.post_ar(amount numeric)",
            "text": "INSERT INTO ar (id, amount) VALUES"
            " (currval('transactions_id_seq'), amount);",
        },
        {
            "kind": "function-body",
            "where": "function public.post_ar(amount numeric)",
            "text": "RETURN currval('transactions_id_seq');",
        },
    ]
    assert found["entity_id_seq"] == [
        {
            "kind": "default",
            "where": "column public.entities.id default",
            "text": "nextval(('entity_id_seq'::text)::regclass)",
        },
        {
            "kind": "function-body",
            "where": "procedure public.bump()",
            "text": "begin perform setval('public.entity_id_seq', 100); end",
        },
    ]
    assert [r["kind"] for r in found["location_class_pkey"]] == ["on-conflict"]
    assert [r["where"] for r in found["Acme_id_seq"]] == ["function public.acme_next()"]

    table = seqcheck("scan", ledger.dsn)
    assert table.code == 1
    assert (
        "  note: transactions_id_seq is named as text (a textual match: it may"
        " over-report); left out of the plan" in table.out
    )
    assert "    column public.entities.id default: nextval((" in table.out
    assert "4 objects named as text" in table.out


def test_fix_leaves_them_out_then_renames_them_when_allowed(ledger: TestDB) -> None:
    dsn = ledger.dsn
    bodies = _bodies(dsn)
    dry = seqcheck("fix", dsn)
    assert dry.code == 1, dry
    assert "Left out (4 objects named as text" in dry.out
    assert dry.err.startswith("seqcheck: warning: not renaming public.")
    assert all(f"public.{name}" in dry.err for name in REFUSED)
    script = seqcheck("fix", dsn, "--format", "sql").out
    assert '"gl_pkey"' in script
    assert not any(f'"{name}"' in script for name in REFUSED)

    applied = seqcheck("fix", dsn, "--apply")
    assert applied.code == 1, applied
    assert "Left as they are (4 findings)" in applied.out
    assert "[named as text: rename with --allow-text-references]" in applied.out
    names = _relations(dsn)
    assert names >= REFUSED
    assert {"gl_pkey", "entities_pkey", "entities_code_key", "AcmeCorp_pkey"} <= names
    assert "location_classes_pkey" not in names
    # What names the sequences as text still works: nothing it names moved.
    assert _query(dsn, "select post_ar(5)") == [(1,)]
    assert seqcheck("fix", dsn, "--apply").code == 1  # still only those left

    allowed = seqcheck("fix", dsn, "--apply", "--allow-text-references")
    assert (allowed.code, allowed.err) == (0, ""), allowed
    assert "Named as text under their old names" in allowed.out
    assert "    function public.post_ar(amount numeric): RETURN currval(" in allowed.out
    names = _relations(dsn)
    assert not REFUSED & names
    assert {"gl_id_seq", "entities_id_seq", "location_classes_pkey"} <= names
    assert "AcmeCorp_id_seq" in names
    assert _bodies(dsn) == bodies  # never rewritten
    (default,) = _query(
        dsn,
        "select pg_get_expr(adbin, adrelid) from pg_attrdef"
        " where adrelid = 'entities'::regclass",
    )
    assert default == ("nextval(('entity_id_seq'::text)::regclass)",)
    assert seqcheck("scan", dsn).code == 0
    with pytest.raises(psycopg.errors.UndefinedTable):
        _query(dsn, "select post_ar(5)")  # the reason for the refusal


def test_allowed_plan_includes_them(ledger: TestDB) -> None:
    script = seqcheck("fix", ledger.dsn, "-f", "sql", "--allow-text-references")
    assert script.code == 1 and script.err == "", script
    assert all(f'"{name}"' in script.out for name in REFUSED)
