"""The github format: escaped annotations, one per finding, and a step summary.

Annotations are parsed back the way the Actions runner parses workflow
commands (``ActionCommand.TryParseV2``: the name, ``key=value`` properties
split on ``,``, the message after the second ``::``, then unescaped), so a
name that could end a command or forge a property is caught.
"""

from __future__ import annotations

import dataclasses
import re

from seqcheck.findings import Kind, Tier
from seqcheck.plan import make_plan
from seqcheck.render import FORMATS, Report
from seqcheck.render.github import (
    MAX_SUMMARY_ROWS,
    escape_data,
    escape_property,
    summary,
)
from tests.builders import SERVER, catalog_for, drift_of, finding
from tests.render.hostile import SCHEMA, TABLE, hostile_report, match_snapshot

ANNOTATION = re.compile(r"^::(error|notice|warning)[ :]")


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ",")):
        text = text.replace(code, char)
    return text.replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """Parse one workflow command as the runner does."""
    assert line.startswith("::")
    end = line.index("::", 2)
    info, message = line[2:end], line[end + 2 :]
    name, _, props = info.partition(" ")
    properties: dict[str, str] = {}
    for pair in props.split(",") if props else ():
        key, sep, value = pair.partition("=")
        assert sep, (pair, line)
        properties[key] = unescape_property(value)
    return name, properties, unescape_data(message)


def test_snapshot() -> None:
    match_snapshot("hostile.github.txt", FORMATS["github"](hostile_report()))


def test_summary_snapshot() -> None:
    match_snapshot("hostile.github-summary.md", summary(hostile_report()))


def test_escaping_is_command_ts() -> None:
    assert escape_data("100%\r\nx: a,b") == "100%25%0D%0Ax: a,b"
    assert escape_property("100%\r\nx: a,b") == "100%25%0D%0Ax%3A a%2Cb"
    # '%' first, so an escape sequence already in a name survives a round trip.
    assert escape_property("%0A") == "%250A"
    assert unescape_property(escape_property("%3A:,%2C")) == "%3A:,%2C"


def test_one_annotation_per_finding_that_parses_back() -> None:
    report = hostile_report()
    lines = FORMATS["github"](report).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == len(report.drift.findings) == 9
    assert lines[-1] == (
        "9 findings (5 certain, 1 likely, 2 custom, 1 index-column)"
        " in 42 tables checked."
    )
    by_name: dict[str, tuple[str, dict[str, str], str]] = {}
    for line, found in zip(annotations, report.drift.findings, strict=True):
        name, properties, message = parse(line)
        assert list(properties) == ["title"]  # no file: findings have no location
        assert "\x1b" not in line and "\r" not in line
        by_name[found.name] = (name, properties, message)
    level, properties, message = by_name["Mara\nthon_pkey"]
    assert level == "error"
    assert properties["title"] == (
        f"SC102 primary-key-name (certain) on {SCHEMA}.{TABLE}"
    )
    first, fix, lock = message.split("\n")
    assert first == (
        f"{SCHEMA}.{TABLE}: pkey 'Mara\\nthon_pkey' should be"
        f" '{TABLE}_pkey' (table renamed)"
    )
    assert fix == (
        'fix: ALTER INDEX "we""ird sch:ema"."Mara\\nthon_pkey"'
        f' RENAME TO "{TABLE}_pkey";'
    )
    assert lock == "lock: ShareUpdateExclusiveLock on the index"


def test_levels() -> None:
    report = hostile_report()
    levels = {
        f.tier: parse(line)[0]
        for f, line in zip(
            report.drift.findings,
            FORMATS["github"](report).splitlines(),
            strict=False,
        )
    }
    assert levels == {
        Tier.CERTAIN: "error",
        Tier.LIKELY: "error",
        Tier.CUSTOM: "error",  # --strict
        Tier.INDEX_COLUMN: "notice",
    }
    lenient = dataclasses.replace(report, strict=False)
    lines = FORMATS["github"](lenient).splitlines()
    custom = [
        parse(line)[0]
        for f, line in zip(lenient.drift.findings, lines, strict=False)
        if f.tier is Tier.CUSTOM
    ]
    assert custom == ["notice", "notice"]


def test_summary_table_has_one_row_per_finding_and_escapes_cells() -> None:
    text = summary(hostile_report())
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 9  # header and findings
    for row in rows:
        # Seven cells: every '|' inside a name is escaped.
        assert len(re.findall(r"(?<!\\)\|", row)) == 8, row
    assert "Rename script" in text
    assert "\x1b" not in text


def test_summary_escapes_markdown_in_names() -> None:
    found = (
        finding(Kind.PKEY, "a|b`c*_pkey", "t_pkey", table="t|<b>"),
        finding(Kind.UNIQUE, "[x](y)_key", "t_x_key", table="t|<b>"),
    )
    report = Report(
        drift_of(found),
        make_plan(drift_of(found), catalog_for(found), include={Tier.CERTAIN}),
        SERVER,
        "0.1.0",
    )
    text = summary(report)
    assert "a\\|b\\`c\\*\\_pkey" in text
    assert "t\\|\\<b\\>" in text
    assert "\\[x\\]\\(y\\)\\_key" in text


def test_summary_is_capped() -> None:
    found = tuple(
        finding(Kind.PKEY, f"old{n}_pkey", f"t{n}_pkey", table=f"t{n}")
        for n in range(MAX_SUMMARY_ROWS + 7)
    )
    drift = drift_of(found)
    report = Report(drift, make_plan(drift, catalog_for(found)), SERVER, "0.1.0")
    text = summary(report)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + MAX_SUMMARY_ROWS
    assert "… and 7 more (see the JSON report)." in text


def test_clean() -> None:
    report = hostile_report(clean=True)
    assert FORMATS["github"](report) == "No drift in 1 table.\n"
    assert summary(report) == (
        "### seqcheck: app \\(PostgreSQL 15\\.18\\)\n\nNo drift in 1 table\\.\n"
    )


def test_deterministic() -> None:
    assert FORMATS["github"](hostile_report()) == FORMATS["github"](hostile_report())
