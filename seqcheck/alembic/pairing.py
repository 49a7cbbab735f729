"""Pairing: which dropped and created tables and columns are one, renamed.

Stage: the Alembic plugin's matching, over shapes (no Alembic, no server).
Candidates are scored (:mod:`seqcheck.alembic.shapes`), offered most similar
first, and each is decided by an :class:`~seqcheck.alembic.ask.Asker`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.alembic.ask import shown
from seqcheck.alembic.shapes import (
    Candidate,
    ColumnShape,
    TableShape,
    best_first,
    column_similarity,
    name_likeness,
    table_similarity,
)

if TYPE_CHECKING:
    from seqcheck.alembic.ask import Asker
    from seqcheck.alembic.settings import Settings

__all__ = ["TableKey", "pair_columns", "pair_tables"]

TableKey = tuple[str | None, str]
#: Below the threshold, pairs at least this similar get a comment in the file.
WORTH_NOTING = 0.25


def pair_tables(
    sources: list[TableShape],
    dests: list[TableShape],
    broken: set[TableKey],
    settings: Settings,
    asker: Asker,
) -> list[tuple[TableShape, TableShape]]:
    """Return the accepted table renames, best first, one to one.

    :param broken: tables on both sides that changed beyond the threshold;
        they pair only as a whole (:func:`_complete_breaks`).
    """
    candidates = []
    for old in sources:
        for new in dests:
            if old.schema != new.schema or old.name == new.name:
                continue
            score = table_similarity(old, new)
            if score > 0:
                likeness = name_likeness(old.name, new.name)
                names = (old.name, new.name)
                candidates.append(Candidate(old, new, score, likeness, names))
    below: dict[TableKey, Candidate[TableShape, TableShape]] = {}

    def threshold(c: Candidate[TableShape, TableShape]) -> int:
        return settings.threshold_for(c.old.schema, c.old.name, c.new.name)

    def ask(c: Candidate[TableShape, TableShape]) -> bool:
        old, new = shown(c.old.schema, c.old.name), shown(c.new.schema, c.new.name)
        return asker("table", old, new, c.score, threshold(c))

    def take(c: Candidate[TableShape, TableShape]) -> bool:
        if c.score * 100 < threshold(c) - 1e-9:
            below.setdefault((c.old.schema, c.old.name), c)
            return False
        return ask(c)

    pairs = _complete_breaks(
        [(c.old, c.new) for c in best_first(candidates, take)], broken
    )
    renamed = {(o.schema, o.name) for o, _ in pairs}
    for key, c in below.items():
        if key not in renamed and key not in broken and c.score >= WORTH_NOTING:
            ask(c)  # below the threshold: noted, not asked
    return pairs


def _complete_breaks(
    pairs: list[tuple[TableShape, TableShape]], broken: set[TableKey]
) -> list[tuple[TableShape, TableShape]]:
    """Drop renames that leave an existing table's name half used.

    A table that exists on both sides joins the pairing only as a whole: its
    old table renamed away *and* its name given to another (a swap, a rotation).
    """
    while True:
        away = {(o.schema, o.name) for o, _ in pairs}
        into = {(n.schema, n.name) for _, n in pairs}
        keep = [
            (o, n)
            for o, n in pairs
            if ((o.schema, o.name) not in broken or (o.schema, o.name) in into)
            and ((n.schema, n.name) not in broken or (n.schema, n.name) in away)
        ]
        if len(keep) == len(pairs):
            return keep
        pairs = keep


def pair_columns(
    tables: list[tuple[TableShape, TableShape]], settings: Settings, asker: Asker
) -> dict[TableKey, dict[str, str]]:
    """Return accepted column renames: ``old table key → {old: new}``.

    :param tables: each table as the database has it and as the model has it
        (renamed or not).
    """
    out: dict[TableKey, dict[str, str]] = {}
    for old, new in tables:
        threshold = settings.threshold_for(old.schema, old.name, new.name)
        found = _column_pairs(asker, old, new, threshold)
        if found:
            out[(old.schema, old.name)] = found
    return out


def _column_pairs(
    asker: Asker, old: TableShape, new: TableShape, threshold: int
) -> dict[str, str]:
    """Return the renames among *old*'s dropped and *new*'s added columns."""
    gone = [c for c in old.columns if new.column(c.name) is None]
    added = [c for c in new.columns if old.column(c.name) is None]
    candidates = []
    for a in gone:
        for b in added:
            score = column_similarity(a, b)
            if score is not None and score * 100 >= threshold - 1e-9:
                likeness = name_likeness(a.name, b.name)
                candidates.append(Candidate(a, b, score, likeness, (a.name, b.name)))
    table = shown(new.schema, new.name)

    def take(c: Candidate[ColumnShape, ColumnShape]) -> bool:
        return asker("column", c.old.name, c.new.name, c.score, threshold, table)

    return {c.old.name: c.new.name for c in best_first(candidates, take)}
