"""Benchmark: scan and fix where foreign keys reference a table of many partitions.

Each foreign key to a partitioned table has one row per partition, numbered
(``fr_id_fkey1`` … on 12–17, ``fr_id_fkey_1`` … on 18), and a fix renames
them all with their key, so naming them must stay linear in the partition
count. Builds, on a throwaway server, a table of P partitions and K tables
referencing it (keys named by PostgreSQL, or by hand with ``--hand``, whose
rows 12–17 still name after the table), renames the K tables, then times
``seqcheck scan --format json`` against ``pg_dump --schema-only`` and one
``seqcheck fix --apply``, at P and at 2P partitions. Prints the figures, the
ratio to pg_dump and the growth from P to 2P (2 is linear, 4 quadratic).

    python bench/partitions.py [--partitions 1000] [--keys 5] [--hand] [--pg-bin DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg
from scan import libpq_env, timed  # bench/scan.py, beside this file

from seqcheck.embedded import start_server

SEQCHECK = [sys.executable, "-m", "seqcheck.cli"]


def build(dsn: str, partitions: int, keys: int, *, hand: bool) -> None:
    """Create the referenced table, its partitions and the renamed referencing ones."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE r (id int PRIMARY KEY) PARTITION BY RANGE (id)")
        with conn.transaction():
            for n in range(partitions):
                conn.execute(
                    f"CREATE TABLE r_{n} PARTITION OF r"
                    f" FOR VALUES FROM ({10 * n}) TO ({10 * n + 10})"
                )
        for n in range(keys):
            named = f"CONSTRAINT fk_rails_{n} " if hand else ""
            conn.execute(f"CREATE TABLE f_{n} (id int {named}REFERENCES r)")
            conn.execute(f"ALTER TABLE f_{n} RENAME TO g_{n}")


def measure(args: argparse.Namespace, partitions: int) -> tuple[float, float, float]:
    """Return the best scan, best pg_dump and the fix's seconds at *partitions*."""
    with start_server(
        args.pg_bin, settings={"max_locks_per_transaction": "4096"}
    ) as server:
        build(server.dsn(), partitions, args.keys, hand=args.hand)
        env = libpq_env(server)
        pg_dump = [str(server.bin_dir / "pg_dump"), "--schema-only", "-f", os.devnull]
        scans, dumps = [], []
        for _ in range(args.repeat):
            seconds, code = timed([*SEQCHECK, "scan", "--format", "json"], env)
            assert code == 1, f"scan should find drift, exit {code}"
            scans.append(seconds)
            seconds, code = timed(pg_dump, env)
            assert code == 0, "pg_dump failed"
            dumps.append(seconds)
        fix, code = timed([*SEQCHECK, "fix", "--apply"], env)
        assert code == 0, f"fix --apply failed, exit {code}"
        _, code = timed([*SEQCHECK, "scan"], env)
        assert code == 0, f"the scan after fix --apply is not clean, exit {code}"
        print(
            f"PostgreSQL {server.major}, {partitions} partitions x {args.keys} keys"
            f"{' (named by hand)' if args.hand else ''}: scan {min(scans):.2f} s,"
            f" pg_dump {min(dumps):.2f} s (ratio {min(scans) / min(dumps):.2f}),"
            f" fix --apply {fix:.2f} s"
        )
        return min(scans), min(dumps), fix


def main() -> None:
    """Measure at P and 2P partitions and print how the times grow."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--hand", action="store_true")
    parser.add_argument("--pg-bin", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    scan1, dump1, fix1 = measure(args, args.partitions)
    scan2, dump2, fix2 = measure(args, 2 * args.partitions)
    print(
        f"growth from {args.partitions} to {2 * args.partitions} partitions"
        f" (2 is linear): scan {scan2 / scan1:.2f}, pg_dump {dump2 / dump1:.2f},"
        f" fix --apply {fix2 / fix1:.2f}"
    )
    print(f"(whole run {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
