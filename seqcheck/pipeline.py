"""Pipeline: catalog → drift → plan on an open connection, as every command runs it.

Stage: glue between the edges and the pure stages, shared by ``scan``, ``fix``
and the demo. Imports connect, catalog, drift and plan; never typer, and it
writes nothing to the terminal.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from seqcheck.ahead import Ahead
from seqcheck.catalog import read_catalog, read_server_info
from seqcheck.connect import DEFAULT_STATEMENT_TIMEOUT_MS, snapshot
from seqcheck.drift import Scope, find_drift
from seqcheck.findings import Tier
from seqcheck.plan import direct_plan, make_plan
from seqcheck.references import TextReferences, find_text_references

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg

    from seqcheck.batches import LockTable
    from seqcheck.catalog import Catalog, ServerInfo
    from seqcheck.drift import Drift
    from seqcheck.findings import Finding
    from seqcheck.plan import Plan

__all__ = ["Scanned", "failing", "scan_connection"]

log = logging.getLogger(__name__)

#: The size of ``pg_class`` (bytes) from which half of the catalog is read on
#: a second connection (:func:`~seqcheck.catalog.read_catalog`): some 16,000
#: relations, where the connection costs far less than it saves.
BESIDE_FROM = 4 << 20


@dataclass(frozen=True, slots=True)
class Scanned:
    """One scan of a database: what was read, judged and planned.

    :param dropped: findings left out of :attr:`drift` and the plan by the
        *drop* predicate of :func:`scan_connection` (ignore entries, baseline).
    :param references: the text references to the objects of the findings.
    :param refused: findings left out of the plan (not of :attr:`drift`)
        because their object is named as text somewhere.
    :param ahead: renames sent while drift was judged, in a transaction
        left open for :func:`~seqcheck.apply.apply_plan` to end.
    """

    server: ServerInfo
    catalog: Catalog
    scope: Scope
    drift: Drift
    plan: Plan
    dropped: tuple[Finding, ...] = ()
    references: TextReferences = field(default_factory=TextReferences)
    refused: tuple[Finding, ...] = ()
    ahead: Ahead | None = None


def scan_connection(
    conn: psycopg.Connection[Any],
    scope: Scope | None = None,
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    keep_index_columns: bool = False,
    drop: Callable[[Finding], bool] | None = None,
    allow_text_references: bool = False,
    ahead: LockTable | None = None,
) -> Scanned:
    """Read the catalog in one snapshot, find drift in *scope* and plan the fix.

    :param keep_index_columns: plan no renames of stale index column names.
    :param drop: findings to leave out of the result and the plan (the
        config's ignore entries, a baseline's known findings).
    :param allow_text_references: plan renames of objects that are named as
        text (a ``nextval('x'::text)`` default, a function body); by default
        they are left out of the plan and listed as refused.
    :param ahead: for ``fix --apply``, the server's lock table: renames
        that are sure are sent while drift is judged (:mod:`seqcheck.ahead`),
        when the lock table holds them all.
    :raises SeqcheckError: the catalog cannot be read (see :func:`snapshot`).
    """
    scope = scope or Scope()
    with snapshot(conn, statement_timeout_ms=statement_timeout_ms):
        server = read_server_info(conn)
        started = time.perf_counter()
        catalog = read_catalog(conn, server, beside_from=BESIDE_FROM)
    log.debug("catalog read in %.2f s", time.perf_counter() - started)
    sender: Ahead | None = None
    if ahead is not None:
        sender = Ahead.start(
            conn,
            catalog,
            tiers=scope.tiers,
            lock_table=ahead,
            keep=None if drop is None else (lambda f: not drop(f)),
            statement_timeout_ms=statement_timeout_ms,
        )
    try:
        return _judged(
            server,
            catalog,
            scope,
            sender,
            keep_index_columns=keep_index_columns,
            drop=drop,
            allow_text_references=allow_text_references,
        )
    except BaseException:
        if sender is not None:
            sender.close()
        raise


def _judged(
    server: ServerInfo,
    catalog: Catalog,
    scope: Scope,
    sender: Ahead | None,
    *,
    keep_index_columns: bool,
    drop: Callable[[Finding], bool] | None,
    allow_text_references: bool,
) -> Scanned:
    """Judge drift in *catalog* and plan its fix (see :func:`scan_connection`)."""
    started = time.perf_counter()
    drift = find_drift(catalog, scope, guess=None if sender is None else sender.guess)
    log.debug("drift judged in %.2f s", time.perf_counter() - started)
    dropped: tuple[Finding, ...] = ()
    if drop is not None:
        dropped = tuple(f for f in drift.findings if drop(f))
        if dropped:
            kept = tuple(f for f in drift.findings if not drop(f))
            drift = replace(drift, findings=kept)
    references = find_text_references(catalog.texts, drift.findings)
    refused: tuple[Finding, ...] = ()
    planned = drift
    if references and not allow_text_references:
        refused = tuple(f for f in drift.findings if references.of(f))
        kept = tuple(f for f in drift.findings if not references.of(f))
        planned = replace(drift, findings=kept)
    started = time.perf_counter()
    plan = None
    if sender is not None and sender.begun:  # the steps sent may be the plan
        plan = direct_plan(
            planned,
            catalog,
            sender.steps,
            include=scope.tiers,
            keep_index_columns=keep_index_columns,
        )
        if plan is not None and len(plan.steps) == len(sender.steps):
            sender.guessed()  # the plan is the renames sent: names read after
    if plan is None:
        plan = make_plan(
            planned, catalog, include=scope.tiers, keep_index_columns=keep_index_columns
        )
    log.debug("plan made in %.2f s", time.perf_counter() - started)
    return Scanned(
        server, catalog, scope, drift, plan, dropped, references, refused, sender
    )


def failing(
    findings: tuple[Finding, ...], scope: Scope, *, index_columns: bool = False
) -> tuple[Finding, ...]:
    """Return the findings that make a command exit 1.

    Those in a reported tier of *scope*; with *index_columns*, stale index
    column names too (``fix`` renames them unless ``--keep-index-columns``).
    """
    tiers = scope.tiers | ({Tier.INDEX_COLUMN} if index_columns else set())
    return tuple(f for f in findings if f.tier in tiers)
