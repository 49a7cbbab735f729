"""Benchmark: ``seqcheck scan DSN×N`` against N single scans, one after another.

Builds one small drifted schema (T tables: serial primary key, a unique, a
foreign key, a check and an index each; every second table renamed) in a
template database, clones it into N databases on a throwaway server, then
times, in the same run, one ``seqcheck scan --format json`` of all N (at the
default --jobs, and at --jobs 1) and N single scans run one after another, as
a CI job without this feature would. Prints the figures and the ratio.
Target (issue 6): the one run is well under N single scans.

    python bench/many.py [--databases 20] [--tables 200] [--pg-bin DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql
from scan import build  # bench/scan.py, beside this file

from seqcheck.embedded import start_server

SEQCHECK = [sys.executable, "-m", "seqcheck.cli", "scan", "--format", "json"]


def clone(admin: str, template: str, names: list[str]) -> None:
    """Create each of *names* as a copy of *template*."""
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int, bytes]:
    """Run *argv*; return seconds, exit code and standard output."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, check=False)
    return time.perf_counter() - start, proc.returncode, proc.stdout


def main() -> None:
    """Build the databases, time the one run and the single scans, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=20)
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--pg-bin", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.pop("DATABASE_URL", None)
    with start_server(args.pg_bin) as server:
        t0 = time.perf_counter()
        template = "bench_template"
        clone(server.dsn(), "template0", [template])
        build(server.dsn(template), args.tables)
        names = [f"app_{n:02d}" for n in range(args.databases)]
        clone(server.dsn(), template, names)
        dsns = [server.dsn(name) for name in names]
        print(
            f"PostgreSQL {server.major}: {args.databases} databases of"
            f" {args.tables} tables (half renamed) built in"
            f" {time.perf_counter() - t0:.1f} s"
        )
        many: list[float] = []
        serial: list[float] = []
        singles: list[float] = []
        for _ in range(args.repeat):
            seconds, code, out = timed([*SEQCHECK, *dsns], env)
            assert code == 1, f"scan of all should find drift, exit {code}"
            doc = json.loads(out)
            assert [d["exit"] for d in doc["databases"]] == [1] * len(dsns)
            many.append(seconds)
            seconds, code, _ = timed([*SEQCHECK, "--jobs", "1", *dsns], env)
            assert code == 1, f"scan --jobs 1 should find drift, exit {code}"
            serial.append(seconds)
            total = 0.0
            for dsn in dsns:
                seconds, code, _ = timed([*SEQCHECK, dsn], env)
                assert code == 1, f"single scan should find drift, exit {code}"
                total += seconds
            singles.append(total)
        one, jobs1, each = min(many), min(serial), min(singles)
        n = args.databases
        print(
            f"{n} single scans, one after another: best {each:.2f} s of {args.repeat}"
        )
        print(f"  (one single scan: {each / n:.2f} s)")
        print(f"seqcheck scan DSN×{n} (--jobs {min(8, n)}): best {one:.2f} s")
        print(f"seqcheck scan DSN×{n} --jobs 1: best {jobs1:.2f} s")
        print(f"ratio one run / {n} single scans: {one / each:.3f}")
        print(f"ratio --jobs 1 run / {n} single scans: {jobs1 / each:.3f}")


if __name__ == "__main__":
    main()
