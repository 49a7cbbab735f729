"""Similarity scores and one-to-one matching (pure; no server)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck.alembic.shapes import (
    Candidate,
    ColumnShape,
    TableShape,
    best_first,
    column_similarity,
    percent,
    table_similarity,
)

ID = ColumnShape("id", "Integer", "INTEGER", nullable=False, primary_key=True)


def table(
    name: str, *columns: ColumnShape, features: tuple[tuple[str, ...], ...] = ()
) -> TableShape:
    return TableShape(None, name, (ID, *columns), features)


def col(name: str, family: str = "Integer", key: str = "INTEGER") -> ColumnShape:
    return ColumnShape(name, family, key)


def test_an_unchanged_table_is_100_percent_similar() -> None:
    marathon = table("marathon", col("weight_g"), features=(("unique", "id"),))
    snickers = table("snickers", col("weight_g"), features=(("unique", "id"),))
    assert table_similarity(marathon, snickers) == 1.0
    assert percent(table_similarity(marathon, snickers)) == 100


def test_shares_are_counted_against_the_larger_table() -> None:
    old = table("a", col("x"), col("y"), col("z"))
    new = table("b", col("x"), col("y"), col("z"), col("w"), col("v"))
    assert table_similarity(old, new) == 4 / 6
    assert table_similarity(new, old) == 4 / 6


def test_a_shared_surrogate_key_alone_is_no_similarity() -> None:
    assert table_similarity(table("a", col("x")), table("b", col("y"))) == 0.0
    assert table_similarity(table("a"), table("b")) == 0.0


def test_columns_of_another_type_family_are_never_one_column() -> None:
    assert column_similarity(col("a"), col("a", "String", "TEXT")) is None


def test_column_similarity_weighs_type_traits_and_name() -> None:
    same = column_similarity(col("weight_g"), col("weight_g"))
    renamed = column_similarity(col("weight_g"), col("grams"))
    wider = column_similarity(col("weight_g"), col("weight_g", key="BIGINT"))
    assert same == 1.0
    assert renamed is not None and 0.6 < renamed < 1.0
    assert wider is not None and wider < 1.0


def test_best_first_matches_one_to_one_most_similar_first() -> None:
    a, b, c = "a", "b", "c"
    candidates = [
        Candidate(a, b, 0.6, 0.0, (a, b)),
        Candidate(a, c, 0.9, 0.0, (a, c)),
        Candidate(b, c, 0.8, 0.0, (b, c)),
    ]
    taken = best_first(candidates, lambda c: True)
    assert [(t.old, t.new) for t in taken] == [(a, c)]


def test_a_refused_pair_leaves_both_sides_free() -> None:
    candidates = [
        Candidate("x", "y", 0.9, 0.0, ("x", "y")),
        Candidate("x", "z", 0.7, 0.0, ("x", "z")),
    ]
    taken = best_first(candidates, lambda c: c.new != "y")
    assert [(t.old, t.new) for t in taken] == [("x", "z")]


def test_ties_go_to_the_more_alike_names() -> None:
    candidates = [
        Candidate("orders", "x_items", 1.0, 0.2, ("orders", "x_items")),
        Candidate("orders", "orders_v2", 1.0, 0.8, ("orders", "orders_v2")),
    ]
    taken = best_first(candidates, lambda c: True)
    assert [t.new for t in taken] == ["orders_v2"]


FAMILIES = st.sampled_from(["Integer", "String", "Boolean", "Numeric", "DateTime"])


@st.composite
def unrelated(draw: st.DrawFn) -> tuple[TableShape, TableShape]:
    """Two tables whose columns share no name (only the ``id`` primary key)."""
    left = draw(
        st.lists(
            st.text("abcdefgh", min_size=1, max_size=8),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    right = draw(
        st.lists(
            st.text("ijklmnop", min_size=1, max_size=8),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    old = table("old", *(col(n, draw(FAMILIES)) for n in left))
    new = table("new", *(col(n, draw(FAMILIES)) for n in right))
    return old, new


@settings(max_examples=300, deadline=None)
@given(unrelated())
def test_tables_sharing_only_a_surrogate_key_are_never_paired(
    pair: tuple[TableShape, TableShape],
) -> None:
    assert table_similarity(*pair) == 0.0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text("abcdefgh", min_size=1, max_size=6),
        min_size=1,
        max_size=10,
        unique=True,
    ),
    st.integers(0, 10),
)
def test_similarity_falls_as_columns_are_replaced(
    names: list[str], replaced: int
) -> None:
    replaced = min(replaced, len(names))
    old = table("old", *(col(n) for n in names))
    new_names = [f"z{n}" for n in names[:replaced]] + names[replaced:]
    new = table("new", *(col(n) for n in new_names))
    score = table_similarity(old, new)
    kept = len(names) - replaced
    assert score == (0.0 if kept == 0 else (kept + 1) / (len(names) + 1))
