"""Text references: where a rename would break a name written as text.

Stage: between drift and plan. Pure: imports records and findings; never a
connection. A column default such as ``nextval('x'::text)`` and a function
body that calls ``nextval('x')`` or says ``ON CONFLICT ON CONSTRAINT x`` look
the name up when they run, so renaming ``x`` breaks them (NAMING.md §5.3).
seqcheck never rewrites them; it lists them, and ``fix`` leaves such objects
alone unless ``--allow-text-references``.

Matching is textual: a text names an object when it holds the object's name
as an identifier or inside a string literal, quoted or not (unquoted names
fold to lower case, as PostgreSQL folds them), schema-qualified with the
object's schema or not qualified. It may over-report (a comment, a message,
an object of the same name in another schema found through the search path),
and the output says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from seqcheck.findings import Finding, Kind

if TYPE_CHECKING:
    from seqcheck.catalog import TextSource

__all__ = [
    "CAVEAT",
    "ReferenceKind",
    "TextReference",
    "TextReferences",
    "find_text_references",
]

#: What every listing of text references says about them.
CAVEAT = "a textual match: it may over-report"


class ReferenceKind:
    """The ``kind`` of a text reference (JSON values; stable)."""

    DEFAULT = "default"
    FUNCTION_BODY = "function-body"
    ON_CONFLICT = "on-conflict"


class TextReference(NamedTuple):
    """One place that names an object as text.

    :param kind: ``default``, ``function-body`` or ``on-conflict``
        (:class:`ReferenceKind`).
    :param where: ``column s.t.c default``, ``function s.f(integer)`` or
        ``procedure s.p()``.
    :param text: the default expression, or the line of the body that names it.
    """

    kind: str
    where: str
    text: str


@dataclass(frozen=True, slots=True)
class TextReferences:
    """The text references of each finding's object, by kind and object OID."""

    found: Mapping[tuple[Kind, int], tuple[TextReference, ...]] = field(
        default_factory=dict
    )

    def of(self, finding: Finding) -> tuple[TextReference, ...]:
        """Return the references to *finding*'s object (none for index columns)."""
        return self.found.get((finding.kind, finding.object_oid), ())

    def of_object(self, kind: Kind, oid: int) -> tuple[TextReference, ...]:
        """Return the references to the object of *kind* with OID *oid*."""
        return self.found.get((kind, oid), ())

    def __len__(self) -> int:
        return len(self.found)


_LINE_MAX = 200
_START = "A-Za-z_\u0080-\U0010ffff"
_PART = rf'"(?:[^"]|""){{1,130}}"|[{_START}][{_START}0-9$]*'
# An optional qualifier, then a name; quotes of string literals separate tokens,
# so 'public.x_seq' and ''x_seq'' (inside dynamic SQL) are found too.
_TOKEN = re.compile(rf"(?:({_PART})\s*\.\s*)?({_PART})")
_ON_CONFLICT = re.compile(r"\bon\s+conflict\s+on\s+constraint\s*$", re.IGNORECASE)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _name(part: str) -> str:
    """Return the name *part* denotes: quoted as written, unquoted folded."""
    if part.startswith('"'):
        return part[1:-1].replace('""', '"')
    return part.translate(_ASCII_LOWER)


def find_text_references(
    texts: Iterable[TextSource], findings: Iterable[Finding]
) -> TextReferences:
    """Return the text references to the objects of *findings*.

    Each source text is read once, whatever the number of findings.
    """
    wanted: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.kind is not Kind.INDEX_COLUMN:
            wanted.setdefault(finding.name, []).append(finding)
    if not wanted:
        return TextReferences()
    found: dict[tuple[Kind, int], list[TextReference]] = {}
    for source in texts:
        seen: set[tuple[tuple[Kind, int], TextReference]] = set()
        for match in _TOKEN.finditer(source.text):
            name = _name(match[2])
            if name not in wanted:
                continue
            schema = _name(match[1]) if match[1] else None
            reference = _reference(source, match)
            for finding in wanted[name]:
                if schema is not None and schema != finding.schema:
                    continue
                key = (finding.kind, finding.object_oid)
                if (key, reference) not in seen:
                    seen.add((key, reference))
                    found.setdefault(key, []).append(reference)
    return TextReferences({key: tuple(refs) for key, refs in found.items()})


def _reference(source: TextSource, match: re.Match[str]) -> TextReference:
    if source.kind == "default":
        where = f"column {source.schema}.{source.owner}.{source.detail} default"
        return TextReference(ReferenceKind.DEFAULT, where, _cut(source.text.strip()))
    where = f"{source.kind} {source.schema}.{source.owner}"
    text = source.text
    start = match.start()
    kind = ReferenceKind.FUNCTION_BODY
    if match[1] is None and _ON_CONFLICT.search(text, max(0, start - 80), start):
        kind = ReferenceKind.ON_CONFLICT
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    line = text[begin : len(text) if end < 0 else end]
    return TextReference(kind, where, _cut(line.strip()))


def _cut(text: str) -> str:
    return text if len(text) <= _LINE_MAX else text[: _LINE_MAX - 1] + "…"
