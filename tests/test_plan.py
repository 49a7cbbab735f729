"""Plan: order, cycles, temporary names, locks and index-column steps (pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck.findings import Finding, Kind, Tier
from seqcheck.naming import name_bytes
from seqcheck.plan import (
    DEFAULT_TIERS,
    Phase,
    Plan,
    RenameStep,
    StatementKind,
    direct_plan,
    direct_step,
    make_plan,
)
from tests.builders import catalog_for, drift_of, finding, index_column


def plan_of(
    *found: Finding,
    taken: Iterable[tuple[str, str, str]] = (),
    columns: dict[int, tuple[str, ...]] | None = None,
    keep_index_columns: bool = False,
    include: Collection[Tier] = DEFAULT_TIERS,
) -> Plan:
    catalog = catalog_for(found, taken=taken, columns=columns)
    return make_plan(
        drift_of(found),
        catalog,
        keep_index_columns=keep_index_columns,
        include=include,
    )


def moves(plan: Plan) -> list[tuple[str, str]]:
    return [(s.old, s.new) for s in plan.steps]


def simulate(plan: Plan, found: tuple[Finding, ...]) -> dict[int, str]:
    """Apply *plan* to the findings' names, checking every target is free."""
    names = {f.object_oid: f.name for f in found if f.kind is not Kind.INDEX_COLUMN}
    for step in plan.steps:
        if step.kind is Kind.INDEX_COLUMN:
            continue
        assert names[step.object_oid] == step.old
        assert step.new not in names.values(), f"{step.new} still taken"
        names[step.object_oid] = step.new
    return names


def test_one_rename_carries_statement_kind_and_lock() -> None:
    seq = finding(Kind.SEQUENCE, "marathon_id_seq", "snickers_id_seq")
    (step,) = plan_of(seq).steps
    assert step == RenameStep(
        kind=Kind.SEQUENCE,
        schema="public",
        table="t",
        old="marathon_id_seq",
        new="snickers_id_seq",
        object_oid=seq.object_oid,
        statement=StatementKind.ALTER_SEQUENCE,
        lock="AccessExclusiveLock on the sequence",
        finding=seq,
    )


def test_statement_kinds_and_locks_follow_the_object_kind() -> None:
    cases = {
        Kind.PKEY: (StatementKind.ALTER_INDEX, "ShareUpdateExclusiveLock on the index"),
        Kind.UNIQUE: (StatementKind.ALTER_INDEX, "ShareUpdateExclusiveLock"),
        Kind.EXCLUSION: (StatementKind.ALTER_INDEX, "ShareUpdateExclusiveLock"),
        Kind.INDEX: (StatementKind.ALTER_INDEX, "ShareUpdateExclusiveLock"),
        Kind.FKEY: (
            StatementKind.RENAME_CONSTRAINT,
            "AccessExclusiveLock on the table",
        ),
        Kind.CHECK: (
            StatementKind.RENAME_CONSTRAINT,
            "AccessExclusiveLock on the table",
        ),
        Kind.NOT_NULL: (StatementKind.RENAME_CONSTRAINT, "AccessExclusiveLock"),
        Kind.STATISTICS: (StatementKind.ALTER_STATISTICS, "the statistics object"),
        Kind.DOMAIN: (StatementKind.RENAME_DOMAIN_CONSTRAINT, "no relation lock"),
    }
    for kind, (statement, lock) in cases.items():
        (step,) = plan_of(finding(kind, f"old_{kind}", f"new_{kind}")).steps
        assert step.statement is statement, kind
        assert lock in step.lock, kind


def test_a_chain_renames_the_holder_of_the_target_first() -> None:
    # a → b while b → c: b must move first; then a.
    first = finding(Kind.INDEX, "t_a_idx", "t_b_idx")
    second = finding(Kind.INDEX, "t_b_idx", "t_c_idx")
    plan = plan_of(first, second)
    assert moves(plan) == [("t_b_idx", "t_c_idx"), ("t_a_idx", "t_b_idx")]
    assert all(s.phase is Phase.RENAME for s in plan.steps)


def test_a_long_chain_in_any_order() -> None:
    chain = [finding(Kind.INDEX, f"n{i}_idx", f"n{i + 1}_idx") for i in range(6)]
    plan = plan_of(*reversed(chain))
    assert moves(plan) == [(f"n{i}_idx", f"n{i + 1}_idx") for i in reversed(range(6))]


def test_a_swap_goes_through_a_free_temporary_name() -> None:
    a = finding(Kind.PKEY, "b_pkey", "a_pkey", table="a")
    b = finding(Kind.PKEY, "a_pkey", "b_pkey", table="b")
    plan = plan_of(a, b, taken=[("public", "relation", "b_pkey_seqcheck_tmp")])
    assert len(plan.steps) == 3
    first, middle, last = plan.steps
    assert first.phase is Phase.TO_TEMP and last.phase is Phase.FROM_TEMP
    assert middle.phase is Phase.RENAME
    assert first.object_oid == last.object_oid != middle.object_oid
    assert first.new == last.old
    assert first.new.endswith("_seqcheck_tmp1")  # the plain temp name is taken
    assert simulate(plan, (a, b)) == {a.object_oid: "a_pkey", b.object_oid: "b_pkey"}


def test_a_three_cycle_needs_one_temporary_name() -> None:
    found = (
        finding(Kind.CHECK, "x_check", "y_check"),
        finding(Kind.CHECK, "y_check", "z_check"),
        finding(Kind.CHECK, "z_check", "x_check"),
    )
    plan = plan_of(*found)
    assert len(plan.steps) == 4
    assert [s.phase for s in plan.steps].count(Phase.TO_TEMP) == 1
    final = simulate(plan, found)
    assert final == {f.object_oid: f.expected for f in found}


def test_a_chain_into_a_cycle_parks_a_member_of_the_cycle() -> None:
    # The check waits for the pkey (constraint name "x"), which is on a cycle
    # with the index (relation names "x" and "y"): park the cycle, not the check.
    check = finding(Kind.CHECK, "w", "x")
    pkey = finding(Kind.PKEY, "x", "y")
    index = finding(Kind.INDEX, "y", "x")
    plan = plan_of(check, pkey, index)
    assert [s.phase for s in plan.steps].count(Phase.TO_TEMP) == 1
    assert plan.steps[0].finding != check
    final = {f.object_oid: f.expected for f in (check, pkey, index)}
    names = {f.object_oid: f.name for f in (check, pkey, index)}
    for step in plan.steps:
        assert names[step.object_oid] == step.old
        names[step.object_oid] = step.new
    assert names == final


def test_temporary_names_fit_in_63_bytes() -> None:
    long_a = "é" * 26 + "_a_pkey"  # 59 bytes
    long_b = "é" * 26 + "_b_pkey"
    a = finding(Kind.PKEY, long_a, long_b, table="a")
    b = finding(Kind.PKEY, long_b, long_a, table="b")
    plan = plan_of(a, b)
    temp = plan.steps[0].new
    assert name_bytes(temp) <= 63
    assert temp.endswith("_seqcheck_tmp")
    assert temp.encode().decode() == temp  # cut on a character boundary
    assert simulate(plan, (a, b))[a.object_oid] == long_b


def test_an_index_and_a_pkey_share_the_relation_namespace() -> None:
    # The pkey frees "t_pkey", which the index takes; the order must say so.
    index = finding(Kind.INDEX, "t_old_idx", "t_pkey")
    pkey = finding(Kind.PKEY, "t_pkey", "u_pkey")
    assert moves(plan_of(index, pkey)) == [
        ("t_pkey", "u_pkey"),
        ("t_old_idx", "t_pkey"),
    ]


def test_different_schemas_do_not_collide() -> None:
    a = finding(Kind.INDEX, "x_idx", "y_idx", schema="one")
    b = finding(Kind.INDEX, "y_idx", "x_idx", schema="two")
    plan = plan_of(a, b)
    assert [s.phase for s in plan.steps] == [Phase.RENAME, Phase.RENAME]


def test_index_column_steps_follow_and_name_the_renamed_index() -> None:
    index = finding(Kind.UNIQUE, "marathon_weight_key", "snickers_mass_key")
    column = index_column(index, "weight", "mass")
    plan = plan_of(column, index, columns={index.object_oid: ("weight",)})
    rename, fix_column = plan.steps
    assert rename.new == "snickers_mass_key"
    assert fix_column.kind is Kind.INDEX_COLUMN
    assert fix_column.index == "snickers_mass_key"
    assert (fix_column.old, fix_column.new) == ("weight", "mass")
    assert fix_column.statement is StatementKind.RENAME_INDEX_COLUMN
    assert "AccessExclusiveLock on the index" in fix_column.lock


def test_index_column_of_an_index_left_alone_names_it_as_is() -> None:
    column = index_column("t_a_idx", "a", "b", oid=777)
    (step,) = plan_of(column, columns={777: ("a",)}).steps
    assert step.index == "t_a_idx"


def test_index_columns_swapped_inside_one_index() -> None:
    first = index_column("t_a_b_idx", "a", "b", oid=778)
    second = index_column("t_a_b_idx", "b", "a", oid=778)
    plan = plan_of(first, second, columns={778: ("a", "b")})
    assert len(plan.steps) == 3
    assert plan.steps[0].phase is Phase.TO_TEMP
    assert plan.steps[0].new not in {"a", "b"}


def test_keep_index_columns_leaves_them_out() -> None:
    column = index_column("t_a_idx", "a", "b", oid=779)
    assert plan_of(column, columns={779: ("a",)}, keep_index_columns=True).steps == ()


def test_include_selects_tiers() -> None:
    likely = finding(Kind.FKEY, "t_product_fkey", "t_product_id_fkey", tier=Tier.LIKELY)
    custom = finding(
        Kind.INDEX, "users_email_idx", "app_users_email_idx", tier=Tier.CUSTOM
    )
    assert [s.finding for s in plan_of(likely, custom).steps] == [likely]
    assert plan_of(likely, custom, include={Tier.CERTAIN}).steps == ()
    everything = {Tier.CERTAIN, Tier.LIKELY, Tier.CUSTOM}
    assert len(plan_of(likely, custom, include=everything).steps) == 2


def test_a_target_held_outside_the_plan_is_blocked_with_its_dependants() -> None:
    # "t_b_idx" belongs to an object the filters left out: nothing can free it.
    blocked = finding(Kind.INDEX, "t_a_idx", "t_b_idx")
    behind = finding(Kind.INDEX, "t_z_idx", "t_a_idx")
    free = finding(Kind.INDEX, "t_q_idx", "t_r_idx")
    plan = plan_of(blocked, behind, free, taken=[("public", "relation", "t_b_idx")])
    assert set(plan.blocked) == {blocked, behind}
    assert moves(plan) == [("t_q_idx", "t_r_idx")]


def test_by_finding_groups_steps_in_plan_order() -> None:
    a = finding(Kind.PKEY, "b_pkey", "a_pkey", table="a")
    b = finding(Kind.PKEY, "a_pkey", "b_pkey", table="b")
    plan = plan_of(a, b)
    grouped = plan.by_finding()
    assert [s.phase for s in grouped[a]] == [Phase.TO_TEMP, Phase.FROM_TEMP]
    assert [s.phase for s in grouped[b]] == [Phase.RENAME]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 11), min_size=1, max_size=8, unique=True).flatmap(
        lambda olds: st.tuples(
            st.just(olds),
            st.lists(
                st.integers(0, 11),
                min_size=len(olds),
                max_size=len(olds),
                unique=True,
            ),
            st.lists(
                st.sampled_from([Kind.INDEX, Kind.PKEY, Kind.CHECK]),
                min_size=len(olds),
                max_size=len(olds),
            ),
        )
    )
)
def test_any_renaming_of_names_ends_as_planned(
    case: tuple[list[int], list[int], list[Kind]],
) -> None:
    olds, news, kinds = case
    found = tuple(
        finding(kind, f"n{old}", f"n{new}", oid=1000 + n)
        for n, (old, new, kind) in enumerate(zip(olds, news, kinds, strict=True))
        if old != new
    )
    plan = plan_of(*found)
    names = {f.object_oid: f.name for f in found}
    spaces = {
        f.object_oid: {"relation"} if f.kind is Kind.INDEX else {"constraint"}
        for f in found
    }
    for f in found:
        if f.kind is Kind.PKEY:
            spaces[f.object_oid] = {"relation", "constraint"}
    for step in plan.steps:
        assert names[step.object_oid] == step.old
        for oid, name in names.items():
            if oid != step.object_oid and name == step.new:
                assert not spaces[oid] & spaces[step.object_oid], step
        names[step.object_oid] = step.new
    for f in found:
        if f not in plan.blocked:
            assert names[f.object_oid] == f.expected
    assert len(plan.steps) <= len(found) + len(found) // 2 + 1
    direct = direct_plan(drift_of(found), catalog_for(found), _direct_steps(found))
    assert direct is None or direct == plan


def _direct_steps(found: Iterable[Finding]) -> dict[tuple[int, Kind], RenameStep]:
    return {(f.object_oid, f.kind): direct_step(f) for f in found}


def _direct(
    *found: Finding,
    steps: Iterable[Finding] | None = None,
    taken: Iterable[tuple[str, str, str]] = (),
    keep_index_columns: bool = False,
) -> Plan | None:
    return direct_plan(
        drift_of(found),
        catalog_for(found, taken=taken),
        _direct_steps(found if steps is None else steps),
        keep_index_columns=keep_index_columns,
    )


def test_renames_onto_free_names_are_planned_as_their_direct_steps() -> None:
    found = (
        finding(Kind.SEQUENCE, "a_id_seq", "b_id_seq", table="b"),
        finding(Kind.PKEY, "a_pkey", "b_pkey", table="b"),
        finding(Kind.FKEY, "a_x_fkey", "b_x_fkey", table="b"),
        finding(Kind.CHECK, "c_check", "d_check", table="d", tier=Tier.CUSTOM),
    )
    direct = _direct(*found)
    assert direct is not None
    assert direct == plan_of(*found)
    assert [s.new for s in direct.steps] == ["b_x_fkey", "b_pkey", "b_id_seq"]


def test_no_direct_plan_where_make_plan_does_more() -> None:
    a = finding(Kind.PKEY, "a_pkey", "b_pkey", table="b")
    b = finding(Kind.PKEY, "b_pkey", "c_pkey", table="c")  # a waits for b
    assert _direct(a, b) is None
    assert _direct(a, taken=[("public", "relation", "b_pkey")]) is None  # held
    assert _direct(a, b, steps=[b]) is None  # a step missing
    other = a._replace(expected="b_pkey1")  # a guess the drift changed
    assert _direct(a, steps=[other]) is None
    column = index_column("a_x_idx", "x", "y")
    assert _direct(a, column) is None
    kept = _direct(a, column, steps=[a], keep_index_columns=True)
    assert kept is not None and kept.steps == (direct_step(a),)
    twice = finding(Kind.INDEX, "x_idx", "b_pkey", table="b")  # one target
    assert _direct(a, twice) is None
