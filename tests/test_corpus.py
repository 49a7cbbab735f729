"""Scan the real-world schemas of ``../shared/corpus`` and compare with its TSVs.

Each schema loads once per server per session (:mod:`tests.corpus` says how),
and its scan must report exactly the certain, likely and index-column findings
that ``expected/<schema>.tsv`` lists (``<schema>.pg<N>.tsv`` on PostgreSQL N
when it exists): everything listed reported, nothing else. The corpus missing
skips these tests, or fails them under ``CI=true``. Load and scan times go to
the test report's ``user_properties`` (written by ``--junitxml`` with
``-o junit_family=xunit1``); nothing is printed or asserted about them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from seqcheck.catalog import read_catalog
from seqcheck.conventions import RAILS
from seqcheck.drift import Scope, find_drift
from seqcheck.embedded import Server
from seqcheck.findings import Finding, Kind, Tier
from tests.corpus import (
    SCHEMAS,
    CorpusSchema,
    ExpectedRow,
    Loaded,
    LoadError,
    MissingExtensions,
    expected_file,
    load,
    read_expected,
)
from tests.fix_server import EMBEDDED_MAJOR, IN_CI

COMPARED_TIERS = frozenset({Tier.CERTAIN, Tier.LIKELY, Tier.INDEX_COLUMN})
EMBEDDED_LACKS = frozenset({"uuid-ossp", "pgcrypto"})

Row = tuple[str, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A load that did not produce a database: skip or fail with `reason`."""

    skip: bool
    reason: str

    def raise_(self) -> None:
        if self.skip:
            pytest.skip(self.reason)
        pytest.fail(self.reason, pytrace=False)


@dataclass
class CorpusLoads:
    """The session's loaded corpus databases, keyed by (server, schema).

    A failed or skipped load is remembered too, so it is not retried.
    """

    corpus: Path
    done: dict[tuple[Path, int, str], Loaded | _Outcome] = field(default_factory=dict)

    def get(self, server: Server, spec: CorpusSchema) -> Loaded:
        key = (server.socket_dir, server.port, spec.key)
        if key not in self.done:
            self.done[key] = self._load(server, spec)
        found = self.done[key]
        if isinstance(found, _Outcome):
            found.raise_()
            raise AssertionError("unreachable")  # pragma: no cover
        return found

    def _load(self, server: Server, spec: CorpusSchema) -> Loaded | _Outcome:
        try:
            return load(server, spec, self.corpus)
        except MissingExtensions as exc:
            if server.major == EMBEDDED_MAJOR and set(exc.names) <= EMBEDDED_LACKS:
                return _Outcome(True, "embedded PostgreSQL 18 lacks uuid-ossp/pgcrypto")
            reason = (
                f"{spec.key}: {exc} (install postgresql-contrib or set SEQCHECK_PG)"
            )
            return _Outcome(not IN_CI, reason)
        except (LoadError, psycopg.Error) as exc:
            return _Outcome(False, f"loading {spec.key} failed: {exc}")


@pytest.fixture(scope="session")
def corpus_loads(corpus: Path) -> Iterator[CorpusLoads]:
    """Corpus databases, each loaded at most once per server per session."""
    yield CorpusLoads(corpus)


def _row(finding: Finding) -> Row:
    return (
        finding.tier.value,
        finding.kind.value,
        finding.schema,
        finding.table,
        finding.name,
        finding.expected,
    )


def _tsv(row: Row) -> str:
    return "\t".join(row)


def _diff(
    title: str,
    expected: list[ExpectedRow],
    reported: dict[Row, Finding],
) -> str:
    """Describe how the reported findings differ from the TSV, or return ""."""
    wanted = {row.key: row for row in expected}
    missing = sorted(wanted.keys() - reported.keys())
    unexpected = sorted(reported.keys() - wanted.keys())
    if not missing and not unexpected:
        return ""
    lines = [title, "rows: tier, kind, schema, table, name, expected (tab-separated)"]
    lines.append(f"missing (in the TSV, not reported): {len(missing)}")
    lines += [f"  {_tsv(key)}\t# {wanted[key].evidence}" for key in missing]
    lines.append(f"unexpected (reported, not in the TSV): {len(unexpected)}")
    for key in unexpected:
        found = reported[key]
        lines.append(f"  {_tsv(key)}\t# {found.code}: {found.message}")
    return "\n".join(lines)


@pytest.mark.parametrize("spec", SCHEMAS, ids=[spec.key for spec in SCHEMAS])
def test_corpus_scan_matches_expected(
    corpus: Path,
    pg_server: Server,
    spec: CorpusSchema,
    corpus_loads: CorpusLoads,
    request: pytest.FixtureRequest,
) -> None:
    tsv = expected_file(corpus, spec.key, pg_server.major)
    expected = read_expected(tsv)
    keys = [row.key for row in expected]
    assert len(keys) == len(set(keys)), f"{tsv} repeats a row"

    loaded = corpus_loads.get(pg_server, spec)
    began = time.monotonic()
    with psycopg.connect(loaded.dsn) as conn:
        catalog = read_catalog(conn)
    drift = find_drift(catalog)
    scan_seconds = time.monotonic() - began
    properties = request.node.user_properties
    properties.append(("load_seconds", round(loaded.seconds, 3)))
    properties.append(("scan_seconds", round(scan_seconds, 3)))
    if loaded.patched:
        properties.append(("patched", loaded.patched))

    assert drift.tables_checked >= spec.min_tables, (
        f"database {loaded.dbname} has only {drift.tables_checked} tables;"
        f" the corpus README counts at least {spec.min_tables}"
    )
    reported = {_row(f): f for f in drift.findings if f.tier in COMPARED_TIERS}
    title = (
        f"{spec.key} on PostgreSQL {pg_server.major}: the scan of database"
        f" {loaded.dbname} differs from {tsv.relative_to(corpus.parent)}"
    )
    difference = _diff(title, expected, reported)
    if difference:
        pytest.fail(difference, pytrace=False)


def test_danbooru_is_clean_under_the_rails_convention(
    corpus: Path, pg_server: Server, corpus_loads: CorpusLoads
) -> None:
    """Danbooru is a Rails app: its 93 ``fk_rails_<hash>`` names are Rails' own."""
    [spec] = [s for s in SCHEMAS if s.key == "danbooru"]
    loaded = corpus_loads.get(pg_server, spec)
    with psycopg.connect(loaded.dsn) as conn:
        catalog = read_catalog(conn)
    rails = find_drift(catalog, Scope(convention=RAILS, strict=True))
    fkeys = [c for c in catalog.constraints if c.contype == "f"]
    assert len(fkeys) >= 90
    assert all(c.name.startswith("fk_rails_") for c in fkeys)
    reported = [f for f in rails.findings if f.kind is Kind.FKEY]
    assert reported == []
    assert [f for f in rails.findings if f.tier in (Tier.CERTAIN, Tier.LIKELY)] == []
