"""The rename operations: rendering, reversing, offline SQL and running them.

Names are hostile on purpose: quotes, ``:`` (a bind parameter to SQLAlchemy's
``text()``), ``%`` (a placeholder to pyformat drivers), spaces, a newline and
an emoji; a 63-byte name too.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import render_op_text
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from psycopg import sql

from seqcheck.alembic.ops import (
    IMPORT,
    RenameColumnOp,
    RenameConstraintOp,
    RenameIndexColumnOp,
    RenameIndexOp,
    RenameSequenceOp,
    RenamesOp,
    RenameStatisticsOp,
    RenameTableOp,
)
from tests.alembic.project import sqlalchemy_url
from tests.fix_server import run_sql

if TYPE_CHECKING:
    from tests.fix_server import TestDB

HOSTILE = 'Mara:thon "100%"\n😀'
LONG = "x" * 63


def autogen() -> AutogenContext:
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"alembic_module_prefix": "op."}
    )
    return AutogenContext(context, autogenerate=False)


ALL: list[Any] = [
    RenameSequenceOp("a_id_seq", "b_id_seq", schema="s"),
    RenameIndexOp("a_pkey", "b_pkey"),
    RenameConstraintOp("b", "a_x_check", "b_x_check"),
    RenameStatisticsOp("a_x_y_stat", "b_x_y_stat"),
    RenameIndexColumnOp("b_x_idx", "w", "x"),
    RenameTableOp("a", "b"),
    RenameColumnOp("b", "w", "x", schema="s"),
]


def test_each_operation_renders_as_a_call_and_adds_the_import() -> None:
    context = autogen()
    shown = [render_op_text(context, op) for op in ALL]
    assert shown[:6] == [
        "op.rename_sequence('a_id_seq', 'b_id_seq', schema='s')",
        "op.rename_index('a_pkey', 'b_pkey')",
        "op.rename_constraint('b', 'a_x_check', 'b_x_check')",
        "op.rename_statistics('a_x_y_stat', 'b_x_y_stat')",
        "op.rename_index_column('b_x_idx', 'w', 'x')",
        "op.rename_table('a', 'b')",
    ]
    assert " ".join(shown[6].split()) == (
        "op.alter_column('b', 'w', new_column_name='x', schema='s')"
    )
    assert IMPORT in context.imports


def test_reverse_swaps_old_and_new_and_undoes_the_reverse() -> None:
    for op in ALL:
        back = op.reverse()
        assert type(back) is type(op)
        assert back.reverse().to_diff_tuple() == op.to_diff_tuple()
        assert back.to_diff_tuple() != op.to_diff_tuple()


def test_renames_render_under_their_notes_and_reverse_as_a_block() -> None:
    block = RenamesOp(
        [RenameTableOp("a", "b"), RenameIndexOp("a_pkey", "b_pkey")],
        [f"table {HOSTILE} renamed"],
        ["table back"],
    )
    lines = render_op_text(autogen(), block).splitlines()
    assert lines[0] == '# seqcheck: table Mara:thon "100%"\\n😀 renamed'
    assert lines[1:] == [
        "op.rename_table('a', 'b')",
        "op.rename_index('a_pkey', 'b_pkey')",
    ]
    back = block.reverse()
    assert back.notes == ["table back"]
    assert [op.to_diff_tuple() for op in back.ops] == [
        ("rename_index", None, "b_pkey", "a_pkey"),
        ("rename_table", None, "b", "a"),
    ]
    upgrade = ops.UpgradeOps([block])
    assert upgrade.as_diffs() == [
        ("rename_table", None, "a", "b"),
        ("rename_index", None, "a_pkey", "b_pkey"),
    ]


def offline(*calls: tuple[str, tuple[Any, ...], dict[str, Any]]) -> str:
    buffer = io.StringIO()
    context = MigrationContext.configure(  # as Alembic's env.py template does
        dialect_name="postgresql",
        dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buffer},
    )
    operations = Operations(context)
    for name, args, kwargs in calls:
        getattr(operations, name)(*args, **kwargs)
    return buffer.getvalue()


def test_offline_mode_prints_the_statements_with_names_quoted() -> None:
    printed = offline(
        ("rename_sequence", (HOSTILE, "new"), {"schema": "we:ird"}),
        ("rename_index", ("a_pkey", HOSTILE), {}),
        ("rename_constraint", (HOSTILE, "c1", LONG), {}),
        ("rename_statistics", ("st", "st2"), {}),
        ("rename_index_column", ("ix", "a", "b"), {}),
    )
    quoted = '"Mara:thon ""100%""\n😀"'
    assert printed.split(";\n\n")[:5] == [
        f'ALTER SEQUENCE "we:ird".{quoted} RENAME TO "new"',
        f'ALTER INDEX "a_pkey" RENAME TO {quoted}',
        f'ALTER TABLE {quoted} RENAME CONSTRAINT "c1" TO "{LONG}"',
        'ALTER STATISTICS "st" RENAME TO "st2"',
        'ALTER TABLE "ix" RENAME COLUMN "a" TO "b"',
    ]


@pytest.mark.parametrize("driver", ["psycopg"])
def test_the_operations_rename_hostile_names_on_a_server(
    db: TestDB, driver: str
) -> None:
    del driver
    t = sql.Identifier(HOSTILE)
    run_sql(
        db.dsn,
        sql.SQL(
            "CREATE TABLE {} (id serial PRIMARY KEY, a int CHECK (a > 0), b int);"
            " CREATE INDEX ix ON {} (a);"
            " CREATE STATISTICS st ON a, b FROM {}"
        )
        .format(t, t, t)
        .as_string(None),
    )
    engine = sa.create_engine(sqlalchemy_url(db), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        # The rename_* methods are registered at run time: mypy cannot see them.
        operations: Any = Operations(MigrationContext.configure(conn))
        operations.rename_table(HOSTILE, f"{HOSTILE}%")
        table = f"{HOSTILE}%"
        operations.rename_sequence(f"{HOSTILE}_id_seq", "s:1 %")
        operations.rename_index(f"{HOSTILE}_pkey", "p:k %")
        operations.rename_constraint(table, f"{HOSTILE}_a_check", "c:k %")
        operations.rename_statistics("st", "st:1 %")
        operations.rename_index_column("ix", "a", "a:1 %")
    engine.dispose()
    with engine.connect() as conn:
        names = set(
            conn.exec_driver_sql(
                "SELECT relname::text FROM pg_class"
                " WHERE relnamespace = 'public'::regnamespace"
                " UNION ALL SELECT conname::text FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace"
                " UNION ALL SELECT stxname::text FROM pg_statistic_ext"
                " UNION ALL SELECT attname::text FROM pg_attribute"
                " WHERE attrelid = 'public.ix'::regclass"
            ).scalars()
        )
    engine.dispose()
    assert {f"{HOSTILE}%", "s:1 %", "p:k %", "c:k %", "st:1 %", "a:1 %"} <= names


def test_the_package_named_alembic_imports_the_real_alembic() -> None:
    from seqcheck.alembic import ops as rename_ops

    assert vars(rename_ops)["ops"] is ops  # alembic.operations.ops, not ours
    assert ops.__name__ == "alembic.operations.ops"
    assert vars(rename_ops)["Operations"] is Operations
