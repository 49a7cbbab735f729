"""House rules that code review would otherwise have to catch (STYLE.md §9)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from seqcheck.findings import Kind
from seqcheck.rules import RULES

PACKAGE = Path(__file__).resolve().parent.parent / "seqcheck"
# Modules that may talk to a server or the terminal: the edges.
EDGES = {
    "cli",
    "connect",
    "catalog",
    "apply",
    "preflight",
    "embedded",
    "processes",
    "demo",
    "schemafile",
}
PURE = {
    "naming",
    "evidence",
    "targets",
    "drift",
    "findings",
    "plan",
    "batches",
    "verify",
    "statements",
    "references",
    "clones",
}
FORBIDDEN_IN_PURE = {"typer", "click", "subprocess"}


def _imports(path: Path) -> set[str]:
    """Return the modules *path* imports at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _module(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")


def test_pure_stages_import_no_connection_or_cli() -> None:
    for path in PACKAGE.rglob("*.py"):
        name = _module(path)
        top = name.split(".")[0]
        if top not in PURE and top not in {"rules", "render"}:
            continue
        imports = _imports(path)
        seqcheck_edges = {
            i for i in imports if i.split(".")[:2][-1] in EDGES - {"catalog"}
        }
        assert not seqcheck_edges & {f"seqcheck.{e}" for e in EDGES}, (name, imports)
        assert not {i.split(".")[0] for i in imports} & FORBIDDEN_IN_PURE, name
        if top != "statements":
            # psycopg.sql only in statements.py; other pure modules never execute SQL.
            assert not any(
                i == "psycopg" or i.startswith("psycopg.") for i in imports
            ) or (top == "render"), (name, imports)


def test_only_the_cli_exits() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if _module(path).split(".")[0] == "cli":
            continue
        assert "sys.exit" not in text, path
        assert "raise typer.Exit" not in text, path


def test_registry_is_complete_and_ordered() -> None:
    files = sorted(p.stem for p in (PACKAGE / "rules").glob("sc[0-9]*.py"))
    codes = [r.code for r in RULES]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert [f"{r.code.lower()}" for r in RULES] == [f.split("_")[0] for f in files]
    assert {r.kind for r in RULES} == set(Kind)


def test_rule_docstrings_have_every_section() -> None:
    for rule, path in zip(
        RULES, sorted((PACKAGE / "rules").glob("sc[0-9]*.py")), strict=True
    ):
        first = rule.doc.strip().splitlines()[0]
        kebab = path.stem.split("_", 1)[1].replace("_", "-")
        assert first.startswith(f"{rule.code} {kebab}:"), (first, path.name)
        for section in (
            "*What it finds*",
            "*Why it matters*",
            "*Example*",
            "*Fix and lock*",
        ):
            assert section in rule.doc, (rule.code, section)


def test_sql_files_are_ascii_and_one_statement() -> None:
    for path in (PACKAGE.parent / "sql").glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        assert text.isascii(), path
        body = re.sub(r"--[^\n]*", "", text).strip()
        assert body.count(";") == 1 and body.endswith(";"), path
