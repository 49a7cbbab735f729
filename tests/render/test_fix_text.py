"""``fix --apply``'s text: one aligned line per rename, names escaped for a terminal."""

from __future__ import annotations

from seqcheck.apply import ApplyResult
from seqcheck.findings import Kind
from seqcheck.render.fix import applied
from seqcheck.render.table import shown
from seqcheck.verify import Rename
from tests.render.hostile import hostile_report


def _result(renames: tuple[Rename, ...]) -> ApplyResult:
    return ApplyResult((), renames, hostile_report(clean=True).drift, 0.5)


def test_renames_are_aligned_and_plain_names_kept() -> None:
    text = applied(
        _result(
            (
                Rename(Kind.SEQUENCE, "public", "b", 1, "a_id_seq", "b_id_seq"),
                Rename(Kind.PKEY, "public", "b", 2, "a_pkey", "b_pkey"),
                Rename(Kind.INDEX_COLUMN, "s", "b", 3, "x", "y", index="b_x_idx"),
            )
        )
    )
    assert text.splitlines()[1:] == [
        "  sequence      public.a_id_seq  →  b_id_seq",
        "  pkey          public.a_pkey    →  b_pkey",
        "  index-column  s.b_x_idx.x      →  y",
    ]


def test_hostile_names_are_escaped_in_every_row() -> None:
    """One name needing escapes makes every row's names go through :func:`shown`."""
    renames = (
        Rename(Kind.PKEY, 'we"ird', "t", 1, "Mara\nthon_pkey", "t_pkey"),
        Rename(Kind.INDEX, "s", "t", 2, "a\\b_idx", "\x1b[31mt_idx"),
        Rename(Kind.CHECK, "s", "t", 3, "😀 a_check", "😀 t_check"),
    )
    lines = applied(_result(renames)).splitlines()
    assert len(lines) == 4  # no line broken by a name
    for line, rename in zip(lines[1:], renames, strict=True):
        assert shown(f"{rename.schema}.{rename.old}") in line
        assert line.endswith("→  " + shown(rename.new))
    assert "\x1b" not in "".join(lines)
    assert len({line.index("→") for line in lines[1:]}) == 1
