"""A real Linli server in a subprocess: migrated, demo city loaded, serving on a free port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ROOT", "free_port", "live_server"]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(
    var_dir: Path,
    *,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    prepare: bool = True,
) -> Iterator[str]:
    """Yield the base URL of a served Linli; the server is stopped afterwards.

    With ``prepare`` (the default) the database is migrated and the demo city loaded first.
    """
    env = {
        k: v for k, v in os.environ.items() if k != "REDIS_URL"
    }  # hermetic: the DB-backed stores
    env |= {
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{var_dir / 'linli.sqlite3'}",
        "LINLI_VAR_DIR": str(var_dir),
        "LINLI_SECRET_KEY": os.environ.get(
            "LINLI_SECRET_KEY", "live-server-secret-0123456789abcdef0123456789"
        ),
        "LINLI_RATE_LIMIT_PER_MINUTE": "0",
        **(extra_env or {}),
    }
    cli = [sys.executable, "-m", "server.cli"]
    for step in ("migrate", "demo") if prepare else ():
        done = subprocess.run(
            [*cli, step],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"linli {step} failed:\n{done.stderr[-3000:]}")
    port = free_port()
    log = (var_dir / "server.log").open("w")
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited:\n{(var_dir / 'server.log').read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"GET /health was not 200 within 60 s:\n{_tail(var_dir / 'server.log')}"
                )
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is not None:
            print(
                f"\n[live_server] the server died ({proc.returncode}):\n{_tail(var_dir / 'server.log')}"
            )
        else:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"
