"""Replay ../shared/naming_cases.json on real servers, and judge every name read back.

Each case runs in an empty schema first on ``search_path``. The names the server
gives must be those the case records (the server is the truth), and seqcheck must
read each generated one as PostgreSQL's default: no finding on a fresh build, and
the stale names found after a rename.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from seqcheck.catalog import read_catalog
from seqcheck.drift import Scope, find_drift
from seqcheck.evidence import judge
from seqcheck.findings import Tier
from seqcheck.naming import encoding_for
from seqcheck.rules import RULES
from tests.fix_server import TestDB

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "naming_cases.json").read_text(encoding="utf-8")
)
# Rename cases whose every stale name keeps its evidence in the catalog.
ALL_FOUND = {"E01", "E02", "E06", "D12"}

READ_BACK = """
with ns as (select oid from pg_namespace where nspname = 'nc'),
seqs as (
  select 'seq' as kind, t.relname::text as tab, a.attname::text as detail, '' as ref,
         c.relname::text as name, c.oid::int8 as ord
  from pg_class c
  join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
       and d.refclassid = 'pg_class'::regclass and d.deptype in ('a','i')
       and d.refobjsubid > 0
  join pg_class t on t.oid = d.refobjid
  join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
  where c.relkind = 'S' and c.relnamespace = (select oid from ns)),
idx as (
  select case con.contype when 'p' then 'pkey' when 'u' then 'unique'
              when 'x' then 'excl' else 'index' end as kind,
         t.relname::text as tab,
         array_to_string(array(select attname::text from pg_attribute
                 where attrelid = c.oid and attnum > 0 order by attnum), ',') as detail,
         '' as ref, c.relname::text as name, c.oid::int8 as ord
  from pg_class c join pg_index i on i.indexrelid = c.oid
  join pg_class t on t.oid = i.indrelid
  left join pg_constraint con on con.conindid = c.oid and con.conrelid = i.indrelid
       and con.contype in ('p','u','x')
  where c.relnamespace = (select oid from ns) and c.relkind in ('i','I')),
cons as (
  select case con.contype when 'c' then 'check' when 'f' then 'fkey'
              when 'n' then 'not_null' end as kind,
         t.relname::text as tab,
         coalesce(array_to_string(array(
            select coalesce(a.attname::text, case when k.n = 0 then '*' else '?' end)
            from unnest(con.conkey) with ordinality k(n, o)
            left join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n
            order by k.o), ','), '') as detail,
         case when con.contype = 'f'
              then (select relname::text from pg_class where oid = con.confrelid)
              else '' end as ref,
         con.conname::text as name, con.oid::int8 as ord
  from pg_constraint con join pg_class t on t.oid = con.conrelid
  where con.connamespace = (select oid from ns) and con.contype in ('c','f','n')),
domcons as (
  select case con.contype when 'c' then 'domain_check'
              when 'n' then 'domain_not_null' end as kind,
         ty.typname::text as tab, '' as detail, '' as ref, con.conname::text as name,
         con.oid::int8 as ord
  from pg_constraint con join pg_type ty on ty.oid = con.contypid
  where con.connamespace = (select oid from ns) and con.contypid <> 0),
stats as (
  select 'stat' as kind, t.relname::text as tab,
         array_to_string(array(select attname::text
                from unnest(s.stxkeys::int2[]) with ordinality k(n,o)
                join pg_attribute a on a.attrelid = s.stxrelid and a.attnum = k.n
                order by k.o), ',')
         -- stxexprs is new in 14
         || case when to_jsonb(s) ->> 'stxexprs' is not null then '+exprs' else '' end
         as detail,
         '' as ref, s.stxname::text as name, s.oid::int8 as ord
  from pg_statistic_ext s join pg_class t on t.oid = s.stxrelid
  where s.stxnamespace = (select oid from ns))
select kind, tab, detail, ref, name from (
  select * from seqs union all select * from idx union all select * from cons
  union all select * from domcons union all select * from stats) x
order by kind, tab, detail, ord
"""


def _read_back(conn: psycopg.Connection[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind, tab, detail, ref, name in conn.execute(READ_BACK).fetchall():
        if kind in ("seq", "not_null"):
            key = f"{kind} {tab}.{detail}"
        elif kind.startswith("domain_"):
            key = f"{kind} {tab}"
        else:
            key = f"{kind} {tab}({detail})"
        if ref:
            key += f"->{ref}"
        base, number = key, 1
        while key in out:
            number += 1
            key = f"{base}#{number}"
        out[key] = name
    return out


def _applies(case: dict[str, Any], major: int) -> bool:
    return int(case["version_min"]) <= major <= int(case.get("version_max", 99))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], db: TestDB) -> None:
    major = db.server.major
    if not _applies(case, major):
        pytest.skip(f"{case['id']} covers {case['version_min']}+, server is {major}")
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        conn.execute("create schema nc; set search_path = nc, public")
        if "expected_error" in case:
            with pytest.raises(psycopg.Error, match=case["expected_error"]):
                conn.execute(case["sql"])
            return
        conn.execute(case["sql"])
        truth = _read_back(conn)
        for key, name in case["expected"].items():
            assert truth.get(key) == name, key
        for key in case.get("absent", []):
            assert key not in truth
        catalog = read_catalog(conn)
    drift = find_drift(catalog, Scope(schemas=("nc",)))
    reported = {f.name for f in drift.findings if f.tier in (Tier.CERTAIN, Tier.LIKELY)}
    sql_text = case["sql"]
    generated = {n for n in case["expected"].values() if n not in sql_text}
    renamed = "rename" in sql_text.lower()
    if not renamed:
        assert reported == set(), "fresh build reported as drift"
        enc = encoding_for(catalog.server.encoding)
        tables = {t.oid: t for t in catalog.tables}
        subjects = {s.name: s for r in RULES for s in r.subjects(catalog, tables)}
        # Names absent from the subjects follow a parent (clones, inherited copies);
        # LIKE copies check and NOT NULL names verbatim (judged by the copy guard).
        judged = set() if "like" in sql_text.lower() else generated & subjects.keys()
        for name in judged:
            verdict = judge(subjects[name], {}, enc)
            assert verdict is None or verdict.clean_digits, name
    else:
        # PostgreSQL 18 adds NOT NULL names that the case does not list.
        assert reported <= set(truth.values())
        if case["id"] in ALL_FOUND:
            assert generated <= reported
