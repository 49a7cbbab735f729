"""The rule registry: one module per kind of named object, in code order.

Stage: rules. A rule says which catalog objects it judges and how PostgreSQL
would name each (owner, middle part, label); :mod:`seqcheck.drift` weighs the
evidence. Imports :mod:`seqcheck.catalog` records and :mod:`seqcheck.findings`
only: never a connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple, Protocol

from seqcheck.findings import Kind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table

__all__ = ["RULES", "Finder", "Part", "Rule", "Subject", "rule_for"]


class Part(NamedTuple):
    """One item of a middle part: a table column (``attnum`` > 0) or a fixed name.

    :param name: the column's name today, or the fixed name (an expression's
        index column name, ``expr``, a system column).
    :param stored: the name stored in the object itself (index columns), or ``""``.
    """

    attnum: int
    name: str
    stored: str = ""


class Subject(NamedTuple):
    """A named object to judge, with what its default name is built from.

    :param parts: the middle part's items, or ``None`` when the kind has none.
    :param dedup: index column names: made unique left to right (NAMING.md §2.2).
    :param any_order: the items' order is not stored (statistics).
    :param guarded: a plain index or a name without a column part: evidence of
        a table rename counts only with a witness (DESIGN.md guard 1).
    :param witness: may vouch for a table rename of its table.
    :param key_oid: for a row for a referenced partition (PostgreSQL 12–17,
        :mod:`seqcheck.clones`), its foreign key; it follows the key when the
        key is renamed and is judged on its own otherwise.
    """

    code: str
    kind: Kind
    label: str
    oid: int
    schema_oid: int
    name: str
    owner: str
    table: Table | None
    parts: tuple[Part, ...] | None
    dedup: bool = False
    any_order: bool = False
    guarded: bool = False
    witness: bool = True
    referred: str = ""
    referred_columns: tuple[str, ...] = ()
    key_columns: tuple[str, ...] = ()
    key_oid: int = 0


class Finder(Protocol):
    """A rule's ``subjects``: its objects on *tables* (by OID) in *catalog*.

    With ``clean=False`` it may leave out those named exactly as PostgreSQL
    names them today (:func:`~seqcheck.naming.is_whole`): they are judged
    clean whatever else is known (:func:`~seqcheck.evidence.judge`), and no
    other verdict, witness or name choice depends on them.
    """

    def __call__(
        self, catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
    ) -> Iterator[Subject]: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its code, kind, label, doc and subject finder."""

    code: str
    kind: Kind
    label: str
    doc: str
    subjects: Finder


def _rule(module: ModuleType) -> Rule:
    return Rule(
        code=module.CODE,
        kind=module.KIND,
        label=module.LABEL,
        doc=module.__doc__ or "",
        subjects=module.subjects,
    )


# The registry, in code order: one module per rule, never reused (STYLE.md §9).
_MODULES = (
    "sc101_sequence_name",
    "sc102_primary_key_name",
    "sc103_unique_name",
    "sc104_exclusion_name",
    "sc105_foreign_key_name",
    "sc106_check_name",
    "sc107_index_name",
    "sc108_not_null_name",
    "sc109_statistics_name",
    "sc110_domain_constraint_name",
    "sc111_index_column_name",
)


def _load() -> tuple[Rule, ...]:
    return tuple(_rule(import_module(f"{__name__}.{name}")) for name in _MODULES)


RULES: tuple[Rule, ...] = _load()


def rule_for(kind: Kind) -> Rule:
    """Return the rule that judges *kind*."""
    for rule in RULES:
        if rule.kind is kind:
            return rule
    raise KeyError(kind)
