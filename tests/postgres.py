"""A throwaway PostgreSQL server for the tests, from Debian's package (no Docker needed).

PostgreSQL refuses to run as root, so as root (CI) the server runs as the ``postgres`` user
that Debian's package creates. It listens on 127.0.0.1 and a socket in its own folder only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from frontdoor.broker.local import free_port


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def available() -> bool:
    """Whether PostgreSQL's server programs are installed."""
    return _bin("initdb") is not None and _bin("pg_ctl") is not None


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Run a new server for the duration of the block; its base URL (add a database name)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    assert initdb, "PostgreSQL is not installed (make setup installs it as root)"
    assert pg_ctl, "PostgreSQL is not installed (make setup installs it as root)"
    folder = Path(tempfile.mkdtemp(prefix="frontdoor-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "frontdoor", "-A", "trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://frontdoor@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
