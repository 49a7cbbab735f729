"""The ``junit`` format: JUnit XML, one test case per table, failures for drift.

Stage: render. Pure. The de-facto ``testsuites/testsuite/testcase/failure``
layout that GitHub, GitLab and Jenkins read (JUnit XML has no official
schema). A table with findings that fail the scan is a failing test case whose
``failure`` lists them; a table with only ``index-column`` findings passes and
lists them in ``system-out``. The drift result counts the other tables checked
but does not name them, so they are one passing test case carrying their
count.

Escaped at the edge by :mod:`xml.etree.ElementTree`; characters XML 1.0
cannot hold (controls, lone surrogates), and line breaks in names, are first
shown as ``\\x1b``, ``\\n``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from seqcheck.render.report import by_table, fails, fixes, visible

if TYPE_CHECKING:
    from seqcheck.findings import Finding
    from seqcheck.render.report import Databases, Fix, Report

__all__ = ["render", "several", "testsuite"]


def render(report: Report) -> str:
    """Return *report* as a JUnit XML document, one trailing newline."""
    suite = testsuite(report)
    root = ET.Element("testsuites", dict(suite.attrib))
    root.append(suite)
    return _document(root)


def several(scans: Databases) -> str:
    """Return one ``testsuite`` per database inside ``testsuites``.

    A database that could not be scanned is a suite of one test case in
    error, with the error as its message.
    """
    suites = [
        _error_suite(database.name, database.error or "")
        if database.report is None
        else testsuite(database.report, database.name)
        for database in scans.databases
    ]
    totals = {
        key: str(sum(int(suite.get(key, "0")) for suite in suites))
        for key in ("tests", "failures", "errors", "skipped")
    }
    root = ET.Element("testsuites", {"name": "seqcheck", **totals, "time": "0"})
    root.extend(suites)
    return _document(root)


def testsuite(report: Report, name: str | None = None) -> ET.Element:
    """Return the ``testsuite`` of *report*: one test case per checked table.

    :param name: the database's name (default: as the server calls it); it
        names the suite, and is a ``dsn`` property when given.
    """
    drift = report.drift
    fixed = fixes(report.plan)
    cases: list[ET.Element] = []
    failures = 0
    groups = by_table(drift.findings)
    found = {(schema, table) for schema, table, _ in groups}
    # Every checked table is a test case: those without findings pass.
    groups += [
        (schema, table, [])
        for schema, table in drift.checked
        if (schema, table) not in found
    ]
    groups.sort(key=lambda group: (group[0], group[1]))
    for schema, table, findings in groups:
        case = ET.Element(
            "testcase",
            {
                "classname": visible(schema),
                "name": visible(table),
                "time": "0",
            },
        )
        failing = [f for f in findings if fails(report, f)]
        passing = [f for f in findings if not fails(report, f)]
        if failing:
            failures += 1
            count = len(failing)
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": visible(
                        f"{count} drifted name{'' if count == 1 else 's'}"
                        f" on {schema}.{table}"
                    ),
                    "type": "seqcheck.drift",
                },
            )
            failure.text = _lines(failing, fixed)
        if passing:
            ET.SubElement(case, "system-out").text = _lines(passing, fixed)
        cases.append(case)
    clean = max(drift.tables_checked - len(groups), 0)
    if clean or not cases:  # a Drift that does not name its tables: count them
        cases.append(
            ET.Element(
                "testcase",
                {
                    "classname": "seqcheck",
                    "name": f"{clean} table{'' if clean == 1 else 's'} without drift",
                    "time": "0",
                },
            )
        )
    suite_attrs = {
        "name": visible(f"seqcheck {name or report.server.database}"),
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": "0",
        "time": "0",
    }
    suite = ET.Element("testsuite", suite_attrs)
    properties = ET.SubElement(suite, "properties")
    values = [
        ("tool", f"seqcheck {report.tool_version}"),
        ("database", report.server.database),
        ("server_version", report.server_version),
        ("tables_checked", str(drift.tables_checked)),
        ("findings", str(len(drift.findings))),
    ]
    if name is not None:
        values.append(("dsn", name))
    for key, value in values:
        ET.SubElement(properties, "property", {"name": key, "value": visible(value)})
    suite.extend(cases)
    return suite


def _error_suite(name: str, error: str) -> ET.Element:
    """Return the suite of a database that could not be scanned."""
    suite = ET.Element(
        "testsuite",
        {
            "name": visible(f"seqcheck {name}"),
            "tests": "1",
            "failures": "0",
            "errors": "1",
            "skipped": "0",
            "time": "0",
        },
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "dsn", "value": visible(name)})
    case = ET.SubElement(
        suite, "testcase", {"classname": "seqcheck", "name": "scan", "time": "0"}
    )
    ET.SubElement(
        case, "error", {"message": visible(error), "type": "seqcheck.error"}
    ).text = visible(error)
    return suite


def _document(root: ET.Element) -> str:
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _lines(findings: list[Finding], fixed: dict[Finding, Fix]) -> str:
    """Return one paragraph per finding: code, tier, message, fix and lock."""
    lines: list[str] = []
    for finding in findings:
        message = visible(finding.message)
        lines.append(f"{finding.code} {finding.tier.value}: {message}")
        fix = fixed.get(finding)
        if fix is not None:
            lines.append(f"  fix: {visible(fix.statement)}")
            lines.append(f"  lock: {fix.lock}")
    return "\n".join(lines) + "\n"
