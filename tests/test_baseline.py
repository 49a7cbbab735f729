"""Baseline files: stable identities, round trips, and errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seqcheck.baseline import VERSION, finding_key, read_baseline, write_baseline
from seqcheck.drift import Scope
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier
from tests.builders import finding, index_column

PKEY = finding(Kind.PKEY, "marathon_pkey", "snickers_pkey", table="snickers")
SEQ = finding(Kind.SEQUENCE, "marathon_id_seq", "snickers_id_seq", table="snickers")
ODD = finding(
    Kind.CHECK, 'we"ird\n😀 %,:', "t_check", table="t", schema="s p", tier=Tier.CUSTOM
)
COLUMN = index_column(PKEY, "weight", "mass", table="snickers")


def test_identity_has_no_oids_and_no_expected_name() -> None:
    assert finding_key(PKEY) == ("public", "snickers", "pkey", "marathon_pkey")
    moved = PKEY._replace(object_oid=1, table_oid=2, expected="snickers_pkey1")
    assert finding_key(moved) == finding_key(PKEY)
    assert finding_key(PKEY._replace(table="bars")) != finding_key(PKEY)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    found = [SEQ, PKEY, ODD, COLUMN, PKEY]
    assert write_baseline(path, found, tool="seqcheck 0.1.0", database="app") == 4
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == VERSION
    # Sorted by identity: schema, table, kind, name.
    assert [e["name"] for e in doc["findings"]] == [
        "marathon_pkey.weight",
        "marathon_pkey",
        "marathon_id_seq",
        'we"ird\n😀 %,:',
    ]
    assert list(doc["findings"][0]) == [
        "schema",
        "table",
        "kind",
        "name",
        "tier",
        "expected",
    ]
    baseline = read_baseline(path)
    assert all(baseline.known(f) for f in found)
    assert not baseline.known(PKEY._replace(name="other_pkey"))


def test_gone_entries_are_judged_only_within_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, [SEQ, PKEY, ODD], tool="t", database="d")
    baseline = read_baseline(path)
    assert baseline.gone([SEQ, PKEY, ODD], Scope(strict=True)) == ()
    assert [e.name for e in baseline.gone([SEQ], Scope(strict=True))] == [
        "marathon_pkey",
        ODD.name,
    ]
    # Without --strict the custom entry was not looked for; nor outside filters.
    assert [e.name for e in baseline.gone([SEQ], Scope())] == ["marathon_pkey"]
    assert baseline.gone([SEQ], Scope(exclude_tables=("snickers",))) == ()
    assert baseline.gone([SEQ], Scope(kinds=frozenset({Kind.SEQUENCE}))) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "is not JSON"),
        ('{"version": 2, "findings": []}', "has version 2, not 1"),
        ("[]", "has version None"),
        ('{"version": 1}', "'findings' is not a list"),
        ('{"version": 1, "findings": [3]}', "findings[0] is not an object"),
        (
            '{"version": 1, "findings": [{"schema": "s", "table": "t", "kind": "k",'
            ' "name": "n", "tier": "certain"}]}',
            "findings[0]: 'k' is not a valid Kind",
        ),
        (
            '{"version": 1, "findings": [{"schema": "s", "table": "t",'
            ' "kind": "pkey", "tier": "certain"}]}',
            "findings[0]: 'name' is missing or not a string",
        ),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeqcheckError) as caught:
        read_baseline(path)
    assert str(path) in caught.value.message
    assert message in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SeqcheckError, match="cannot read baseline") as caught:
        read_baseline(tmp_path / "nope.json")
    assert caught.value.hint == "write one with seqcheck scan --write-baseline FILE"
