"""Alembic operations that rename what a table or column rename leaves behind.

Stage: the Alembic plugin's operations. Each class is registered with
:meth:`~alembic.operations.Operations.register_operation` (``op.rename_sequence``,
``op.rename_index``, ``op.rename_constraint``, ``op.rename_statistics``,
``op.rename_index_column``), knows its :meth:`reverse`, runs through an
implementation that executes the statement :mod:`seqcheck.statements` builds
(printed as is in ``--sql`` mode), and has an autogenerate renderer. Alembic has
no renderer and no reverse for ``RenameTableOp``: this module registers the
renderer, and :class:`RenameTableOp` and :class:`RenameColumnOp` are the
reversible forms autogenerate emits. :class:`RenamesOp` holds a revision's
renames under comments that say why.

Importing this module registers everything once; the plugin entry point does it
whenever Alembic is imported, so migrations that call these operations run
wherever seqcheck is installed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from alembic.autogenerate import renderers
from alembic.operations import MigrateOperation, Operations, ops
from sqlalchemy import text

from seqcheck.plan import StatementKind

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from sqlalchemy.sql.elements import TextClause

__all__ = [
    "RenameColumnOp",
    "RenameConstraintOp",
    "RenameIndexColumnOp",
    "RenameIndexOp",
    "RenameSequenceOp",
    "RenameStatisticsOp",
    "RenameTableOp",
    "RenamesOp",
]

# SQLAlchemy's text() reads ":word" as a bind parameter; a backslash keeps it.
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
# Characters that would end a ``#`` comment line or disturb a terminal.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _statement(
    kind: StatementKind, schema: str | None, owner: str, old: str, new: str
) -> TextClause:
    """Return the rename statement as a ``text()`` construct for ``op.execute``."""
    from seqcheck.statements import as_text, rename_by_name

    sql_text = as_text(rename_by_name(kind, schema, owner, old, new))
    return text(_BIND.sub(r"\\:\1", sql_text))


def _prefix(autogen_context: AutogenContext) -> str:
    prefix = autogen_context.opts.get("alembic_module_prefix", "op.")
    return str(prefix) if prefix is not None else ""


def _args(*values: str | None, schema: str | None) -> str:
    shown = ", ".join(repr(v) for v in values)
    return f"{shown}, schema={schema!r}" if schema else shown


@Operations.register_operation("rename_sequence")
class RenameSequenceOp(MigrateOperation):
    """Rename a sequence: ``ALTER SEQUENCE … RENAME TO …``."""

    def __init__(
        self, sequence_name: str, new_name: str, *, schema: str | None = None
    ) -> None:
        self.sequence_name = sequence_name
        self.new_name = new_name
        self.schema = schema

    @classmethod
    def rename_sequence(
        cls,
        operations: Operations,
        sequence_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """Rename sequence *sequence_name* to *new_name*.

        Serial defaults (``nextval('…'::regclass)``) follow the rename.
        """
        operations.invoke(cls(sequence_name, new_name, schema=schema))

    def reverse(self) -> RenameSequenceOp:
        return RenameSequenceOp(self.new_name, self.sequence_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_sequence", self.schema, self.sequence_name, self.new_name)


@Operations.register_operation("rename_index")
class RenameIndexOp(MigrateOperation):
    """Rename an index, and the constraint it backs: ``ALTER INDEX … RENAME TO``.

    Primary key, unique and exclusion constraints are renamed this way: it takes
    only a ShareUpdateExclusiveLock on the index.
    """

    def __init__(
        self, index_name: str, new_name: str, *, schema: str | None = None
    ) -> None:
        self.index_name = index_name
        self.new_name = new_name
        self.schema = schema

    @classmethod
    def rename_index(
        cls,
        operations: Operations,
        index_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """Rename index *index_name* (and the constraint it backs) to *new_name*."""
        operations.invoke(cls(index_name, new_name, schema=schema))

    def reverse(self) -> RenameIndexOp:
        return RenameIndexOp(self.new_name, self.index_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_index", self.schema, self.index_name, self.new_name)


@Operations.register_operation("rename_constraint")
class RenameConstraintOp(MigrateOperation):
    """Rename a table constraint: ``ALTER TABLE … RENAME CONSTRAINT … TO …``."""

    def __init__(
        self,
        table_name: str,
        constraint_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.constraint_name = constraint_name
        self.new_name = new_name
        self.schema = schema

    @classmethod
    def rename_constraint(
        cls,
        operations: Operations,
        table_name: str,
        constraint_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """Rename constraint *constraint_name* of *table_name* to *new_name*."""
        operations.invoke(cls(table_name, constraint_name, new_name, schema=schema))

    def reverse(self) -> RenameConstraintOp:
        return RenameConstraintOp(
            self.table_name, self.new_name, self.constraint_name, schema=self.schema
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (
            "rename_constraint",
            self.schema,
            self.table_name,
            self.constraint_name,
            self.new_name,
        )


@Operations.register_operation("rename_statistics")
class RenameStatisticsOp(MigrateOperation):
    """Rename an extended statistics object: ``ALTER STATISTICS … RENAME TO``."""

    def __init__(
        self, statistics_name: str, new_name: str, *, schema: str | None = None
    ) -> None:
        self.statistics_name = statistics_name
        self.new_name = new_name
        self.schema = schema

    @classmethod
    def rename_statistics(
        cls,
        operations: Operations,
        statistics_name: str,
        new_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """Rename statistics object *statistics_name* to *new_name*."""
        operations.invoke(cls(statistics_name, new_name, schema=schema))

    def reverse(self) -> RenameStatisticsOp:
        return RenameStatisticsOp(
            self.new_name, self.statistics_name, schema=self.schema
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_statistics", self.schema, self.statistics_name, self.new_name)


@Operations.register_operation("rename_index_column")
class RenameIndexColumnOp(MigrateOperation):
    """Rename a column name stored in an index: ``ALTER TABLE <index> RENAME COLUMN``.

    ``RENAME COLUMN`` on a table leaves the names its indexes store; copies made
    later (``LIKE … INCLUDING INDEXES``, new partitions) are named after them.
    """

    def __init__(
        self,
        index_name: str,
        column_name: str,
        new_column_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        self.index_name = index_name
        self.column_name = column_name
        self.new_column_name = new_column_name
        self.schema = schema

    @classmethod
    def rename_index_column(
        cls,
        operations: Operations,
        index_name: str,
        column_name: str,
        new_column_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        """Rename the column *column_name* stored in index *index_name*."""
        operations.invoke(cls(index_name, column_name, new_column_name, schema=schema))

    def reverse(self) -> RenameIndexColumnOp:
        return RenameIndexColumnOp(
            self.index_name, self.new_column_name, self.column_name, schema=self.schema
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return (
            "rename_index_column",
            self.schema,
            self.index_name,
            self.column_name,
            self.new_column_name,
        )


class RenameTableOp(ops.RenameTableOp):
    """Alembic's ``rename_table``, reversible and comparable."""

    def reverse(self) -> RenameTableOp:
        return RenameTableOp(self.new_table_name, self.table_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_table", self.schema, self.table_name, self.new_table_name)


class RenameColumnOp(ops.AlterColumnOp):
    """Alembic's ``alter_column(…, new_column_name=…)``, reversible.

    Alembic's own ``AlterColumnOp.reverse`` keeps the rename pointing forward.
    """

    def __init__(
        self,
        table_name: str,
        column_name: str,
        new_column_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        super().__init__(
            table_name, column_name, schema=schema, modify_name=new_column_name
        )
        self.new_column_name = new_column_name

    def reverse(self) -> RenameColumnOp:
        return RenameColumnOp(
            self.table_name, self.new_column_name, self.column_name, schema=self.schema
        )

    def to_diff_tuple(self) -> Any:
        return (
            "rename_column",
            self.schema,
            self.table_name,
            self.column_name,
            self.new_column_name,
        )


class RenamesOp(ops.OpContainer):
    """The renames of one revision, under comments that say why.

    A container, so the comments stay with the renames: on top of them in
    ``upgrade()``, and (reversed, reworded) on top of their undoing at the end
    of ``downgrade()``. ``alembic check`` sees the renames inside it.

    :param notes: one comment line each (names are escaped when rendered).
    :param reverse_notes: the lines for the reverse; *notes* if empty.
    """

    def __init__(
        self,
        ops: list[MigrateOperation],
        notes: list[str],
        reverse_notes: list[str] | None = None,
    ) -> None:
        super().__init__(ops)
        self.notes = list(notes)
        self.reverse_notes = list(reverse_notes) if reverse_notes else list(notes)

    def reverse(self) -> RenamesOp:
        return RenamesOp(
            [op.reverse() for op in reversed(self.ops)],
            self.reverse_notes,
            self.notes,
        )


_IMPLEMENTED: list[tuple[type[MigrateOperation], StatementKind]] = [
    (RenameSequenceOp, StatementKind.ALTER_SEQUENCE),
    (RenameIndexOp, StatementKind.ALTER_INDEX),
    (RenameConstraintOp, StatementKind.RENAME_CONSTRAINT),
    (RenameStatisticsOp, StatementKind.ALTER_STATISTICS),
    (RenameIndexColumnOp, StatementKind.RENAME_INDEX_COLUMN),
]


def _parts(op: MigrateOperation) -> tuple[str | None, str, str, str]:
    """Return ``(schema, owner, old, new)`` of one of this module's renames."""
    if isinstance(op, RenameSequenceOp):
        return op.schema, "", op.sequence_name, op.new_name
    if isinstance(op, RenameIndexOp):
        return op.schema, "", op.index_name, op.new_name
    if isinstance(op, RenameConstraintOp):
        return op.schema, op.table_name, op.constraint_name, op.new_name
    if isinstance(op, RenameStatisticsOp):
        return op.schema, "", op.statistics_name, op.new_name
    assert isinstance(op, RenameIndexColumnOp)
    return op.schema, op.index_name, op.column_name, op.new_column_name


def _implementation(kind: StatementKind) -> Any:
    def run(operations: Operations, op: MigrateOperation) -> None:
        schema, owner, old, new = _parts(op)
        operations.execute(_statement(kind, schema, owner, old, new))

    return run


for _cls, _kind in _IMPLEMENTED:
    Operations.implementation_for(_cls)(_implementation(_kind))


_METHODS = {
    RenameSequenceOp: "rename_sequence",
    RenameIndexOp: "rename_index",
    RenameConstraintOp: "rename_constraint",
    RenameStatisticsOp: "rename_statistics",
    RenameIndexColumnOp: "rename_index_column",
}


#: The line a revision that uses these operations needs (they register on import).
IMPORT = "import seqcheck.alembic.ops  # noqa: F401"


def _render_rename(autogen_context: AutogenContext, op: MigrateOperation) -> str:
    autogen_context.imports.add(IMPORT)
    schema, owner, old, new = _parts(op)
    method = _METHODS[type(op)]
    values = (owner, old, new) if owner else (old, new)
    return f"{_prefix(autogen_context)}{method}({_args(*values, schema=schema)})"


def _render_rename_table(autogen_context: AutogenContext, op: ops.RenameTableOp) -> str:
    values = _args(op.table_name, op.new_table_name, schema=op.schema)
    return f"{_prefix(autogen_context)}rename_table({values})"


def _render_renames(autogen_context: AutogenContext, op: RenamesOp) -> list[str]:
    from alembic.autogenerate.render import render_op

    lines = [f"# seqcheck: {_UNSAFE.sub(_escape, note)}" for note in op.notes]
    for child in op.ops:
        lines += render_op(autogen_context, child)
    return lines


def _escape(match: re.Match[str]) -> str:
    return repr(match[0])[1:-1]


for _cls in _METHODS:
    renderers.dispatch_for(_cls)(_render_rename)
renderers.dispatch_for(RenamesOp)(_render_renames)
# Alembic has none (1.20); keep the one a later release may ship.
if (ops.RenameTableOp, "default") not in getattr(renderers, "_registry", {}):
    renderers.dispatch_for(ops.RenameTableOp)(_render_rename_table)
