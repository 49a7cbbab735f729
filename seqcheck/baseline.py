"""Baselines: today's findings on file, so a scan reports only new drift.

Stage: between drift and render, like the config (DESIGN.md's ``config.py``,
split out by concern). Reads and writes the baseline file; imports findings
and drift types only, never a connection.

A finding is identified by ``(schema, table, kind, name)``: no OIDs, no
expected name (collision digits move when unrelated names change), no tier.
A baseline therefore survives a dump and restore and any change to other
tables; a finding whose table is renamed again is new. The file is JSON,
versioned (``"version": 1``), sorted and indented so it diffs well in git.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from seqcheck.drift import Scope
    from seqcheck.findings import Finding

__all__ = [
    "VERSION",
    "Baseline",
    "Entry",
    "finding_key",
    "read_baseline",
    "write_baseline",
]

#: The file's format version; bump it on any incompatible change.
VERSION = 1

#: ``(schema, table, kind, name)``: what identifies a finding across scans.
Key = tuple[str, str, str, str]
_KEYS = ("schema", "table", "kind", "name")


def finding_key(finding: Finding) -> Key:
    """Return the stable identity of *finding* (see the module docstring)."""
    return (finding.schema, finding.table, finding.kind.value, finding.name)


@dataclass(frozen=True, slots=True)
class Entry:
    """A baseline entry: a finding's identity, and its tier when recorded."""

    schema: str
    table: str
    kind: Kind
    name: str
    tier: Tier
    expected: str = ""

    @property
    def key(self) -> Key:
        """Return the identity this entry matches."""
        return (self.schema, self.table, self.kind.value, self.name)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The findings a team has accepted for now, read from *path*."""

    path: Path
    entries: tuple[Entry, ...]
    keys: frozenset[Key] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(e.key for e in self.entries))

    def known(self, finding: Finding) -> bool:
        """Tell whether *finding* is in the baseline."""
        return finding_key(finding) in self.keys

    def gone(self, findings: Iterable[Finding], scope: Scope) -> tuple[Entry, ...]:
        """Return the entries in *scope* that no finding of today matches.

        Entries outside the scan's filters or reported tiers are not judged:
        a narrower scan did not look for them.
        """
        today = {finding_key(f) for f in findings}
        tiers = scope.tiers | {Tier.INDEX_COLUMN}
        return tuple(
            e
            for e in self.entries
            if e.key not in today
            and e.tier in tiers
            and scope.schema_in(e.schema)
            and scope.table_in(e.schema, e.table)
            and scope.kind_in(e.kind)
        )


def write_baseline(
    path: Path, findings: Iterable[Finding], *, tool: str, database: str
) -> int:
    """Write *findings* to *path* as a baseline; return how many were written.

    :raises SeqcheckError: the file cannot be written.
    """
    entries = sorted(
        {
            finding_key(f): {
                "schema": f.schema,
                "table": f.table,
                "kind": f.kind.value,
                "name": f.name,
                "tier": f.tier.value,
                "expected": f.expected,
            }
            for f in findings
        }.items()
    )
    document = {
        "version": VERSION,
        "tool": tool,
        "database": database,
        "findings": [entry for _, entry in entries],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    try:
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise SeqcheckError(
            f"cannot write baseline {path}: {exc.strerror or exc}"
        ) from None
    return len(entries)


def read_baseline(path: Path) -> Baseline:
    """Read the baseline at *path*.

    :raises SeqcheckError: the file is missing, not JSON, of another version,
        or an entry is malformed (the message names the file and the entry).
    """
    try:
        raw = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise SeqcheckError(
            f"cannot read baseline {path}: {exc.strerror or exc}",
            "write one with seqcheck scan --write-baseline FILE",
        ) from None
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SeqcheckError(
            f"baseline {path} is not JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        version = document.get("version") if isinstance(document, dict) else None
        raise SeqcheckError(
            f"baseline {path} has version {version!r}, not {VERSION}",
            "write it again with seqcheck scan --write-baseline FILE",
        )
    items = document.get("findings")
    if not isinstance(items, list):
        raise SeqcheckError(f"baseline {path}: 'findings' is not a list")
    return Baseline(path, tuple(_entry(path, n, item) for n, item in enumerate(items)))


def _entry(path: Path, number: int, item: object) -> Entry:
    where = f"baseline {path}: findings[{number}]"
    if not isinstance(item, dict):
        raise SeqcheckError(f"{where} is not an object")
    values: dict[str, str] = {}
    for key in (*_KEYS, "tier"):
        value = item.get(key)
        if not isinstance(value, str):
            raise SeqcheckError(f"{where}: {key!r} is missing or not a string")
        values[key] = value
    try:
        kind, tier = Kind(values["kind"]), Tier(values["tier"])
    except ValueError as exc:
        raise SeqcheckError(f"{where}: {exc}") from None
    expected = item.get("expected", "")
    return Entry(
        values["schema"],
        values["table"],
        kind,
        values["name"],
        tier,
        expected if isinstance(expected, str) else "",
    )
