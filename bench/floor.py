"""What any seqcheck run costs before it judges a single name, measured in the run.

The benchmarks compare seqcheck with ``pg_dump`` and ``psql``; these figures
say how much of seqcheck's time no Python code of its own can remove:

- *start-up*: a Python interpreter that imports psycopg and exits;
- *catalog*: the server running seqcheck's catalog queries (``sql/*.sql``)
  and psycopg loading their rows as tuples (binary, its C loaders), the
  least a Python program must do to hold them on one connection (seqcheck
  reads a large catalog on two);
- *names*: the same for the names query ``fix --apply`` reads to verify its
  renames (after them; before them too when the plan takes several batches);
- *json*: the standard library encoding a scan's JSON report (already built
  as Python values), the output ``--format json`` must write.

    python bench/floor.py [DSN]    # start-up, catalog and names for a database
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import psycopg

from seqcheck.catalog import load_query, queries
from seqcheck.statements import object_names


def startup_seconds(repeat: int = 5) -> float:
    """Return the best wall time of ``python -c 'import psycopg'``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import psycopg"], check=True)
        times.append(time.perf_counter() - start)
    return min(times)  # the run least disturbed by the machine


def catalog_seconds(dsn: str, *, names_only: bool = False, repeat: int = 3) -> float:
    """Return the best wall time of the catalog queries, rows fetched as tuples.

    With *names_only*, of the one query ``fix --apply`` reads to verify its
    renames.
    """
    with psycopg.connect(dsn) as conn:
        major = conn.info.server_version // 10000
        texts = (
            [object_names()]
            if names_only
            else [load_query(concept) for concept, _ in queries(major)]
        )
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            with conn.transaction(), conn.cursor(binary=True) as cur:
                cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                for text in texts:
                    cur.execute(text).fetchall()
            times.append(time.perf_counter() - start)
    return min(times)


def json_seconds(document: str, repeat: int = 3) -> float:
    """Return the best time the standard library takes to encode *document* again."""
    value = json.loads(document)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        json.dumps(value, ensure_ascii=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print start-up, catalog and names figures for the database at ``argv[1]``."""
    dsn = sys.argv[1] if len(sys.argv) > 1 else ""
    print(f"start-up (python -c 'import psycopg'): {startup_seconds():.2f} s")
    print(f"catalog queries on the server, rows sent: {catalog_seconds(dsn):.2f} s")
    names = catalog_seconds(dsn, names_only=True)
    print(f"the names query fix --apply verifies with: {names:.2f} s")


if __name__ == "__main__":
    main()
