"""The Alembic plugin: the comparator behind ``autogenerate_plugins=[…, "seqcheck"]``.

Stage: the Alembic plugin's entry point. Alembic (1.18+) loads it through the
``alembic.plugins`` entry point while ``alembic`` itself is still being imported,
so this module imports only ``alembic.util`` at the top; :func:`setup` registers
the rename comparator, and the comparator imports the rest when it first runs.
:mod:`seqcheck.alembic.ops` registers the ``op.rename_*`` operations; a revision
that uses them imports it (autogenerate writes the import line).
:func:`process_revision_directives` does the same rewrite as a hook, for
``env.py`` files that prefer hooks to the plugin list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alembic.util import DispatchPriority, PriorityDispatchResult

from seqcheck.alembic.settings import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import MigrationScript, UpgradeOps
    from alembic.runtime.migration import MigrationContext
    from alembic.runtime.plugins import Plugin

__all__ = ["compare", "process_revision_directives", "setup"]

_DONE = "seqcheck_renames_done"


def setup(plugin: Plugin) -> None:
    """Register the rename comparator, after Alembic's own table comparison."""
    plugin.add_autogenerate_comparator(
        compare, "schema", "seqcheck_renames", priority=DispatchPriority.LAST
    )


def compare(
    autogen_context: AutogenContext,
    upgrade_ops: UpgradeOps,
    schemas: set[str | None],
) -> PriorityDispatchResult:
    """Turn the drop + create pairs autogenerate found into renames."""
    del schemas
    _rewrite(autogen_context, upgrade_ops, _settings())
    return PriorityDispatchResult.CONTINUE


def _settings() -> Settings:
    """Return the settings; a malformed config file fails the Alembic command."""
    from alembic.util import CommandError

    from seqcheck.errors import SeqcheckError

    try:
        return load_settings()
    except SeqcheckError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise CommandError(f"seqcheck: {exc.message}{hint}") from None


def _rewrite(
    autogen_context: AutogenContext, upgrade_ops: UpgradeOps, settings: Settings
) -> None:
    from seqcheck.alembic.ask import Asker, is_interactive, terminal_prompt
    from seqcheck.alembic.rewrite import rewrite

    if upgrade_ops.info.get(_DONE):
        return
    upgrade_ops.info[_DONE] = True
    prompt = terminal_prompt if is_interactive(autogen_context, settings) else None
    rewrite(autogen_context, upgrade_ops, settings, Asker(settings, prompt))


def process_revision_directives(
    context: MigrationContext,
    revision: str | Sequence[str | None] | Sequence[str],
    directives: list[MigrationScript],
) -> None:
    """Rewrite autogenerate's drop + create pairs as renames (a hook).

    For ``context.configure(process_revision_directives=…)``. Does nothing
    unless autogenerate produced the operations, and nothing twice when the
    plugin already ran.
    """
    del revision
    from alembic.autogenerate.api import AutogenContext
    from alembic.autogenerate.compare.util import _InspectorConv

    if context.connection is None or context.as_sql or not directives:
        return
    settings = _settings()
    for script in directives:
        for upgrade_ops, downgrade_ops in zip(
            script.upgrade_ops_list, script.downgrade_ops_list, strict=True
        ):
            if upgrade_ops.is_empty() or upgrade_ops.info.get(_DONE):
                continue
            autogen_context = AutogenContext(context)
            inspector = autogen_context.inspector
            for schema in _schemas(upgrade_ops):
                names = inspector.get_table_names(schema=schema)
                _InspectorConv(inspector).pre_cache_tables(schema, names, names)
            _rewrite(autogen_context, upgrade_ops, settings)
            downgrade_ops.ops[:] = upgrade_ops.reverse().ops


def _schemas(upgrade_ops: UpgradeOps) -> set[str | None]:
    found: set[str | None] = {None}
    for op in upgrade_ops.ops:
        schema: Any = getattr(op, "schema", None)
        if isinstance(schema, str):
            found.add(schema)
    return found
