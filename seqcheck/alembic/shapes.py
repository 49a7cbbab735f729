"""Shapes and similarity: how alike a dropped and a created table (or column) are.

Stage: the Alembic plugin's pure core. Imports only the standard library.

Rename detection works the way git detects renamed files: not by identity but
by similarity, a percentage. A table is a bag of lines: one per column (name,
type family, primary key or not), one per unique constraint, foreign key, index
and check. Two tables are as similar as the share of lines they have in common,
measured against the larger one (git's ``-M50%``). Pairs are matched one to one,
most similar first; on a tie, the pair whose names are more alike wins.

One guard that git does not need: a surrogate key (``id integer`` primary key)
is in nearly every table, so two tables that share nothing else are never
paired, whatever their size.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "Candidate",
    "ColumnShape",
    "TableShape",
    "best_first",
    "column_similarity",
    "name_likeness",
    "percent",
    "table_similarity",
]

S = TypeVar("S")
D = TypeVar("D")

#: Weights of a column's traits when two columns are compared.
_TYPE, _TRAIT, _NAME = 3.0, 1.0, 2.0
_TRAITS = ("nullable", "primary_key", "unique", "indexed", "references")


@dataclass(frozen=True, slots=True)
class ColumnShape:
    """What a column looks like, on either side of a comparison.

    :param family: the SQLAlchemy type affinity (``Integer``, ``String``…):
        columns of different families are never one renamed column.
    :param type_key: the type as the dialect spells it (``VARCHAR(50)``).
    :param references: ``table.column`` of a foreign key on this column alone.
    """

    name: str
    family: str
    type_key: str
    nullable: bool = True
    primary_key: bool = False
    unique: bool = False
    indexed: bool = False
    references: str = ""


@dataclass(frozen=True, slots=True)
class TableShape:
    """A table as lines to compare: its columns, and constraint/index lines.

    :param features: one tuple per unique constraint, foreign key, index or
        check, naming what it is built from (columns, referred table, text).
    """

    schema: str | None
    name: str
    columns: tuple[ColumnShape, ...]
    features: tuple[tuple[str, ...], ...] = ()

    def column(self, name: str) -> ColumnShape | None:
        """Return the column called *name*, if there is one."""
        for column in self.columns:
            if column.name == name:
                return column
        return None


def _lines(shape: TableShape) -> Counter[tuple[str, ...]]:
    lines: Counter[tuple[str, ...]] = Counter()
    for column in shape.columns:
        key = "primary key" if column.primary_key else ""
        lines[("column", column.name, column.family, key)] += 1
    for feature in shape.features:
        lines[feature] += 1
    return lines


def table_similarity(old: TableShape, new: TableShape) -> float:
    """Return the share of lines *old* and *new* have in common (0.0 to 1.0).

    Lines shared are counted against the larger table, as git counts bytes
    copied against the larger file. When the only lines in common are primary
    key columns, the tables are unrelated: 0.0.
    """
    a, b = _lines(old), _lines(new)
    common = a & b
    if not any(line[0] != "column" or not line[3] for line in common):
        return 0.0
    return sum(common.values()) / max(sum(a.values()), sum(b.values()), 1)


def column_similarity(old: ColumnShape, new: ColumnShape) -> float | None:
    """Return how alike two columns are (0.0 to 1.0), ``None`` if incompatible.

    Columns of different type families are incompatible. Otherwise the score
    weighs the exact type, each trait (nullable, primary key, unique, indexed,
    the column a foreign key refers to) and how alike the names are.
    """
    if old.family != new.family:
        return None
    score = _TYPE if old.type_key == new.type_key else _TYPE / 2
    score += sum(
        _TRAIT for trait in _TRAITS if getattr(old, trait) == getattr(new, trait)
    )
    score += _NAME * name_likeness(old.name, new.name)
    return score / (_TYPE + _TRAIT * len(_TRAITS) + _NAME)


def name_likeness(old: str, new: str) -> float:
    """Return how alike two names are (difflib's ratio, 0.0 to 1.0)."""
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio()


def percent(score: float) -> int:
    """Return *score* as a whole percentage, rounded down (as git prints it)."""
    return int(score * 100 + 1e-9)


@dataclass(frozen=True, slots=True)
class Candidate(Generic[S, D]):
    """A possible rename: *old* (dropped) → *new* (created), and its score."""

    old: S
    new: D
    score: float
    likeness: float
    key: tuple[str, ...]


def best_first(
    candidates: Iterable[Candidate[S, D]],
    take: Callable[[Candidate[S, D]], bool],
) -> list[Candidate[S, D]]:
    """Match candidates one to one, most similar first; return those taken.

    Candidates are offered to *take* in order of score, then name likeness,
    then name; one whose old or new side is already matched is skipped. *take*
    decides (threshold, question); a refused candidate leaves both sides free.
    """
    order = sorted(candidates, key=lambda c: (-c.score, -c.likeness, c.key))
    used_old: set[int] = set()
    used_new: set[int] = set()
    taken: list[Candidate[S, D]] = []
    for candidate in order:
        old, new = id(candidate.old), id(candidate.new)
        if old in used_old or new in used_new:
            continue
        if take(candidate):
            used_old.add(old)
            used_new.add(new)
            taken.append(candidate)
    return taken
