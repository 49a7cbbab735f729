"""The shared renderer fixture: hostile names, a swap, every tier.

Names hold quotes, spaces, ``%``, ``,``, ``:``, newlines, emoji, backslashes,
an ANSI escape and 63-byte names (STYLE.md §9.9). Snapshots live in
``__snapshots__``; set ``SEQCHECK_UPDATE_SNAPSHOTS=1`` to rewrite them.
"""

from __future__ import annotations

import os
from pathlib import Path

from seqcheck.catalog import TextSource
from seqcheck.findings import Finding, Kind, Reason, Tier
from seqcheck.naming import name_bytes
from seqcheck.plan import make_plan
from seqcheck.references import find_text_references
from seqcheck.render import Report
from tests.builders import SERVER, catalog_for, drift_of, finding, index_column

__all__ = ["LONG", "SCHEMA", "TABLE", "hostile_report", "match_snapshot"]

SCHEMA = 'we"ird sch:ema'
TABLE = "Snick ers, 100%"
OLD = "Mara\nthon"
LONG = "é" * 28 + "_ab_idx"  # 63 bytes
LONG_NEW = "ü" * 28 + "_cd_idx"
assert name_bytes(LONG) == name_bytes(LONG_NEW) == 63

_SNAPSHOTS = Path(__file__).parent / "__snapshots__"


def hostile_report(*, colour: bool = False, clean: bool = False) -> Report:
    """Return a report on hostile names (or a clean one) for every renderer."""
    pkey = finding(
        Kind.PKEY,
        f"{OLD}_pkey",
        f"{TABLE}_pkey",
        table=TABLE,
        schema=SCHEMA,
        stale=OLD,
        oid=501,
    )
    seq = finding(
        Kind.SEQUENCE,
        "😀 marathon_id_seq",
        "😀 snickers_id_seq",
        table=TABLE,
        schema=SCHEMA,
        stale="marathon",
        oid=502,
    )
    long = finding(
        Kind.INDEX,
        LONG,
        LONG_NEW,
        table=TABLE,
        schema=SCHEMA,
        reason=Reason.BOTH_RENAMED,
        stale="é ab",
        oid=503,
    )
    likely = finding(
        Kind.FKEY,
        "t_a--b */ \\x_fkey",
        "t_ab_fkey",
        table="t",
        schema=SCHEMA,
        tier=Tier.LIKELY,
        reason=Reason.COLUMN_RENAMED,
        stale="a--b */ \\x",
        oid=504,
    )
    custom = finding(
        Kind.CHECK,
        "\x1b[31mred_check",
        "t_check",
        table="t",
        schema=SCHEMA,
        tier=Tier.CUSTOM,
        reason=Reason.NOT_DEFAULT,
        stale="",
        oid=505,
    )
    domain = finding(
        Kind.DOMAIN,
        "weight_check",
        "mass_check",
        table="ma:ss",
        schema=SCHEMA,
        tier=Tier.CUSTOM,
        reason=Reason.NOT_DEFAULT,
        stale="weight",
        oid=506,
    )
    swap_a = finding(Kind.PKEY, "b_pkey", "a_pkey", table="a", oid=507)
    swap_b = finding(Kind.PKEY, "a_pkey", "b_pkey", table="b", oid=508)
    column = index_column(
        long, 'we"ight\ncol', "mass, 100%", table=TABLE, schema=SCHEMA
    )
    found: tuple[Finding, ...] = (
        pkey,
        seq,
        long,
        likely,
        custom,
        domain,
        swap_a,
        swap_b,
        column,
    )
    if clean:
        found = ()
    catalog = catalog_for(found, columns={503: ('we"ight\ncol',)})
    drift = drift_of(
        found,
        tables_checked=1 if clean else 42,
        renamed_from={
            (SCHEMA, TABLE): (OLD, "marathon"),
            ("public", "a"): ("b",),
            ("public", "b"): ("a",),
        },
    )
    tiers = {Tier.CERTAIN, Tier.LIKELY, Tier.CUSTOM}
    plan = make_plan(drift, catalog, include=tiers)
    references = find_text_references(() if clean else _TEXTS, found)
    return Report(
        drift,
        plan,
        SERVER,
        "0.1.0",
        strict=True,
        colour=colour,
        references=references,
    )


# Text that names the sequence and the primary key (--allow-text-references).
_TEXTS = (
    TextSource(
        "default",
        SCHEMA,
        TABLE,
        "legacy\tid",
        'nextval((\'"we""ird sch:ema"."😀 marathon_id_seq"\'::text)::regclass)',
    ),
    TextSource(
        "function",
        SCHEMA,
        "up\x1bsert(x integer)",
        "plpgsql",
        'BEGIN\n  INSERT INTO t VALUES (x) ON CONFLICT ON CONSTRAINT "Mara\nthon_pkey"'
        " DO NOTHING; -- 100%, a:b\nEND",
    ),
)


def match_snapshot(name: str, text: str) -> None:
    """Assert *text* equals the stored snapshot *name* (or rewrite it)."""
    path = _SNAPSHOTS / name
    if not path.exists() and os.environ.get("CI", "").lower() == "true":
        raise AssertionError(f"snapshot {name} is missing (not written under CI)")
    if os.environ.get("SEQCHECK_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert text == path.read_bytes().decode("utf-8")
