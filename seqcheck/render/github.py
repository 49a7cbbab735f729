"""The ``github`` format: workflow-command annotations, and a step summary.

Stage: render. Pure. One annotation per finding, without a file location
(findings have none): ``::error`` for a finding that fails the scan,
``::notice`` for the rest (``index-column``). Data and properties are escaped
exactly as ``actions/toolkit: packages/core/src/command.ts`` does, so a name
holding ``%``, ``,``, ``:`` or a newline cannot end a command or forge
another. Control characters in names are first shown as ``\\n`` or ``\\x1b``,
so no name reaches the log as an escape code or a line break.

:func:`summary` returns the markdown table that ``cli.py`` appends to the
file named by ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from seqcheck.findings import Tier
from seqcheck.render.report import fails, fixes, rule_title, tally, visible
from seqcheck.render.table import shown

if TYPE_CHECKING:
    from seqcheck.findings import Finding
    from seqcheck.render.report import Databases, Fix, Report

__all__ = [
    "MAX_SUMMARY_ROWS",
    "escape_data",
    "escape_property",
    "render",
    "several",
    "several_summary",
    "summary",
]

#: Rows in the step summary table; the rest are counted (GitHub caps a summary
#: at 1 MiB, and the JSON report has every finding).
MAX_SUMMARY_ROWS = 500

# Found with a regular expression: str.translate with a table of strings took
# 3.5 µs for a message of 140 characters with nothing to escape, this 1.1 µs.
_ESCAPED = {"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"}
_DATA = re.compile(r"[%\r\n]")
_PROPERTY = re.compile(r"[%\r\n:,]")
# Every ASCII punctuation character can be backslash-escaped in CommonMark.
_MARKDOWN = re.compile(r"([!-/:-@\[-`{-~])")


def escape_data(text: str) -> str:
    """Escape a workflow command's message as command.ts's ``escapeData``."""
    return _DATA.sub(_escaped, text)


def escape_property(text: str) -> str:
    """Escape a workflow command's property as command.ts's ``escapeProperty``."""
    return _PROPERTY.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    return _ESCAPED[match[0]]


def command(name: str, properties: dict[str, str], message: str) -> str:
    """Return ``::name key=value,…::message`` as command.ts's ``Command`` does.

    Empty properties are left out, as there.
    """
    text = "::" + name
    shown_properties = [f"{k}={escape_property(v)}" for k, v in properties.items() if v]
    if shown_properties:
        text += " " + ",".join(shown_properties)
    return text + "::" + escape_data(message)


def render(report: Report) -> str:
    """Return one annotation per finding, then a plain summary line."""
    fixed = fixes(report.plan)
    lines = [_annotation(report, f, fixed.get(f)) for f in report.drift.findings]
    lines.append(_headline(report))
    return "\n".join(lines) + "\n"


def several(scans: Databases) -> str:
    """Return the annotations of every database, then one line per database.

    Each annotation's title names its database; a database that could not be
    scanned is one ``::error`` annotation with the error.
    """
    lines: list[str] = []
    heads: list[str] = []
    for database in scans.databases:
        name = visible(database.name)
        report = database.report
        if report is None:
            error = visible(database.error or "")
            lines.append(command("error", {"title": f"seqcheck: {name}"}, error))
            heads.append(f"{name}: error: {error}")
            continue
        fixed = fixes(report.plan)
        lines += [
            _annotation(report, f, fixed.get(f), name) for f in report.drift.findings
        ]
        heads.append(f"{name}: {_headline(report)}")
    lines += [*heads, tally(scans)]
    return "\n".join(lines) + "\n"


def several_summary(scans: Databases) -> str:
    """Return the step summaries of every database, one after the other.

    Each section is headed by the database's name; a database that could not
    be scanned has its error instead of a table.
    """
    sections = [f"## seqcheck: {_markdown(tally(scans))}\n"]
    for database in scans.databases:
        if database.report is None:
            title = _markdown(shown(database.name))
            error = _markdown(shown(database.error or ""))
            sections.append(f"### seqcheck: {title}\n\nError: {error}\n")
        else:
            sections.append(summary(database.report, database.name))
    return "\n".join(sections)


def summary(report: Report, name: str | None = None) -> str:
    """Return the markdown step summary: a headline and a table of findings.

    :param name: the database's name in the headline (default: as the
        server calls it).
    """
    drift = report.drift
    database = f"{name or report.server.database} (PostgreSQL {report.server_version})"
    lines = [
        f"### seqcheck: {_markdown(shown(database))}",
        "",
        _markdown(_headline(report)),
    ]
    if not drift.findings:
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "| tier | table | kind | name | expected | reason | rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for finding in drift.findings[:MAX_SUMMARY_ROWS]:
        code, (name, _) = finding.code, rule_title(finding.code)
        cells = (
            finding.tier.value,
            f"{finding.schema}.{finding.table}",
            finding.kind.value,
            finding.name,
            finding.expected,
            finding.reason.value,
            f"{code} {name}",
        )
        lines.append("| " + " | ".join(_markdown(shown(c)) for c in cells) + " |")
    left = len(drift.findings) - MAX_SUMMARY_ROWS
    if left > 0:
        lines += ["", f"… and {left} more (see the JSON report)."]
    if report.plan.steps:
        lines += ["", f"Rename script: `seqcheck {report.command} --format sql`"]
    return "\n".join(lines) + "\n"


def _annotation(
    report: Report,
    finding: Finding,
    fix: Fix | None,
    database: str | None = None,
) -> str:
    """Return *finding*'s annotation; its title names *database*, if given."""
    name, _ = rule_title(finding.code)
    where = visible(f"{finding.schema}.{finding.table}")
    message = f"{where}: {visible(finding.message)}"
    if fix is not None:
        message += f"\nfix: {visible(fix.statement)}\nlock: {fix.lock}"
    level = "error" if fails(report, finding) else "notice"
    title = f"{finding.code} {name} ({finding.tier.value}) on {where}"
    if database is not None:
        title += f" in {database}"
    return command(level, {"title": title}, message)


def _headline(report: Report) -> str:
    drift = report.drift
    tables = f"{drift.tables_checked} table{'' if drift.tables_checked == 1 else 's'}"
    if not drift.findings:
        return f"No drift in {tables}."
    counts = report.counts()
    parts = [f"{counts[tier]} {tier.value}" for tier in Tier if counts[tier]]
    found = len(drift.findings)
    return (
        f"{found} finding{'' if found == 1 else 's'}"
        f" ({', '.join(parts)}) in {tables} checked."
    )


def _markdown(text: str) -> str:
    """Return *text* as literal markdown: punctuation escaped, pipes too."""
    return _MARKDOWN.sub(r"\\\1", text)
