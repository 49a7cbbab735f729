"""Evidence under a template convention: what a name proves about renames.

Stage: drift (helpers). Pure. The same tiers as PostgreSQL's defaults
(:mod:`seqcheck.evidence`), read through a :class:`~seqcheck.conventions.Template`:
today's names fit → clean; old column names the catalog proves fit → certain;
another owning (or referred) table name fits → certain. Witness and copy guards
are the caller's, as for PostgreSQL's names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from seqcheck.conventions import Names, Template
from seqcheck.evidence import Verdict, column_choices
from seqcheck.findings import Kind, Reason, Tier

if TYPE_CHECKING:
    from seqcheck.rules import Subject

__all__ = ["expected_name", "guarded", "judge_template"]


def guarded(convention: Template, subject: Subject) -> bool:
    """Tell whether a table rename read from this name needs a witness.

    Plain indexes, and templates with ``%(constraint_name)s`` (where the table
    part cannot be told from the constraint part), need one.
    """
    return (
        subject.kind is Kind.INDEX
        or "constraint_name" in convention.templates[subject.kind]
    )


def _names(subject: Subject, columns: Sequence[str], constraint: str = "") -> Names:
    return Names(
        subject.owner,
        tuple(columns),
        subject.referred,
        subject.referred_columns,
        constraint,
    )


def _fits(
    convention: Template, subject: Subject, names: Names, table: str, referred: str
) -> str | None:
    """Return the constraint name part if *subject*'s name fits, else ``None``."""
    kind, name = subject.kind, subject.name
    found = convention.fit(kind, name, names, table=table, referred=referred)
    if found is not None:
        return found[2]
    moved = Names(table, names.columns, referred, names.referred_columns)
    return "" if convention.render(kind, moved) == name else None


def judge_template(
    convention: Template,
    subject: Subject,
    olds: dict[int, set[str]],
    owners: Sequence[tuple[str, bool]] = (),
) -> Verdict | None:
    """Return what *subject*'s name proves under *convention*, ``None`` if clean."""
    owner, referred = subject.owner, subject.referred
    choices = column_choices(subject, olds)
    if subject.parts is None:  # a primary key: its columns, as they are today
        choices = [(list(subject.key_columns), ())]
    today = _names(subject, choices[0][0])
    if _fits(convention, subject, today, owner, referred) is not None:
        return None
    for columns, stale in choices[1:]:
        captured = _fits(convention, subject, _names(subject, columns), owner, referred)
        if captured is not None:
            return Verdict(
                Tier.CERTAIN, Reason.COLUMN_RENAMED, " ".join(stale), middle=captured
            )
    for old, _ in owners:
        for columns, stale in choices:
            names = _names(subject, columns)
            captured = _fits(convention, subject, names, old, referred)
            if captured is not None:
                reason = Reason.BOTH_RENAMED if stale else Reason.TABLE_RENAMED
                return Verdict(
                    Tier.CERTAIN, reason, " ".join((old, *stale)), old, middle=captured
                )
    for columns, stale in choices:
        found = convention.fit(subject.kind, subject.name, _names(subject, columns))
        if found is None:
            continue
        table, old_referred, captured = found
        if table == owner and old_referred == referred:
            continue
        olds_seen = [t for t in (table, old_referred) if t not in (owner, referred)]
        reason = Reason.BOTH_RENAMED if stale else Reason.TABLE_RENAMED
        return Verdict(
            Tier.CERTAIN,
            reason,
            " ".join((*olds_seen, *stale)),
            table if table != owner else "",
            middle=captured,
        )
    prefix = convention.templates[subject.kind].split("%(", 1)[0]
    if prefix and subject.name.startswith(prefix):
        return Verdict(Tier.CUSTOM, Reason.NOT_DEFAULT)
    return None


def expected_name(
    convention: Template, subject: Subject, verdict: Verdict | None
) -> str:
    """Return the name *convention* gives *subject* today."""
    constraint = verdict.middle if verdict is not None and verdict.middle else ""
    columns = [p.name for p in subject.parts] if subject.parts else subject.key_columns
    return convention.render(subject.kind, _names(subject, columns, constraint))
