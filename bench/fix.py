"""Benchmark: ``seqcheck fix --apply`` against ``psql -1 -f`` of the same statements.

On a server whose lock table holds the whole plan in one transaction
(``max_locks_per_transaction`` raised), builds the schema of ``bench/scan.py``
(N tables, every second one renamed: about 3 N renames; autovacuum off,
seqcheck compiled to bytecode), copies the database
twice per round (``CREATE DATABASE … TEMPLATE``: the same OIDs), writes the
plan with ``seqcheck fix --format sql`` and times ``psql -1 -f`` of it on one
copy and ``seqcheck fix --apply`` on the other, in the same run, alternating
which goes first; the two copies must then agree on every name. Target
(issue 4): apply ≤ 1.3 × psql; the floor (bench/floor.py) says what no
Python work of seqcheck's own can remove. Then, on a server with default
settings, the same schema: ``--apply`` must succeed through batches.

    python bench/fix.py [--tables 10000] [--pg-bin DIR] [--repeat 2]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from floor import catalog_seconds, startup_seconds  # bench/floor.py
from psycopg import sql
from scan import build, child_peak_mib  # bench/scan.py, beside this file

from seqcheck.embedded import Server, start_server

#: Enough for one transaction of 10,000 tables' renames (about 25,000 locks).
RAISED = {"max_locks_per_transaction": "1024"}
#: No autovacuum of the catalogs one contestant's renames leave behind while
#: the other is timed.
QUIET = {"autovacuum": "off"}

NAMES = """
select oid::int8, relname::text from pg_class
 where relnamespace = 'public'::regnamespace
union all
select oid::int8, conname::text from pg_constraint
 where connamespace = 'public'::regnamespace
"""


def environment(server: Server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.pop("DATABASE_URL", None)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, env.get("PYTHONPATH", "")) if p
    )
    return env


def run(argv: list[str], env: dict[str, str]) -> tuple[float, str, str, int]:
    """Run *argv*; return seconds, stdout, stderr and exit code."""
    start = time.perf_counter()
    proc = subprocess.run(
        argv, env=env, capture_output=True, text=True, check=False, timeout=3600
    )
    return time.perf_counter() - start, proc.stdout, proc.stderr, proc.returncode


def seqcheck(server: Server, dbname: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "seqcheck.cli", "fix", server.dsn(dbname), *args]


def psql(server: Server, dbname: str, script: Path) -> list[str]:
    return [
        str(server.bin_dir / "psql"),
        "-X",
        "-q",
        "-1",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        server.dsn(dbname),
        "-f",
        str(script),
    ]


def create(server: Server, name: str, template: str | None = None) -> None:
    """Create *name*, as a copy of *template* when one is given.

    A copy is made file by file (PostgreSQL 15+) and checkpointed, so that
    neither contestant pays for the copy's WAL or dirty buffers.
    """
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
        if server.major >= 15:
            query += sql.SQL(" STRATEGY FILE_COPY")
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(query)
        conn.execute("CHECKPOINT")


def drop(server: Server, name: str) -> None:
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def names(server: Server, dbname: str) -> dict[int, str]:
    with psycopg.connect(server.dsn(dbname)) as conn:
        return {int(oid): name for oid, name in conn.execute(NAMES)}


def debug_seconds(stderr: str, what: str) -> str:
    """Return the seconds a ``--debug`` line reports for *what*, or ``?``."""
    match = re.search(rf"{what}.*? ([\d.]+) ?s\b", stderr)
    return match[1] if match else "?"


def breakdown(stderr: str) -> str:
    """Return the phases ``--debug`` timed, in one line."""
    phases = {
        "catalog read": "catalog read",
        "drift": "drift judged",
        "plan": "plan made",
        "then waiting for the renames sent ahead and the names read after": (
            "renames sent ahead run"
        ),
        "forecast (in a child process)": "drift after the plan forecast",
        "apply": "applied",
    }
    ahead = re.search(r"applied \d+ steps, (\d+) sent ahead", stderr)
    sent = f"{ahead[1] if ahead else 0} renames sent while judging; "
    return sent + ", ".join(
        f"{label} {debug_seconds(stderr, what)} s" for label, what in phases.items()
    )


def server_seconds(server: Server, dbname: str, script: Path) -> float:
    """Time the server's share: *script*'s renames sent as ``--apply`` sends them.

    A thousand statements per query, in one transaction, rolled back.
    """
    lines = script.read_text(encoding="utf-8").splitlines()
    texts = [line.rstrip(";") for line in lines if line.startswith("ALTER ")]
    chunks = [";\n".join(texts[at : at + 1000]) for at in range(0, len(texts), 1000)]
    with psycopg.connect(server.dsn(dbname)) as conn:
        started = time.perf_counter()
        for chunk in chunks:
            conn.execute(chunk.encode())
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def build_database(server: Server, tables: int) -> None:
    create(server, "bench")
    started = time.perf_counter()
    build(server.dsn("bench"), tables)
    with psycopg.connect(server.dsn("bench"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    print(
        f"PostgreSQL {server.major}: built {tables} tables, renamed half,"
        f" in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def one_transaction(server: Server, tables: int, repeat: int, work: Path) -> None:
    """Time ``--apply`` against ``psql -1 -f`` on copies of one database."""
    env = environment(server)
    build_database(server, tables)
    applies: list[float] = []
    psqls: list[float] = []
    renames: list[float] = []  # the server's share: the renames, timed alone
    for round_ in range(repeat):
        create(server, f"by_psql_{round_}", "bench")
        create(server, f"by_apply_{round_}", "bench")
        script = work / f"fix_{round_}.sql"
        _, _, err, code = run(
            seqcheck(server, f"by_psql_{round_}", "--format", "sql", "-o", str(script)),
            env,
        )
        assert code == 1, f"fix --format sql: exit {code}: {err}"
        header = script.read_text(encoding="utf-8").splitlines()[0]
        assert "in one transaction" in header, header
        statements = script.read_text(encoding="utf-8").count(";\n") - 4
        by_psql = (psql(server, f"by_psql_{round_}", script), env)
        by_apply = (seqcheck(server, f"by_apply_{round_}", "--apply", "--debug"), env)
        order = [("psql", by_psql), ("apply", by_apply)]
        if round_ % 2:
            order.reverse()
        for label, (argv, environ) in order:
            seconds, out, err, code = run(argv, environ)
            assert code == 0, f"{label}: exit {code}: {err[-2000:]}"
            if label == "psql":
                psqls.append(seconds)
            else:
                applies.append(seconds)
                assert " in one transaction " in out, out[:300]
                print(
                    f"  round {round_ + 1}: seqcheck fix --apply {seconds:.2f} s"
                    f" ({breakdown(err)})",
                    flush=True,
                )
        print(
            f"  round {round_ + 1}: psql -1 -f {psqls[-1]:.2f} s"
            f" ({statements} statements)",
            flush=True,
        )
        same = names(server, f"by_psql_{round_}") == names(server, f"by_apply_{round_}")
        assert same, "psql and --apply left different names"
        renames.append(server_seconds(server, "bench", script))
        drop(server, f"by_psql_{round_}")
        drop(server, f"by_apply_{round_}")
    best_apply, best_psql = min(applies), min(psqls)
    print(f"psql -1 -f: best {best_psql:.2f} s of {repeat}")
    print(f"seqcheck fix --apply: best {best_apply:.2f} s of {repeat}")
    print(f"ratio apply/psql: {best_apply / best_psql:.3f} (target <= 1.3)")
    pairs = ", ".join(f"{a / p:.2f}" for a, p in zip(applies, psqls, strict=True))
    print(f"ratio per round: {pairs}")
    print(f"seqcheck peak RSS: {child_peak_mib():.0f} MiB")
    dsn = server.dsn("bench")
    startup, catalog = startup_seconds(), catalog_seconds(dsn)
    verify = catalog_seconds(dsn, names_only=True)
    server_renames = min(renames)
    # One transaction reads every name once, after its renames; the renames
    # (sent while drift is judged) cannot start before the catalog is read.
    floor = server_renames + startup + catalog + verify
    print(
        f"floor: the server's renames {server_renames:.2f} s (best of {repeat})"
        f" + start-up {startup:.2f} s + catalog {catalog:.2f} s (one connection)"
        f" + names {verify:.2f} s after"
        f" = {floor:.2f} s = {floor / best_psql:.3f} x psql"
    )
    print(f"left for judging, planning and checking: {1.3 * best_psql - floor:.2f} s")


def default_settings(server: Server, tables: int) -> None:
    """``--apply`` of the same plan on a server with default settings."""
    env = environment(server)
    build_database(server, tables)
    with psycopg.connect(server.dsn("bench")) as conn:
        row = conn.execute(
            "SELECT current_setting('max_locks_per_transaction'),"
            " current_setting('max_connections')"
        ).fetchone()
    print(
        f"  max_locks_per_transaction {row[0] if row else '?'},"
        f" max_connections {row[1] if row else '?'}"
    )
    seconds, out, err, code = run(seqcheck(server, "bench", "--apply", "--debug"), env)
    assert code == 0, f"--apply on default settings: exit {code}: {err[-2000:]}"
    first = out.splitlines()[0]
    print(f"seqcheck fix --apply, default settings: {seconds:.2f} s: {first}")
    print(f"  ({breakdown(err)})")
    _, again, _, code = run(seqcheck(server, "bench", "--apply"), env)
    assert (code, again) == (0, "Nothing to rename.\n"), (code, again)
    print("  a second --apply: nothing to rename")


def main() -> None:
    """Build, time both ways, print figures; then the default-settings run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--pg-bin", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-default", action="store_true")
    args = parser.parse_args()
    # Bytecode, as an installed package has it (PYTHONDONTWRITEBYTECODE, set
    # in some environments, would otherwise make each run compile again).
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "seqcheck", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"one transaction ({RAISED | QUIET}):", flush=True)
        with start_server(args.pg_bin, settings=RAISED | QUIET) as server:
            one_transaction(server, args.tables, args.repeat, Path(tmp))
    if not args.skip_default:
        print("default settings:", flush=True)
        with start_server(args.pg_bin) as server:
            default_settings(server, args.tables)


if __name__ == "__main__":
    main()
