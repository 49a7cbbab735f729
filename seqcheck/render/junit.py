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

from seqcheck.render.report import by_table, fails, fix_text, visible

if TYPE_CHECKING:
    from seqcheck.findings import Finding
    from seqcheck.plan import RenameStep
    from seqcheck.render.report import Report

__all__ = ["render"]


def render(report: Report) -> str:
    """Return *report* as a JUnit XML document, one trailing newline."""
    drift = report.drift
    steps = report.plan.by_finding()
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
            failure.text = _lines(failing, steps)
        if passing:
            ET.SubElement(case, "system-out").text = _lines(passing, steps)
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
        "name": visible(f"seqcheck {report.server.database}"),
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": "0",
        "time": "0",
    }
    root = ET.Element("testsuites", suite_attrs)
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("tool", f"seqcheck {report.tool_version}"),
        ("database", report.server.database),
        ("server_version", report.server_version),
        ("tables_checked", str(drift.tables_checked)),
        ("findings", str(len(drift.findings))),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": visible(value)})
    suite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _lines(
    findings: list[Finding], steps: dict[Finding, tuple[RenameStep, ...]]
) -> str:
    """Return one paragraph per finding: code, tier, message, fix and lock."""
    lines: list[str] = []
    for finding in findings:
        message = visible(finding.message)
        lines.append(f"{finding.code} {finding.tier.value}: {message}")
        fixing = steps.get(finding, ())
        if fixing:
            lines.append(f"  fix: {visible(fix_text(fixing))}")
            lines.append(f"  lock: {fixing[-1].lock}")
    return "\n".join(lines) + "\n"
