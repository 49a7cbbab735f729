"""The junit format: one test case per table with findings, parsed by junitparser.

JUnit XML has no official schema (TESTING.md): the de-facto
``testsuites/testsuite/testcase/failure`` layout is checked by parsing it with
junitparser, as GitHub, GitLab and Jenkins plugins do.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from junitparser import Failure, JUnitXml, TestCase, TestSuite

from seqcheck.render import FORMATS
from tests.render.hostile import LONG, SCHEMA, TABLE, hostile_report, match_snapshot


def suite_of(text: str) -> TestSuite:
    xml = JUnitXml.fromstring(text)
    suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
    assert len(suites) == 1
    suite = suites[0]
    assert isinstance(suite, TestSuite)
    return suite


def cases_of(suite: TestSuite) -> dict[tuple[str, str], TestCase]:
    return {(case.classname, case.name): case for case in suite}


def test_snapshot() -> None:
    match_snapshot("hostile.junit.xml", FORMATS["junit"](hostile_report()))


def test_parses_with_junitparser() -> None:
    text = FORMATS["junit"](hostile_report())
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites ")
    ET.fromstring(text)  # well-formed
    suite = suite_of(text)
    assert suite.name == "seqcheck app"
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (6, 5, 0, 0)
    cases = cases_of(suite)
    assert list(cases) == [
        ("public", "a"),
        ("public", "b"),
        (SCHEMA, TABLE),
        (SCHEMA, "ma:ss"),
        (SCHEMA, "t"),
        ("seqcheck", "37 tables without drift"),
    ]
    assert cases[("seqcheck", "37 tables without drift")].is_passed
    props = {
        p.get("name"): p.get("value")
        for p in ET.fromstring(text).iterfind("testsuite/properties/property")
    }
    assert props["tables_checked"] == "42"
    assert props["server_version"] == "15.18"


def test_failure_lists_the_tables_findings() -> None:
    cases = cases_of(suite_of(FORMATS["junit"](hostile_report())))
    snickers = cases[(SCHEMA, TABLE)]
    (failure,) = snickers.result
    assert isinstance(failure, Failure)
    assert failure.message == f"3 drifted names on {SCHEMA}.{TABLE}"
    assert failure.type == "seqcheck.drift"
    text = failure.text or ""
    assert text.count("\n  fix: ") == 3
    assert "SC102 certain: pkey 'Mara\\nthon_pkey' should be" in text
    assert f"'{LONG}'" in text
    # The stale index column does not fail the table: it is listed as output.
    assert "SC111 index-column" not in text
    assert "SC111 index-column" in (snickers.system_out or "")


def test_invisible_characters_are_escaped() -> None:
    text = FORMATS["junit"](hostile_report())
    assert "\x1b" not in text
    assert "\\x1b[31mred_check" in text
    t = cases_of(suite_of(text))[(SCHEMA, "t")]
    assert "'\\x1b[31mred_check'" in (t.result[0].text or "")


def test_clean() -> None:
    text = FORMATS["junit"](hostile_report(clean=True))
    suite = suite_of(text)
    assert (suite.tests, suite.failures) == (1, 0)
    (case,) = suite
    assert (case.name, case.is_passed) == ("1 table without drift", True)


def test_deterministic() -> None:
    assert FORMATS["junit"](hostile_report()) == FORMATS["junit"](hostile_report())
