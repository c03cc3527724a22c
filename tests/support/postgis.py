"""A throwaway PostgreSQL + PostGIS cluster on a free loopback port.

Used by the test suite and the benchmarks: ``initdb`` into a temporary
directory, start it with durability off (it is thrown away), create a database
with PostGIS, yield its URL, stop and delete everything. PostgreSQL refuses to
run as root, so as root the server binaries run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PostgisUnavailable", "find_pg_bin", "throwaway_postgis"]


class PostgisUnavailable(RuntimeError):
    pass


def find_pg_bin() -> Path:
    explicit = os.environ.get("LINLI_PG_BIN")
    candidates = [Path(explicit)] if explicit else []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        candidates += sorted((p / "bin" for p in root.iterdir()), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgisUnavailable(
        "PostgreSQL server binaries not found (apt-get install postgresql-15-postgis-3)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def throwaway_postgis(dbname: str = "linli") -> Iterator[str]:
    """Yield ``postgresql+asyncpg://…`` of a fresh PostGIS database; remove it all afterwards."""
    bin_dir = find_pg_bin()
    share = Path("/usr/share/postgresql") / bin_dir.parent.name / "extension" / "postgis.control"
    if not share.exists():
        raise PostgisUnavailable(f"PostGIS extension not installed ({share} missing)")
    base = Path(tempfile.mkdtemp(prefix="linli-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        base.chmod(0o700)
    port = _free_port()
    log = base / "server.log"

    def run(cmd: list[str]) -> None:
        result = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgisUnavailable(
                f"{' '.join(cmd[:2])} failed: {result.stderr.strip() or result.stdout.strip()}"
            )

    try:
        run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        opts = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB"
        )
        run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                opts,
                "start",
            ]
        )
        try:
            psql = [
                str(bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
            ]
            run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {dbname}"])
            run([*psql, "-d", dbname, "-c", "CREATE EXTENSION postgis"])
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{dbname}"
        finally:
            subprocess.run(
                _as_postgres(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                check=False,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":  # a manual check: python -m tests.support.postgis
    started = time.perf_counter()
    with throwaway_postgis() as url:
        print(url, f"up in {time.perf_counter() - started:.1f}s")
        if os.environ.get("HOLD"):
            input("press enter to stop ")


async def fresh_database(url: str, name: str) -> str:
    """A new database ``name`` with PostGIS in the cluster of ``url`` (an asyncpg URL),
    for tests that need rows of their own; its URL."""
    import asyncpg

    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name}")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    fresh = plain.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(fresh)
    try:
        await conn.execute("CREATE EXTENSION postgis")
    finally:
        await conn.close()
    return fresh.replace("postgresql://", "postgresql+asyncpg://")
