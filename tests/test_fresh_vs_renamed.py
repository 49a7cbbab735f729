"""A renamed schema's scan lists exactly the names a fresh build would differ in."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqcheck.embedded import Server
from tests.renames import Column, Spec, TableSpec, compare, compare_scripts

LONG_A = "a" * 63
LONG_B = "b" * 62 + "é"[:0] + "b"
EMOJI = '😀 Ünïcödé "quoted" Table'

CASES = {
    "marathon-snickers": Spec(
        (
            TableSpec(
                "marathon",
                "snickers",
                (Column("weight", "weight", unique=True, check=True, indexed=True),),
                references=0,
                ref_old="owner_id",
                ref_new="owner_id",
            ),
        )
    ),
    "column-renames": Spec(
        (
            TableSpec(
                "t",
                "t",
                (
                    Column("weight", "mass", unique=True, check=True),
                    Column("w2", "m2", indexed=True),
                ),
                pair_index=True,
            ),
        )
    ),
    "both-renamed": Spec(
        (
            TableSpec(
                "orders",
                "purchases",
                (Column("qty", "quantity", unique=True, check=True, indexed=True),),
                two_column_check=False,
            ),
        )
    ),
    "swap": Spec(
        (
            TableSpec("a", "b", (Column("x", "x", unique=True),)),
            TableSpec("b", "a", (Column("y", "y", unique=True),)),
        )
    ),
    "chain": Spec(
        (
            TableSpec("a", "b", (Column("x", "x", check=True),)),
            TableSpec("b", "c", (Column("x", "x", check=True),)),
        )
    ),
    "long-names": Spec(
        (
            TableSpec(
                LONG_A,
                LONG_B,
                (Column("c" * 63, "d" * 63, unique=True, check=True, indexed=True),),
                pair_index=False,
            ),
        )
    ),
    "hostile": Spec(
        (
            TableSpec(
                'Old "Table"',
                EMOJI,
                (
                    Column("Col One", "Col Ünë", unique=True, check=True),
                    Column("b%,:", "B%,:x", indexed=True),
                ),
                identity=True,
                expression_index=True,
                two_column_check=True,
                pair_index=True,
                statistics=True,
            ),
            TableSpec(
                "кот", "собака", (Column("имя", "имя", unique=True),), references=0
            ),
        )
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_written(name: str, pg_server: Server) -> None:
    compare(pg_server, CASES[name])


_chars = st.sampled_from([*"abcdxyz", "Q", " ", '"', "é", "😀", "漢"])
_names = st.text(alphabet=_chars, min_size=1, max_size=12)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    """Draw a schema of up to four tables with some tables and columns renamed."""
    count = draw(st.integers(1, 4))
    tables: list[TableSpec] = []
    for n in range(count):
        # A distinct prefix per table keeps long names from colliding when cut.
        old = f"t{n}" + draw(_names) + ("x" * draw(st.sampled_from([0, 50])))
        new = f"u{n}" + draw(_names) if draw(st.booleans()) else old
        columns: list[Column] = []
        for m in range(draw(st.integers(0, 3))):
            c_old = f"c{m}" + draw(_names)
            c_new = f"k{m}" + draw(_names) if draw(st.booleans()) else c_old
            renamed = c_old != c_new
            columns.append(
                Column(
                    c_old,
                    c_new,
                    unique=draw(st.booleans()) or renamed,
                    check=draw(st.booleans()),
                    indexed=draw(st.booleans()),
                )
            )
        tables.append(
            TableSpec(
                old[:40],
                new[:40],
                tuple(columns),
                identity=draw(st.booleans()),
                references=draw(st.sampled_from([None, *range(n)])) if n else None,
                pair_index=draw(st.booleans()),
                expression_index=draw(st.booleans()),
                two_column_check=draw(st.booleans()),
                statistics=draw(st.booleans()),
            )
        )
    return Spec(tuple(tables))


@settings(
    max_examples=int(os.environ.get("SEQCHECK_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs())
def test_generated(spec: Spec, pg_server: Server) -> None:
    compare(pg_server, spec)


PARTITIONED = """
create table {p} (id int, b int, c text, primary key (id, b)) partition by range (b);
create index on {p} (c);
create table {p1} partition of {p} for values from (0) to (10);
create table {p2} partition of {p} for values from (10) to (20);
create table {parent} (id serial primary key, a int not null check (a > 0));
create table {child} (extra int unique) inherits ({parent});
"""


def test_partitions_and_inheritance_fix_to_the_fresh_names(pg_server: Server) -> None:
    final = {"p": "q", "p1": "q1", "p2": "q2", "parent": "base", "child": "derived"}
    old = {k: k for k in final}
    renames = "".join(f"alter table {k} rename to {v};\n" for k, v in final.items())
    compare_scripts(
        pg_server, PARTITIONED.format(**final), PARTITIONED.format(**old) + renames
    )
