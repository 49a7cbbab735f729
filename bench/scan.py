"""Benchmark: ``seqcheck scan --format json`` against ``pg_dump --schema-only``.

Builds N tables (serial primary key, a unique, a foreign key, a check and an
index each) on a throwaway server, renames half of them, then times both
commands on the same database in the same run and prints the figures and the
ratio. Target (issue 3): scan ≤ 0.25 × pg_dump, peak memory < 200 MB. Then
prints the floor (bench/floor.py): what the scan costs before its own work.

    python bench/scan.py [--tables 10000] [--pg-bin DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from floor import catalog_seconds, json_seconds, startup_seconds  # bench/floor.py

from seqcheck.embedded import Server, start_server

BATCH = 500


def build(dsn: str, tables: int) -> None:
    """Create *tables* tables, then rename every second one."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for start in range(0, tables, BATCH):
            with conn.transaction():
                for n in range(start, min(start + BATCH, tables)):
                    ref = f"bench_{n - 1}" if n else f"bench_{n}"
                    conn.execute(
                        f"CREATE TABLE bench_{n} ("
                        " id serial PRIMARY KEY,"
                        " code text UNIQUE,"
                        f" parent_id int REFERENCES {ref},"
                        " amount int CHECK (amount > 0),"
                        " created timestamptz)"
                    )
                    conn.execute(f"CREATE INDEX ON bench_{n} (created)")
        for start in range(0, tables, BATCH):
            with conn.transaction():
                for n in range(start, min(start + BATCH, tables), 2):
                    conn.execute(f"ALTER TABLE bench_{n} RENAME TO renamed_{n}")


def libpq_env(server: Server) -> dict[str, str]:
    """Return this process's environment, pointing libpq at *server*."""
    return dict(
        os.environ,
        PGHOST=str(server.socket_dir),
        PGPORT=str(server.port),
        PGUSER=server.user,
        PGDATABASE="postgres",
    )


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run *argv* with its output discarded; return seconds and exit code."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, proc.returncode


def child_peak_mib() -> float:
    """Return the peak RSS of any finished child so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    """Build the schema, time both commands, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--pg-bin", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with start_server(args.pg_bin) as server:
        dsn = server.dsn()
        t0 = time.perf_counter()
        build(dsn, args.tables)
        print(
            f"PostgreSQL {server.major}: built {args.tables} tables, renamed half, "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        env = libpq_env(server)
        seqcheck = [sys.executable, "-m", "seqcheck.cli", "scan", "--format", "json"]
        pg_dump = [str(server.bin_dir / "pg_dump"), "--schema-only", "-f", os.devnull]
        scans: list[float] = []
        dumps: list[float] = []
        for _ in range(args.repeat):
            seconds, code = timed(seqcheck, env)
            assert code == 1, f"scan should find drift, exit {code}"
            scans.append(seconds)
        peak = child_peak_mib()  # only scans have run as children so far
        for _ in range(args.repeat):
            seconds, code = timed(pg_dump, env)
            assert code == 0, "pg_dump failed"
            dumps.append(seconds)
        scan, dump = min(scans), min(dumps)
        print(f"pg_dump --schema-only: best {dump:.2f} s of {args.repeat}")
        print(f"seqcheck scan --format json: best {scan:.2f} s of {args.repeat}")
        print(f"ratio scan/pg_dump: {scan / dump:.3f} (target <= 0.25)")
        print(f"seqcheck scan peak RSS: {peak:.0f} MiB (target < 200)")
        print_floor(dsn, seqcheck, env, dump)


def print_floor(dsn: str, scan: list[str], env: dict[str, str], dump: float) -> None:
    """Print what a scan costs before its own work (bench/floor.py), against *dump*."""
    report = subprocess.run(scan, env=env, capture_output=True, check=False).stdout
    parts = {
        "start-up": startup_seconds(),
        "catalog": catalog_seconds(dsn),
        "json encoding": json_seconds(report.decode()),
    }
    total = sum(parts.values())
    terms = " + ".join(f"{what} {seconds:.2f} s" for what, seconds in parts.items())
    print(f"floor: {terms} = {total:.2f} s = {total / dump:.3f} x pg_dump")
    left = 0.25 * dump - total
    print(f"left for judging and planning under the target: {left:.2f} s")


if __name__ == "__main__":
    main()
