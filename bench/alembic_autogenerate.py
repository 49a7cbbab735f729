"""Benchmark: Alembic autogenerate with seqcheck's plugin against without it.

Builds N model tables (serial primary key, a unique, a foreign key to the
previous table, a check, an index and a few columns each) on a throwaway
server with SQLAlchemy, then renames R of the models and times
``produce_migrations`` with ``autogenerate_plugins=["alembic.autogenerate.*"]``
and with ``[…, "seqcheck"]``, alternating (ABBA), and prints the medians, the ratio
and the time spent in the plugin itself (a steadier figure on a busy machine).
Issue 8 asks for N = 500, R = 10.

    python bench/alembic_autogenerate.py [--tables 500] [--renames 10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext

from seqcheck.alembic import rewrite as rewrite_module
from seqcheck.alembic.ops import RenamesOp, RenameTableOp
from seqcheck.embedded import start_server

PLAIN = ["alembic.autogenerate.*"]
WITH_SEQCHECK = ["alembic.autogenerate.*", "seqcheck"]


def models(tables: int, renamed: set[int]) -> sa.MetaData:
    """Return the model: table *n* is ``bench_n``, or ``renamed_n`` if in *renamed*."""
    metadata = sa.MetaData()

    def name(n: int) -> str:
        return f"renamed_{n}" if n in renamed else f"bench_{n}"

    for n in range(tables):
        parent = name(n - 1) if n else name(n)
        sa.Table(
            name(n),
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.Text, unique=True),
            sa.Column("parent_id", sa.Integer, sa.ForeignKey(f"{parent}.id")),
            sa.Column("amount", sa.Integer),
            sa.Column("note", sa.Text),
            sa.Column("created", sa.DateTime),
            sa.CheckConstraint("amount > 0"),
            sa.Index(None, "created", "amount"),
        )
    return metadata


def autogenerate(engine: sa.Engine, metadata: sa.MetaData, plugins: list[str]) -> Any:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"target_metadata": metadata, "autogenerate_plugins": plugins}
        )
        return produce_migrations(context, metadata)


def renames(script: Any) -> int:
    return sum(
        isinstance(op, RenameTableOp)
        for group in script.upgrade_ops.ops
        if isinstance(group, RenamesOp)
        for op in group.ops
    )


def timed_plugin() -> list[float]:
    """Wrap the plugin's rewrite so each call's time is recorded."""
    spent: list[float] = []
    original = rewrite_module.rewrite

    def rewrite(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    rewrite_module.rewrite = rewrite
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--renames", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-bin", type=Path, default=None)
    args = parser.parse_args()
    step = max(args.tables // max(args.renames, 1), 1)
    renamed = set(range(step // 2, args.tables, step)[: args.renames])

    with start_server(args.pg_bin) as server:
        url = (
            f"postgresql+psycopg://{server.user}@/postgres"
            f"?host={server.socket_dir}&port={server.port}"
        )
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        started = time.perf_counter()
        models(args.tables, set()).create_all(engine)
        print(
            f"PostgreSQL {server.major}: {args.tables} tables built in"
            f" {time.perf_counter() - started:.1f} s; {len(renamed)} models renamed"
        )
        after = models(args.tables, renamed)
        spent = timed_plugin()
        times: dict[str, list[float]] = {"without": [], "with": []}
        variants = [("without", PLAIN), ("with", WITH_SEQCHECK)]
        for number in range(args.repeat):
            # ABBA order: neither variant always runs first.
            for label, plugins in variants if number % 2 == 0 else variants[::-1]:
                started = time.perf_counter()
                script = autogenerate(engine, after, plugins)
                times[label].append(time.perf_counter() - started)
                if label == "with":
                    assert renames(script) == len(renamed), renames(script)
        plain = statistics.median(times["without"])
        plugin = statistics.median(times["with"])
        print(f"autogenerate without seqcheck: {plain:.2f} s (median of {args.repeat})")
        print(
            f"autogenerate with seqcheck:    {plugin:.2f} s (median of {args.repeat})"
        )
        print(f"ratio: {plugin / plain:.2f}x ({plugin - plain:+.2f} s)")
        print(
            f"time in the plugin itself: {statistics.median(spent):.2f} s"
            f" (median; {min(spent):.2f} to {max(spent):.2f} s)"
        )


if __name__ == "__main__":
    main()
