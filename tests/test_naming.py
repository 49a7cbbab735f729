"""Unit tests of the pure name builder against NAMING.md's worked figures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcheck.naming import (
    UTF8,
    build,
    choose,
    choose_number,
    encoding_for,
    fits_with_suffix,
    index_column_names,
    name_bytes,
    split_label,
)


@pytest.mark.parametrize(
    ("name1", "name2", "label", "expected"),
    [
        ("t", "id", "seq", "t_id_seq"),
        ("p" * 58, None, "pkey", "p" * 58 + "_pkey"),
        ("q" * 58 + "z", None, "pkey", "q" * 58 + "_pkey"),
        ("t" * 63, "c" * 63, "seq", "t" * 29 + "_" + "c" * 29 + "_seq"),
        ("t" * 63, "id", "seq", "t" * 56 + "_id_seq"),
        ("orders", "c" * 63, "check", "orders_" + "c" * 50 + "_check"),
        ("m" * 40, "n" * 40, "fkey", "m" * 29 + "_" + "n" * 28 + "_fkey"),
        ("r" * 20, "s" * 60, "idx", "r" * 20 + "_" + "s" * 38 + "_idx"),
        ("l" * 62, None, "pkey1", "l" * 57 + "_pkey1"),
        ("t" * 63, "c" * 63, "not_null", "t" * 27 + "_" + "c" * 26 + "_not_null"),
        (
            "абвгдежзийклмнопрстуфхцчшщъыьэю",
            None,
            "pkey",
            "абвгдежзийклмнопрстуфхцчшщъыь_pkey",
        ),
        ("😀" * 15, None, "pkey", "😀" * 14 + "_pkey"),
        ("u" * 30, "xy" + "🎉" * 10, "idx", "u" * 29 + "_xy" + "🎉" * 6 + "_idx"),
        (
            "абвгдежзийклмнопрстуфхцчшщъыьэю",
            "яюэьыъщшчцхфутсрпонмлкйизжедгвб",
            "seq",
            "абвгдежзийклмн_яюэьыъщшчцхфут_seq",
        ),
        ("fp_rid_fkey", None, "1", "fp_rid_fkey_1"),
    ],
)
def test_build_matches_worked_examples(
    name1: str, name2: str | None, label: str, expected: str
) -> None:
    assert build(name1, name2, label) == expected


def test_latin1_counts_server_bytes() -> None:
    latin1 = encoding_for("LATIN1")
    assert build("é" * 62, None, "pkey", latin1) == "é" * 58 + "_pkey"
    assert build("é" * 62, None, "pkey", UTF8) == "é" * 29 + "_pkey"


def test_sql_ascii_cuts_inside_a_character() -> None:
    ascii_ = encoding_for("SQL_ASCII")
    table = "b" + "а" * 30  # 61 bytes of UTF-8
    name = build(table, None, "pkey", ascii_)
    raw = ascii_.encode(name)
    assert len(raw) == 63
    assert raw.endswith(b"\xd0_pkey")  # half a letter survives, as on the server


def test_index_column_names_dedup() -> None:
    assert index_column_names(["a", "a"]) == ("a", "a1")
    assert index_column_names(["a", "a1", "a"]) == ("a", "a1", "a2")
    assert index_column_names(["lower", "upper", "lower"]) == (
        "lower",
        "upper",
        "lower1",
    )
    assert index_column_names(["a", "expr", "expr", "a"]) == (
        "a",
        "expr",
        "expr1",
        "a1",
    )
    assert index_column_names(["c" * 63, "c" * 63]) == ("c" * 63, "c" * 62 + "1")
    assert index_column_names(["a" * 61 + "й", "a" * 61 + "й"])[1] == "a" * 61 + "1"


def test_choose_counts_past_nine_and_recuts() -> None:
    taken = {"t_pkey"} | {f"t_pkey{n}" for n in range(1, 10)}
    assert choose("t", None, "pkey", taken.__contains__) == "t_pkey10"
    assert choose("l" * 62, None, "pkey", {"l" * 58 + "_pkey"}.__contains__) == (
        "l" * 57 + "_pkey1"
    )


def test_choose_number_starts_where_told_and_says_where_it_stopped() -> None:
    taken = {"t_a_fkey", "t_a_fkey1", "t_a_fkey3"}
    assert choose_number("t", "a", "fkey", taken.__contains__) == ("t_a_fkey2", 2)
    # Numbers below `first` are not tried, even when free.
    assert choose_number("t", "a", "fkey", taken.__contains__, first=3) == (
        "t_a_fkey4",
        4,
    )
    # PostgreSQL 18's rows: <name>_1, <name>_2, …, the name cut to fit.
    long = "k" * 63
    rows = {"k" * 61 + "_1"}
    assert choose_number(long, None, "", rows.__contains__, first=1) == (
        "k" * 61 + "_2",
        2,
    )


def test_split_label_and_suffix() -> None:
    assert split_label("t_a_key12", "key") is not None
    assert split_label("t_pkey", "key") is None
    assert split_label("t_a_key0", "key") is None
    assert fits_with_suffix("t_a_b_idx3", "t", "a_b", "idx")
    assert not fits_with_suffix("t_a_b_idx", "u", "a_b", "idx")


names = st.text(
    alphabet=st.sampled_from(list('abcXYZ _$"é漢😀йъ')), min_size=1, max_size=40
).filter(lambda s: name_bytes(s) <= 63)


@given(names, st.one_of(st.none(), names), st.sampled_from(["seq", "pkey", "not_null"]))
def test_build_is_bounded_and_keeps_label(
    name1: str, name2: str | None, label: str
) -> None:
    out = build(name1, name2, label)
    assert name_bytes(out) <= 63
    assert out.endswith("_" + label)
    assert out.startswith(UTF8.cut(name1, 1) if name1 else "")
