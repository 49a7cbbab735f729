"""Evidence: read a name as ``build(owner, middle, label)`` and say what it proves.

Stage: drift (helpers). Pure. :func:`judge` gives one subject's verdict; the
witness and copy guards that need the whole table live in :mod:`seqcheck.drift`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, NamedTuple

from seqcheck.findings import Kind, Reason, Tier
from seqcheck.naming import (
    MAX_NAME,
    Encoding,
    build,
    index_column_names,
    is_whole,
    join_names,
    name_bytes,
    split_label,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from seqcheck.rules import Subject

__all__ = [
    "Verdict",
    "column_choices",
    "judge",
    "middles",
    "old_owners",
    "today_middle",
    "vouches",
    "written_middle",
]

_MAX_COMBINATIONS = 64
_MAX_ORDER_ITEMS = 6
# Padding that makes an owner longer than any budget: "some longer old name".
_PADS = ("x" * MAX_NAME, "é" * MAX_NAME, "€" * MAX_NAME, "😀" * MAX_NAME)


def _longer(part: str, enc: Encoding) -> Iterator[str]:
    """Yield *part* as PostgreSQL would show it cut from longer names.

    Lazily, and only padded with what *enc* can encode (no ``€`` in LATIN1).
    """
    for pad in _PADS:
        try:
            yield enc.cut(part + pad, MAX_NAME)
        except UnicodeEncodeError:
            continue


class Verdict(NamedTuple):
    """What a name proves.

    :param tier: certain, likely or custom; ``None`` tier never occurs.
    :param stale: the stale part (old table name and/or old column names).
    :param owner: for a table rename, the old owner part as it appears.
    :param truncated: the old owner part was cut to fit.
    :param clean_digits: the name is today's default with collision digits.
    """

    tier: Tier
    reason: Reason
    stale: str = ""
    owner: str = ""
    truncated: bool = False
    middle: str | None = None
    digits: str = ""
    clean_digits: bool = False


def _finish(subject: Subject, names: list[str], enc: Encoding) -> list[str]:
    """Return the middles for one choice of item names (every order if unstored)."""
    if subject.dedup:
        names = list(index_column_names(names, enc))
    if subject.any_order and 1 < len(names) <= _MAX_ORDER_ITEMS:
        seen = dict.fromkeys(join_names(p) for p in itertools.permutations(names))
        first = join_names(names)
        return [first] + [m for m in seen if m != first]
    return [join_names(names)]


def today_middle(subject: Subject, enc: Encoding) -> str | None:
    """Return the middle part PostgreSQL would build today (stored order)."""
    if subject.parts is None:
        return None
    names = [p.name for p in subject.parts]
    if not subject.dedup and not subject.any_order:
        return "_".join(names)
    return _finish(subject, names, enc)[0]


def written_middle(
    subject: Subject, verdict: Verdict, olds: dict[int, set[str]], enc: Encoding
) -> str | None:
    """Return today's middle, its items in the order *verdict*'s name shows.

    For statistics, whose written order the catalog does not keep (their
    items never repeat): ``s_b_a_stat`` renamed gives ``t_b_a_stat``, not
    ``t_a_b_stat``. The order is the one every reading of the name agrees
    on, however cut (or any of them, when they give today's name alike);
    anything else, or readings that disagree (NAMING.md §4.12):
    :func:`today_middle`.
    """
    parts = subject.parts
    if not subject.any_order or parts is None or not 1 < len(parts) <= _MAX_ORDER_ITEMS:
        return today_middle(subject, enc)
    owner, label = verdict.owner or subject.owner, subject.label + verdict.digits
    # A cut old owner was longer: try it as PostgreSQL would have cut it.
    owners = list(_longer(owner, enc)) if verdict.truncated else [owner]
    choices = column_choices(subject, olds)
    # Old names for every renamed item first: a name read with some items
    # old and others new supposes a moment between renames that a cut name
    # may fit by chance.
    renamed = max(len(stale) for _, stale in choices)
    for tried in ([c for c in choices if len(c[1]) == renamed], choices):
        orders = {
            join_names([parts[i].name for i in order])
            for names, _ in tried
            for order in itertools.permutations(range(len(parts)))
            if any(
                build(old, join_names([names[i] for i in order]), label, enc)
                == subject.name
                for old in owners
            )
        }
        # Orders that differ only where today's name is cut give one name
        # (``t_a_b_c…_stat`` of c…, a, b or c…, b, a on a table renamed to u).
        if orders and len({build(subject.owner, m, label, enc) for m in orders}) == 1:
            return min(orders)
    return today_middle(subject, enc)


def column_choices(
    subject: Subject, olds: dict[int, set[str]]
) -> list[tuple[list[str], tuple[str, ...]]]:
    """Return the item names to try, with the old column names each choice uses.

    The first choice is today's names; later ones use old names that the
    catalog proves (*olds*: attnum → old names) or that the object stores.
    """
    if subject.parts is None:
        return [([], ())]
    choices: list[list[tuple[str, str]]] = []
    for part in subject.parts:
        now = part.name
        if part.attnum <= 0:
            choices.append([(now, "")])
            continue
        old = set(olds.get(part.attnum, ()))
        if part.stored and part.stored != now:
            old.add(part.stored)
        old.discard(now)
        choices.append([(now, "")] + [(name, name) for name in sorted(old)])
    return [
        ([n for n, _ in combo], tuple(s for _, s in combo if s))
        for combo in itertools.islice(itertools.product(*choices), _MAX_COMBINATIONS)
    ]


def middles(
    subject: Subject, olds: dict[int, set[str]], enc: Encoding
) -> list[tuple[str | None, tuple[str, ...]]]:
    """Return candidate middles with the old column names each one uses."""
    if subject.parts is None:
        return [(None, ())]
    return [
        (middle, stale)
        for names, stale in column_choices(subject, olds)
        for middle in _finish(subject, names, enc)
    ]


def old_owners(
    subject: Subject, olds: dict[int, set[str]], enc: Encoding
) -> list[tuple[str, bool]]:
    """Return every ``(old owner, truncated)`` *subject*'s name reads as.

    With column renames a name can read two ways (``t_a_b_key``: ``t`` and
    today's ``a_b``, or ``t_a`` and old ``b``); a witness vouches with each.
    """
    parsed = split_label(subject.name, subject.label)
    if parsed is None:
        return []
    full = subject.label + parsed.digits
    readings = _readings(
        subject.name, parsed.body, middles(subject, olds, enc), full, enc
    )
    return [(old, cut) for _, _, old, cut in readings if old != subject.owner]


def _readings(
    name: str,
    body: str,
    candidates: list[tuple[str | None, tuple[str, ...]]],
    label: str,
    enc: Encoding,
) -> Iterator[tuple[str | None, tuple[str, ...], str, bool]]:
    """Yield each ``(middle, stale, old owner, truncated)`` that gives *name*."""
    for middle, stale in candidates:
        found = _old_owner(name, body, middle, label, enc)
        if found is not None:
            yield (middle, stale, *found)


def _reading(
    name: str,
    body: str,
    candidates: list[tuple[str | None, tuple[str, ...]]],
    *,
    label: str,
    owners: Sequence[tuple[str, bool]],
    enc: Encoding,
    vouched: bool = False,
) -> tuple[str | None, tuple[str, ...], str, bool] | None:
    """Return the first ``(middle, stale, old owner, truncated)`` that gives *name*.

    A name can read two ways (``t_a_b_idx``: table ``t`` and column ``a_b``,
    or table ``t_a`` and column ``b``): the first reading whose old owner one
    of *owners* (proven on the same table) vouches for wins; with *vouched*,
    only such a reading.
    """
    if vouched and not owners:
        return None
    first = None
    for reading in _readings(name, body, candidates, label, enc):
        middle, _, old, _ = reading
        if not owners or any(
            vouches(witness, name, owner=old, middle=middle, label=label, enc=enc)
            for witness in owners
        ):
            return reading
        first = first or reading
    return None if vouched else first


def vouches(
    witness: tuple[str, bool],
    name: str,
    *,
    owner: str,
    middle: str | None,
    label: str,
    enc: Encoding,
) -> bool:
    """Tell whether *witness*, an old owner proven on the table, vouches for *name*.

    *witness* is ``(old owner, truncated)``. It vouches when it gives *name*
    with *middle* and *label*, or when it may have been cut and the *owner*
    that *name* reads as begins with it: the forms PostgreSQL would produce,
    so a witness's longer old name may appear cut.
    """
    old, cut = witness
    return build(old, middle, label, enc) == name or (cut and owner.startswith(old))


def _old_owner(
    name: str, body: str, middle: str | None, label: str, enc: Encoding
) -> tuple[str, bool] | None:
    """Return ``(owner part, truncated)`` if some owner gives *name* with *middle*.

    Truncated when a longer owner would give *name* too (a name at the byte
    limit whose owner part is the longer part).
    """
    candidates: list[str] = []
    if middle is None:
        candidates.append(body)
    else:
        piece = middle
        while piece:
            if body.endswith("_" + piece) and len(body) > len(piece) + 1:
                candidates.append(body[: -len(piece) - 1])
            piece = enc.cut(piece, name_bytes(piece, enc) - 1)
    # A name that fits whole is cut only within a character (4 bytes) of the
    # limit; one cut in both parts may end up to two characters short of it.
    near = name_bytes(name, enc) > MAX_NAME - 4
    for owner in candidates:
        whole = build(owner, middle, label, enc) == name
        if (near or not whole) and any(
            build(longer, middle, label, enc) == name for longer in _longer(owner, enc)
        ):
            return owner, True
        if whole:
            return owner, False
    return None


def _readable(middle: str, columns: set[str], cut: bool) -> bool:
    """Tell whether *middle* reads as ``_``-joined *columns* (any, any order)."""
    reach = {0}
    size = len(middle)
    for start in range(size + 1):
        if start not in reach:
            continue
        if start == size:
            return True
        for column in columns:
            end = start + len(column)
            if middle.startswith(column, start) and (end == size or middle[end] == "_"):
                reach.add(end + 1 if end < size else end)
            elif cut and column.startswith(middle[start:]):
                return True
    return size in reach


def _clean(digits: str, today: str | None) -> Verdict | None:
    if not digits:
        return None
    return Verdict(
        Tier.CERTAIN, Reason.NOT_DEFAULT, middle=today, digits=digits, clean_digits=True
    )


def judge(
    subject: Subject,
    olds: dict[int, set[str]],
    enc: Encoding,
    owners: Sequence[tuple[str, bool]] = (),
) -> Verdict | None:
    """Return what *subject*'s name proves, or ``None`` for a clean default name.

    *owners* are old owner parts already proven on the same table; they are tried
    first. Guards that need other objects (witnesses, copies) are the caller's.
    """
    name, owner, label = subject.name, subject.owner, subject.label
    today = today_middle(subject, enc)
    # The common case first: today's name, whole.
    if is_whole(name, owner, today, label):
        return None
    parsed = split_label(name, label)
    if parsed is None:
        return None  # not in the pattern at all: never reported
    full = label + parsed.digits
    if build(owner, today, full, enc) == name:
        return _clean(parsed.digits, today)
    if not olds:
        for old, cut in owners:
            if build(old, today, full, enc) == name:
                return Verdict(
                    Tier.CERTAIN,
                    Reason.TABLE_RENAMED,
                    old,
                    old,
                    cut,
                    today,
                    parsed.digits,
                )
    candidates = middles(subject, olds, enc)
    # A witness's old owner first: the name was built before the table's
    # rename, with the columns of that time (t_a_b_c…_stat on t_a_b, not
    # t_a + b, c…, nor t_a_b + c…, a, b, although all three give the name).
    reading = _reading(
        name, parsed.body, candidates, label=full, owners=owners, enc=enc, vouched=True
    )
    if reading is not None and reading[2] != owner:
        return _renamed(reading, parsed.digits)
    now = [m for m, stale in candidates if not stale]
    if any(build(owner, middle, full, enc) == name for middle in now[1:]):
        return _clean(parsed.digits, today)
    for middle, stale in candidates:
        if stale and build(owner, middle, full, enc) == name:
            return Verdict(
                Tier.CERTAIN,
                Reason.COLUMN_RENAMED,
                " ".join(stale),
                middle=middle,
                digits=parsed.digits,
            )
    reading = _reading(
        name, parsed.body, candidates, label=full, owners=owners, enc=enc
    )
    if reading is not None:
        return _renamed(reading, parsed.digits)
    if subject.kind is not Kind.INDEX and subject.parts is not None and subject.table:
        stale_middle = _likely_middle(subject, parsed.body, full, today, enc)
        if stale_middle is not None:
            return Verdict(
                Tier.LIKELY, Reason.COLUMN_RENAMED, stale_middle, digits=parsed.digits
            )
    return Verdict(Tier.CUSTOM, Reason.NOT_DEFAULT, digits=parsed.digits)


def _renamed(
    reading: tuple[str | None, tuple[str, ...], str, bool], digits: str
) -> Verdict:
    """Return the verdict of a name that reads with an old owner part."""
    middle, stale, old, cut = reading
    reason = Reason.BOTH_RENAMED if stale else Reason.TABLE_RENAMED
    return Verdict(
        Tier.CERTAIN, reason, " ".join((old, *stale)), old, cut, middle, digits
    )


def _likely_middle(
    subject: Subject, body: str, label: str, today: str | None, enc: Encoding
) -> str | None:
    """Return the middle of ``<table>_<middle>`` if it names columns gone today."""
    assert subject.table is not None
    owner, name = subject.owner, subject.name
    for split in range(1, len(body) - 1):
        if body[split] != "_" or not owner.startswith(body[:split]):
            continue
        middle = body[split + 1 :]
        cut = build(owner, middle, label, enc) != name
        if cut and not any(
            build(owner, longer, label, enc) == name for longer in _longer(middle, enc)
        ):
            continue
        if middle == today:
            return None
        columns = set(subject.table.columns)
        columns.update(p.name for p in subject.parts or () if p.attnum <= 0)
        if _readable(middle, columns, cut):
            return None
        if today is not None and today.startswith(middle):
            whole = name_bytes(owner, enc) + name_bytes(today, enc) + len(label) + 2
            if whole > MAX_NAME:
                return None
        return middle
    return None
