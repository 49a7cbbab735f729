"""Every format's ``several``: the hostile fixture under hostile database names.

Database names come from DSNs, so they may hold quotes, ``%``, ``,``, ``:``,
newlines and emoji too; each format escapes them at its edge. One database is
the hostile report, one is clean, one could not be scanned.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from junitparser import Error, JUnitXml, TestSuite

from seqcheck.render import FORMATS, SEVERAL, Database, Databases
from seqcheck.render import github as render_github
from seqcheck.render import table as render_table
from tests.render.hostile import hostile_report, match_snapshot
from tests.render.test_github import parse
from tests.render.test_sarif import validate

NAME = 'we"ird, 100%: d\nb 😀 on /tmp port 5432'
SHOWN = 'we"ird, 100%: d\\nb 😀 on /tmp port 5432'  # as the formats show it
CLEAN = "clean on db.example port 5432"
FAILED = "gone on db.example port 1"
ERROR = "could not connect to db.example port 1: connection refused (is it up?)"


def scans(*, colour: bool = False) -> Databases:
    return Databases(
        (
            Database(NAME, 1, hostile_report(colour=colour)),
            Database(CLEAN, 0, hostile_report(clean=True)),
            Database(FAILED, 2, error=ERROR),
        ),
        "0.1.0",
        colour,
    )


def test_every_format_but_alembic_has_several() -> None:
    assert set(SEVERAL) == set(FORMATS) - {"alembic"}


@pytest.mark.parametrize(
    ("fmt", "snapshot"),
    [
        ("table", "several.table.txt"),
        ("json", "several.json"),
        ("sql", "several.sql"),
        ("github", "several.github.txt"),
        ("junit", "several.junit.xml"),
        ("sarif", "several.sarif.json"),
    ],
)
def test_snapshots_and_determinism(fmt: str, snapshot: str) -> None:
    text = SEVERAL[fmt](scans())
    assert text == SEVERAL[fmt](scans())
    match_snapshot(snapshot, text)


def test_table() -> None:
    text = SEVERAL["table"](scans())
    heads = [line for line in text.splitlines() if line.startswith("== ")]
    report = hostile_report()
    assert heads == [
        f"== {SHOWN}: {render_table.summary(report)}",
        f"== {CLEAN}: No drift in 1 table.",
        f"== {FAILED}: error: {ERROR}",
    ]
    assert render_table.render(report) in text
    assert text.endswith("3 databases: 1 with drift, 1 clean, 1 not scanned (error).\n")
    coloured = SEVERAL["table"](scans(colour=True))
    assert f"\x1b[1m== {CLEAN}: No drift in 1 table.\x1b[0m" in coloured


def test_json() -> None:
    doc = json.loads(SEVERAL["json"](scans()))
    single = json.loads(FORMATS["json"](hostile_report()))
    assert doc == {
        "version": 1,
        "tool": "seqcheck 0.1.0",
        "databases": [
            {"dsn": NAME, "exit": 1, "error": None, "report": single},
            {
                "dsn": CLEAN,
                "exit": 0,
                "error": None,
                "report": json.loads(FORMATS["json"](hostile_report(clean=True))),
            },
            {"dsn": FAILED, "exit": 2, "error": ERROR, "report": None},
        ],
    }


def test_sql() -> None:
    text = SEVERAL["sql"](scans())
    lines = text.splitlines()
    assert lines[0].startswith("-- seqcheck: rename scripts for 3 databases")
    assert f"-- ==== {SHOWN} ====" in lines
    assert f"-- ==== {FAILED} ====" in lines
    assert f"-- not scanned: {ERROR}" in lines
    assert FORMATS["sql"](hostile_report()) in text
    # The name's newline cannot end the comment.
    assert all(line.startswith("--") for line in lines if "d\\nb" in line)


def test_github_and_its_summary() -> None:
    text = SEVERAL["github"](scans())
    report = hostile_report()
    commands = [parse(line) for line in text.splitlines() if line.startswith("::")]
    assert len(commands) == len(report.drift.findings) + 1
    for _, properties, _ in commands[:-1]:
        assert properties["title"].endswith(f" in {SHOWN}")
    level, properties, message = commands[-1]
    assert (level, properties, message) == (
        "error",
        {"title": f"seqcheck: {FAILED}"},
        ERROR,
    )
    single = [parse(line) for line in FORMATS["github"](report).splitlines()[:-1]]
    assert [m for _, _, m in commands[:-1]] == [m for _, _, m in single]
    summary = render_github.several_summary(scans())
    assert render_github.summary(report, NAME).split("\n", 1)[1] in summary
    assert summary.count("\n### seqcheck: ") == 3
    assert "Error: could not connect" in summary


def test_junit() -> None:
    text = SEVERAL["junit"](scans())
    ET.fromstring(text.encode())  # well-formed
    xml = JUnitXml.fromstring(text)
    assert isinstance(xml, JUnitXml)
    suites = list(xml)
    assert all(isinstance(suite, TestSuite) for suite in suites)
    assert [suite.name for suite in suites] == [
        f"seqcheck {SHOWN}",
        f"seqcheck {CLEAN}",
        f"seqcheck {FAILED}",
    ]
    hostile, _, failed = suites
    single = JUnitXml.fromstring(FORMATS["junit"](hostile_report()))
    (alone,) = list(single)
    assert [(c.classname, c.name) for c in hostile] == [
        (c.classname, c.name) for c in alone
    ]
    assert (hostile.failures, failed.errors) == (alone.failures, 1)
    (case,) = list(failed)
    (error,) = case.result
    assert isinstance(error, Error)
    assert error.message == ERROR
    assert xml.tests == sum(suite.tests for suite in suites)
    assert xml.errors == 1


def test_sarif() -> None:
    doc = json.loads(SEVERAL["sarif"](scans()))
    validate(doc)
    single = json.loads(FORMATS["sarif"](hostile_report()))
    hostile, clean, failed = doc["runs"]
    assert hostile["results"] == single["runs"][0]["results"]
    assert hostile["tool"] == single["runs"][0]["tool"]
    assert hostile["properties"]["dsn"] == NAME
    assert [run["automationDetails"]["id"] for run in doc["runs"]] == [
        f"seqcheck/{SHOWN}/",
        f"seqcheck/{CLEAN}/",
        f"seqcheck/{FAILED}/",
    ]
    assert clean["results"] == []
    (invocation,) = failed["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == ERROR
