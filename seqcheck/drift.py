"""Drift: weigh the evidence that a name was generated under older names.

Stage: drift. Runs the rules over a :class:`~seqcheck.catalog.Catalog` and
returns sorted, immutable findings (DESIGN.md, "When a name is drift"). Pure:
imports records, naming, rules and findings; never a connection.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seqcheck.clones import RowTarget
from seqcheck.conventions import Template
from seqcheck.conventions.judge import expected_name, guarded, judge_template
from seqcheck.evidence import (
    Verdict,
    judge,
    old_owners,
    today_middle,
    vouches,
    written_middle,
)
from seqcheck.findings import Finding, Kind, Reason, Tier
from seqcheck.naming import Encoding, build, encoding_for
from seqcheck.rules import RULES, Subject
from seqcheck.rules._common import is_leftover
from seqcheck.rules.sc111_index_column_name import CODE as INDEX_COLUMN_CODE
from seqcheck.rules.sc111_index_column_name import stale_columns
from seqcheck.targets import Namer

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

    from seqcheck.catalog import Catalog, Index, Schema, Table

__all__ = ["Drift", "Scope", "find_drift", "index_column_findings"]


@dataclass(frozen=True, slots=True)
class Scope:
    """What to judge: schema and table globs, kinds, and ``--strict``."""

    schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    exclude_tables: tuple[str, ...] = ()
    kinds: frozenset[Kind] = frozenset()
    strict: bool = False
    min_confidence: Tier = Tier.LIKELY
    convention: Template | None = None

    @property
    def tiers(self) -> frozenset[Tier]:
        """Return the tiers that are reported, renamed and fail a scan."""
        tiers = {Tier.CERTAIN}
        if self.min_confidence is not Tier.CERTAIN:
            tiers.add(Tier.LIKELY)
        if self.strict:
            tiers.add(Tier.CUSTOM)
        return frozenset(tiers)

    def schema_in(self, name: str) -> bool:
        """Tell whether schema *name* is in scope."""
        if self.schemas and not _matches(name, self.schemas):
            return False
        return not _matches(name, self.exclude_schemas)

    def table_in(self, schema: str, name: str) -> bool:
        """Tell whether table *name* (or ``schema.name``) is in scope."""
        if not self.tables and not self.exclude_tables:
            return True
        both = (name, f"{schema}.{name}")
        if self.tables and not any(_matches(n, self.tables) for n in both):
            return False
        return not any(_matches(n, self.exclude_tables) for n in both)

    def kind_in(self, kind: Kind) -> bool:
        """Tell whether findings of *kind* are wanted."""
        return not self.kinds or kind in self.kinds


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


@dataclass(frozen=True, slots=True)
class Drift:
    """The result of a scan: findings, sorted, and what was looked at."""

    findings: tuple[Finding, ...]
    tables_checked: int
    unusable_schemas: tuple[str, ...] = ()
    renamed_from: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    checked: tuple[tuple[str, str], ...] = ()
    #: The rows for referenced partitions of the foreign keys found, which
    #: follow their key (:mod:`seqcheck.clones`), named as a fresh build names
    #: them; not findings.
    rows: tuple[RowTarget, ...] = ()


def find_drift(
    catalog: Catalog,
    scope: Scope | None = None,
    *,
    guess: Callable[[Finding], None] | None = None,
    only: Collection[int] | None = None,
) -> Drift:
    """Return every drifted name in *catalog* within *scope*.

    :param guess: called, as soon as a reported verdict is final, with its
        finding as it would be without collision digits (the expected name
        its default without them). A guess: the finding returned may name
        another target. Not called under a naming convention.
    :param only: judge the objects of these tables (OIDs) only, and domain
        constraints; the tables checked are still every table in *scope*.
        For :func:`seqcheck.verify.touched`: the others judge as before.
    """
    scope = scope or Scope()
    enc = encoding_for(catalog.server.encoding)
    schemas = {s.oid: s for s in catalog.schemas if scope.schema_in(s.name)}
    tables = {
        t.oid: t
        for t in catalog.tables
        if t.schema_oid in schemas
        and not t.from_extension
        and scope.table_in(schemas[t.schema_oid].name, t.name)
    }
    judging = tables
    if only is not None:
        judging = {oid: t for oid, t in tables.items() if oid in only}
    stale = _stale_indexes(catalog, judging, enc)
    olds = _proven_olds(catalog, stale)
    convention = scope.convention
    # Made as they are judged, so that the first guesses come early; without
    # the names that are today's defaults, unless a convention judges them.
    made: Iterator[Subject] = (
        s
        for rule in RULES
        for s in rule.subjects(catalog, judging, clean=convention is not None)
        if s.schema_oid in schemas
    )
    if convention is not None:
        made = (_under(convention, s) for s in made)
    reported = scope.tiers
    guesses = _Guesses(
        guess if convention is None else None,
        scope,
        olds=olds,
        enc=enc,
        schemas=schemas,
    )
    subjects: list[Subject] = []
    verdicts = _weigh(
        catalog, made, olds, enc, convention, decided=guesses.decided, kept=subjects
    )
    subjects = [s for s in subjects if scope.kind_in(s.kind)]
    chosen = [
        s
        for s in subjects
        if s.oid in verdicts
        and verdicts[s.oid].tier in reported
        and not verdicts[s.oid].clean_digits
    ]
    keys = {s.oid for s in chosen if s.kind is Kind.FKEY}
    chosen = [s for s in chosen if s.key_oid not in keys]  # rows follow their key
    digits = [
        s
        for s in subjects
        if s.oid in verdicts and verdicts[s.oid].clean_digits and s.key_oid not in keys
    ]
    findings: list[Finding] = []
    rows: tuple[RowTarget, ...] = ()
    # Nothing to name (a clean schema; the drift forecast after a plan): no
    # index of every name in the catalog either.
    if chosen or digits:
        namer = Namer(catalog, enc, chosen, digits)
        following = {s.oid for s in digits}
        # In OID order, as a fresh build creates them: an older name with
        # collision digits takes a plain name the run frees before a newer
        # renamed object can.
        for subject in sorted([*chosen, *digits], key=lambda s: s.oid):
            if subject.oid in following:
                findings += _followed(subject, namer, scope, schemas, enc)
                continue
            verdict = verdicts[subject.oid]
            middle = guesses.middle(subject, verdict)
            if convention is not None and _templated(convention, subject):
                expected = expected_name(convention, subject, verdict)
                namer.named(subject, expected, middle)
            else:
                expected = namer.choose(subject, middle)
            findings.append(guesses.finding(subject, verdict, expected))
        rows = namer.rows()
    if scope.kind_in(Kind.INDEX_COLUMN):
        names = {oid: schema.name for oid, schema in schemas.items()}
        findings += index_column_findings(catalog.indexes, judging, names, stale)
    renamed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for subject in subjects:
        judged = verdicts.get(subject.oid)
        if judged is not None and judged.tier is Tier.CERTAIN and judged.owner:
            renamed[(schemas[subject.schema_oid].name, subject.owner)].add(judged.owner)
    return Drift(
        findings=tuple(sorted(findings, key=_order)),
        tables_checked=len(tables),
        checked=tuple(
            sorted((schemas[t.schema_oid].name, t.name) for t in tables.values())
        ),
        unusable_schemas=tuple(s.name for s in schemas.values() if not s.usable),
        renamed_from={k: _longest_forms(v) for k, v in renamed.items()},
        rows=rows,
    )


class _Guesses:
    """Findings guessed as their verdicts become final (:func:`find_drift`'s *guess*).

    Each is named without collision digits and handed to *guess*; its middle
    and finding are kept, to be used again once its name is chosen.
    """

    def __init__(
        self,
        guess: Callable[[Finding], None] | None,
        scope: Scope,
        *,
        olds: dict[int, dict[int, set[str]]],
        enc: Encoding,
        schemas: dict[int, Schema],
    ) -> None:
        self.guess = guess
        self._reported = scope.tiers
        self._kind_in = scope.kind_in
        self._olds = olds
        self._enc = enc
        self._schemas = schemas
        self._kept: dict[int, tuple[str | None, Finding | None]] = {}

    def decided(self, subject: Subject, verdict: Verdict) -> None:
        """Guess the finding of *subject*, whose *verdict* is final."""
        if (
            self.guess is None
            or verdict.tier not in self._reported
            or verdict.clean_digits
            or subject.key_oid
            or not self._kind_in(subject.kind)
        ):
            return
        middle = self.middle(subject, verdict)
        plain = build(subject.owner, middle, subject.label, self._enc)
        finding = None
        if plain != subject.name:
            finding = _finding(subject, verdict, plain, self._schemas)
            self.guess(finding)
        self._kept[subject.oid] = (middle, finding)

    def middle(self, subject: Subject, verdict: Verdict) -> str | None:
        """Return the middle part *subject*'s new name is written with."""
        kept = self._kept.get(subject.oid)
        if kept is not None:
            return kept[0]
        table_oid = subject.table.oid if subject.table else 0
        return written_middle(
            subject, verdict, self._olds.get(table_oid, {}), self._enc
        )

    def finding(self, subject: Subject, verdict: Verdict, expected: str) -> Finding:
        """Return *subject*'s finding, named *expected*: the guess if it was right."""
        kept = self._kept.get(subject.oid)
        if kept is not None and kept[1] is not None and kept[1].expected == expected:
            return kept[1]
        return _finding(subject, verdict, expected, self._schemas)


def _followed(
    subject: Subject,
    namer: Namer,
    scope: Scope,
    schemas: dict[int, Schema],
    enc: Encoding,
) -> list[Finding]:
    """Return the finding for a default name with collision digits, if any.

    A lower number the run frees is taken, and a name an older object took
    in this run is left for the next free one (both certain); with
    ``--strict``, a plain name nobody holds is reported (custom).
    """
    middle = today_middle(subject, enc)
    moved = namer.follow(subject, middle)
    if moved is not None:
        name, taken = moved
        why = Reason.NAME_TAKEN if taken else Reason.NAME_FREED
        return [_finding(subject, Verdict(Tier.CERTAIN, why), name, schemas)]
    if scope.strict and namer.plain_is_free(subject, middle):
        plain = build(subject.owner, middle, subject.label, enc)
        custom = Verdict(Tier.CUSTOM, Reason.NOT_DEFAULT)
        return [_finding(subject, custom, plain, schemas)]
    return []


def _templated(convention: Template, subject: Subject) -> bool:
    """Tell whether *convention* names *subject* (never a row PostgreSQL names)."""
    return convention.covers(subject.kind) and not subject.key_oid


def _under(convention: Template, subject: Subject) -> Subject:
    """Return *subject* with the witness rules of *convention* where it names it."""
    if not _templated(convention, subject):
        return subject
    needs = guarded(convention, subject)
    return subject._replace(guarded=needs, witness=not needs)


def _weigh(
    catalog: Catalog,
    subjects: Iterable[Subject],
    olds: dict[int, dict[int, set[str]]],
    enc: Encoding,
    convention: Template | None = None,
    *,
    decided: Callable[[Subject, Verdict], None],
    kept: list[Subject],
) -> dict[int, Verdict]:
    """Judge every subject, then apply the witness and copy guards (DESIGN.md).

    The unguarded subjects are judged as *subjects* yields them, the guarded
    ones after all of those; *decided* is called with each subject and its
    final verdict, and *kept* gets every subject, in order.
    """
    # Where a check or NOT NULL could have been copied from: a table's own
    # constraint, not one it inherits (a partition's copy of its parent's),
    # merged with a local one or not (SET NOT NULL on a partition keeps the
    # parent's name).
    copies: dict[tuple[int, str], set[str]] = defaultdict(set)
    table_names = {t.oid: t.name for t in catalog.tables}
    for con in catalog.constraints:
        if con.table_oid in table_names and con.is_local and not con.inherit_count:
            copies[(con.schema_oid, con.name)].add(table_names[con.table_oid])
    witnesses: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    verdicts: dict[int, Verdict] = {}
    guarded: list[Subject] = []

    def unguarded() -> Iterator[Subject]:
        for subject in subjects:
            kept.append(subject)
            if subject.guarded:
                guarded.append(subject)
            else:
                yield subject

    no_olds: dict[int, set[str]] = {}
    for passed in (unguarded(), guarded):
        for subject in passed:
            table_oid = subject.table.oid if subject.table else 0
            seen = witnesses[table_oid]
            templated = convention is not None and _templated(convention, subject)
            if convention is not None and templated:
                verdict = judge_template(
                    convention, subject, olds.get(table_oid, {}), seen
                )
            else:
                verdict = judge(subject, olds.get(table_oid, no_olds), enc, seen)
            if verdict is None:
                continue
            if verdict.owner and subject.kind in (Kind.CHECK, Kind.NOT_NULL):
                verdict = _copy_guard(subject, verdict, copies, enc, templated)
            if verdict.owner and subject.guarded:
                verdict = _witness_guard(subject, verdict, seen, enc, templated)
            if verdict.owner and subject.witness and verdict.tier is Tier.CERTAIN:
                witnesses[table_oid].append((verdict.owner, verdict.truncated))
                if olds.get(table_oid) and not templated:
                    witnesses[table_oid] += old_owners(subject, olds[table_oid], enc)
            verdicts[subject.oid] = verdict
            decided(subject, verdict)
    return verdicts


def _copy_guard(
    subject: Subject,
    verdict: Verdict,
    copies: dict[tuple[int, str], set[str]],
    enc: Encoding,
    templated: bool = False,
) -> Verdict:
    """A check or NOT NULL that a table of the old name has too was copied (guard 2)."""
    label = subject.label + verdict.digits
    for table in copies.get((subject.schema_oid, subject.name), ()):
        if table != subject.owner and (
            table == verdict.owner
            if templated
            else build(table, verdict.middle, label, enc) == subject.name
        ):
            return Verdict(Tier.CUSTOM, Reason.NOT_DEFAULT, digits=verdict.digits)
    return verdict


def _witness_guard(
    subject: Subject,
    verdict: Verdict,
    witnesses: list[tuple[str, bool]],
    enc: Encoding,
    templated: bool = False,
) -> Verdict:
    """A guarded name counts only when an unguarded one proves the same old owner.

    "The same" compares the forms PostgreSQL would produce for this name's kind
    and middle, so a witness's longer old name may appear cut here.
    """
    label = subject.label + verdict.digits
    for witness in witnesses:
        if templated:
            if witness[0] == verdict.owner:
                return verdict._replace(owner="")
        elif vouches(
            witness,
            subject.name,
            owner=verdict.owner,
            middle=verdict.middle,
            label=label,
            enc=enc,
        ):
            return verdict._replace(owner="")
    return Verdict(Tier.CUSTOM, Reason.NOT_DEFAULT, digits=verdict.digits)


def _stale_indexes(
    catalog: Catalog, tables: dict[int, Table], enc: Encoding
) -> dict[int, list[tuple[int, int, str, str]]]:
    """Return, per judged index, ``(position, attnum, stored, today)`` when stale."""
    out: dict[int, list[tuple[int, int, str, str]]] = {}
    for index in catalog.indexes:
        table = tables.get(index.table_oid)
        if table is None or index.from_extension or is_leftover(index.name):
            continue
        stale = stale_columns(index, table, enc)
        if stale:
            out[index.oid] = stale
    return out


def _proven_olds(
    catalog: Catalog, stale: dict[int, list[tuple[int, int, str, str]]]
) -> dict[int, dict[int, set[str]]]:
    """Return, per table, old column names that its indexes still store (§5.4)."""
    olds: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for index in catalog.indexes:
        for _, attnum, stored, _ in stale.get(index.oid, ()):
            olds[index.table_oid][attnum].add(stored)
    return olds


def index_column_findings(
    indexes: Iterable[Index],
    tables: Mapping[int, Table],
    schemas: Mapping[int, str],
    stale: Mapping[int, list[tuple[int, int, str, str]]],
) -> list[Finding]:
    """Return one finding per stale index column (at the root of partition indexes).

    :param stale: per index OID, ``(position, attnum, stored, today)`` of each
        stale column (:func:`stale_columns` against *tables*).
    :param schemas: schema names by OID.
    """
    out: list[Finding] = []
    for index in indexes:
        columns = stale.get(index.oid)
        if not columns or not index.valid:
            continue
        table = tables[index.table_oid]
        inherited = {(pos, old) for pos, _, old, _ in stale.get(index.parent_oid, ())}
        for pos, _, old, new in columns:
            if (pos, old) in inherited:
                continue
            out.append(
                Finding(
                    schema=schemas[table.schema_oid],
                    table=table.name,
                    kind=Kind.INDEX_COLUMN,
                    name=f"{index.name}.{old}",
                    code=INDEX_COLUMN_CODE,
                    tier=Tier.INDEX_COLUMN,
                    reason=Reason.STALE_INDEX_COLUMN,
                    expected=f"{index.name}.{new}",
                    stale=old,
                    object_oid=index.oid,
                    table_oid=table.oid,
                    object_name=index.name,
                    column=old,
                    new_column=new,
                )
            )
    return out


def _longest_forms(names: set[str]) -> tuple[str, ...]:
    """Drop names that are only a cut form of a longer one."""
    raw = {n: n.encode("utf-8", "surrogateescape") for n in names}
    return tuple(
        sorted(
            n
            for n in names
            if not any(m != n and raw[m].startswith(raw[n]) for m in names)
        )
    )


_KIND_ORDER = {kind: n for n, kind in enumerate(Kind)}


def _order(finding: Finding) -> tuple[str, str, int, str]:
    return (finding.schema, finding.table, _KIND_ORDER[finding.kind], finding.name)


def _finding(
    subject: Subject, verdict: Verdict, expected: str, schemas: dict[int, Schema]
) -> Finding:
    return Finding(
        schema=schemas[subject.schema_oid].name,
        table=subject.owner,
        kind=subject.kind,
        name=subject.name,
        code=subject.code,
        tier=verdict.tier,
        reason=verdict.reason,
        expected=expected,
        stale=verdict.stale,
        object_oid=subject.oid,
        table_oid=subject.table.oid if subject.table else 0,
        object_name=subject.name,
    )
