"""Text references, matched in hand-built defaults and bodies (pure).

A name counts when it appears as an identifier or inside a string literal,
quoted or not, qualified with the object's schema or not qualified; unquoted
text folds to lower case as PostgreSQL folds it.
"""

from __future__ import annotations

from seqcheck.catalog import TextSource
from seqcheck.findings import Kind
from seqcheck.references import ReferenceKind, TextReference, find_text_references
from tests.builders import finding, index_column

SEQ = finding(Kind.SEQUENCE, "marathon_id_seq", "snickers_id_seq", oid=1)
KEY = finding(Kind.UNIQUE, "bar_k_key", "baz_k_key", table="baz", oid=2)
ODD = finding(Kind.SEQUENCE, "Odd Seq:1", "t_id_seq", schema="S p", oid=3)


def _body(text: str, name: str = "f()") -> TextSource:
    return TextSource("function", "public", name, "plpgsql", text)


def _refs(*sources: TextSource) -> dict[str, tuple[TextReference, ...]]:
    found = find_text_references(sources, (SEQ, KEY, ODD))
    return {f.name: found.of(f) for f in (SEQ, KEY, ODD) if found.of(f)}


def test_a_text_default() -> None:
    default = TextSource(
        "default",
        "public",
        "snickers",
        "legacy",
        "nextval(('marathon_id_seq'::text)::regclass)",
    )
    assert _refs(default) == {
        "marathon_id_seq": (
            TextReference(
                ReferenceKind.DEFAULT,
                "column public.snickers.legacy default",
                "nextval(('marathon_id_seq'::text)::regclass)",
            ),
        )
    }


def test_ledgersmb_style_currval_and_qualified_setval() -> None:
    body = _body(
        "\nBEGIN\n  INSERT INTO snickers DEFAULT VALUES;\n"
        "  PERFORM setval('public.marathon_id_seq', 10);\n"
        "  RETURN currval('MARATHON_ID_SEQ');\nEND;\n",
        "next_id(integer)",
    )
    (refs,) = _refs(body).values()
    assert [(r.kind, r.where, r.text) for r in refs] == [
        (
            ReferenceKind.FUNCTION_BODY,
            "function public.next_id(integer)",
            "PERFORM setval('public.marathon_id_seq', 10);",
        ),
        (
            ReferenceKind.FUNCTION_BODY,
            "function public.next_id(integer)",
            "RETURN currval('MARATHON_ID_SEQ');",
        ),
    ]


def test_on_conflict_on_constraint() -> None:
    body = _body(
        "insert into baz (k) values (1)\n  ON  CONFLICT ON\n"
        " CONSTRAINT bar_k_key do nothing"
    )
    (refs,) = _refs(body).values()
    assert [r.kind for r in refs] == [ReferenceKind.ON_CONFLICT]
    assert refs[0].text == "CONSTRAINT bar_k_key do nothing"


def test_quoted_names_keep_their_case_and_schema() -> None:
    assert _refs(_body('select nextval(\'"S p"."Odd Seq:1"\')'))["Odd Seq:1"]
    assert _refs(_body("select nextval('\"Odd Seq:1\"')"))["Odd Seq:1"]
    assert not _refs(_body("select nextval('\"odd seq:1\"')"))
    # Unquoted text folds to lower case: it never names a mixed-case object.
    assert not _refs(_body('select 1 from "S p".Odd'))


def test_dynamic_sql_and_doubled_quotes() -> None:
    body = _body("EXECUTE 'SELECT nextval(''marathon_id_seq'')';")
    assert "marathon_id_seq" in _refs(body)


def test_another_schema_is_not_a_reference() -> None:
    assert not _refs(_body("select nextval('archive.marathon_id_seq')"))
    assert not _refs(_body("select nextval('marathon_id_seq_2')"))
    assert not _refs(_body("select nextval('xmarathon_id_seq')"))


def test_one_reference_per_line() -> None:
    body = _body("select currval('marathon_id_seq'), nextval('marathon_id_seq');")
    assert len(_refs(body)["marathon_id_seq"]) == 1


def test_long_lines_are_cut() -> None:
    body = _body("select nextval('marathon_id_seq') " + "x" * 300)
    (ref,) = _refs(body)["marathon_id_seq"]
    assert len(ref.text) == 200 and ref.text.endswith("…")


def test_index_columns_have_no_text_references() -> None:
    column = index_column(KEY, "k", "kk")
    found = find_text_references([_body("select 1 where k = 1")], (column,))
    assert not found


def test_no_findings_reads_nothing() -> None:
    class Exploding:
        def __iter__(self) -> None:
            raise AssertionError("read")

    assert not find_text_references(Exploding(), ())  # type: ignore[arg-type]
