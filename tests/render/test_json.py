"""The json format: the documented shape, field by field, on hostile names."""

from __future__ import annotations

import json

from seqcheck.render import FORMATS
from tests.render.hostile import LONG, SCHEMA, TABLE, hostile_report, match_snapshot

FINDING_KEYS = [
    "code",
    "kind",
    "tier",
    "reason",
    "name",
    "expected",
    "stale",
    "statement",
    "lock",
    "text_references",
]


def test_snapshot() -> None:
    match_snapshot("hostile.json", FORMATS["json"](hostile_report()))


def test_shape() -> None:
    doc = json.loads(FORMATS["json"](hostile_report()))
    assert list(doc) == ["version", "tool", "database", "summary", "tables"]
    assert doc["version"] == 1
    assert doc["tool"] == "seqcheck 0.1.0"
    assert doc["database"] == {"name": "app", "server_version": "15.18"}
    assert doc["summary"] == {
        "tables_checked": 42,
        "findings": 9,
        "certain": 5,
        "likely": 1,
        "custom": 2,
        "index_column": 1,
    }
    for table in doc["tables"]:
        assert list(table) == ["schema", "table", "renamed_from", "findings"]
        for item in table["findings"]:
            assert list(item) == FINDING_KEYS


def test_names_round_trip_exactly() -> None:
    doc = json.loads(FORMATS["json"](hostile_report()))
    snickers = next(t for t in doc["tables"] if t["table"] == TABLE)
    assert snickers["schema"] == SCHEMA
    assert snickers["renamed_from"] == ["Mara\nthon", "marathon"]
    names = {f["name"] for f in snickers["findings"]}
    assert {"Mara\nthon_pkey", "😀 marathon_id_seq", LONG} <= names


def test_a_swap_lists_every_statement_of_the_finding() -> None:
    doc = json.loads(FORMATS["json"](hostile_report()))
    a = next(t for t in doc["tables"] if t["table"] == "a")
    (pkey,) = a["findings"]
    assert pkey["statement"] == (
        'ALTER INDEX "public"."b_pkey" RENAME TO "b_pkey_seqcheck_tmp";'
        ' ALTER INDEX "public"."b_pkey_seqcheck_tmp" RENAME TO "a_pkey";'
    )
    assert pkey["lock"] == "ShareUpdateExclusiveLock on the index"


def test_clean() -> None:
    doc = json.loads(FORMATS["json"](hostile_report(clean=True)))
    assert doc["tables"] == []
    assert doc["summary"]["findings"] == 0


def test_deterministic() -> None:
    assert FORMATS["json"](hostile_report()) == FORMATS["json"](hostile_report())


def test_text_references() -> None:
    doc = json.loads(FORMATS["json"](hostile_report()))
    snickers = next(t for t in doc["tables"] if t["table"] == TABLE)
    found = {f["name"]: f["text_references"] for f in snickers["findings"]}
    assert found["😀 marathon_id_seq"] == [
        {
            "kind": "default",
            "where": f"column {SCHEMA}.{TABLE}.legacy\tid default",
            "text": 'nextval((\'"we""ird sch:ema"."😀 marathon_id_seq"\'::text)'
            "::regclass)",
        }
    ]
    (conflict,) = found["Mara\nthon_pkey"]
    assert conflict["kind"] == "on-conflict"
    assert conflict["where"] == f"function {SCHEMA}.up\x1bsert(x integer)"
    assert found[LONG] == []
