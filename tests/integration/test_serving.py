"""``linli serve --workers 2`` spreads connections over both workers.

Each worker binds its own socket in the address's SO_REUSEPORT group
(:mod:`server.serving`), so connections opened at once (a proxy's keep-alive pool, a
phone syncing) do not all land on the worker that happened to be awake. Checked from
the kernel's own tables: which process holds the server end of each connection.
"""

from __future__ import annotations

import http.client
import os
import sys
import time
from pathlib import Path

import pytest

from tests.support.live import live_server

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

LISTEN, ESTABLISHED = "0A", "01"


def _sockets(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 sockets with local port ``port`` in ``state``."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state:
            found.add(fields[9])
    return found


def _owners(inodes: set[str]) -> dict[str, int]:
    """Which process holds each socket inode."""
    owners: dict[str, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                owners[target[8:-1]] = int(pid)
    return owners


def test_two_workers_each_listen_and_share_the_connections(tmp_path: Path) -> None:
    with live_server(tmp_path, workers=2) as base:
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while len(_sockets(port, LISTEN)) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, "the second worker never listened"
            time.sleep(0.2)
        listeners = _owners(_sockets(port, LISTEN))
        assert len(set(listeners.values())) == 2, "each worker listens on a socket of its own"

        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(16)]
        try:
            for conn in connections:
                conn.request("GET", "/health")
                response = conn.getresponse()
                response.read()
                assert response.status == 200
            served_by = _owners(_sockets(port, ESTABLISHED))
            # The server ends of the 16 connections (the client ends have other ports).
            workers = set(served_by.values())
            assert workers == set(listeners.values()), (
                f"16 connections were served by {len(workers)} worker(s): {served_by}"
            )
        finally:
            for conn in connections:
                conn.close()


def test_a_served_app_keeps_the_collector_off_what_it_built(tmp_path: Path) -> None:
    """``server.asgi:app``, what ``linli serve`` runs, freezes the objects the app was
    built of and collects the youngest generation rarely (``settle_heap``); a process
    that builds the app itself keeps Python's defaults."""
    import json
    import subprocess

    from server.serving import GC_THRESHOLDS

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'linli.sqlite3'}",
        "LINLI_VAR_DIR": str(tmp_path),
        "LINLI_SECRET_KEY": "serving-test-secret-0123456789abcdef0123",
    }
    probe = (
        "import gc, json, sys; import {module}; "
        "print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]))"
    )
    found = {}
    for module in ("server.asgi", "server.app"):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(module=module)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        found[module] = json.loads(out.strip().splitlines()[-1])
    thresholds, frozen = found["server.asgi"]
    assert tuple(thresholds) == GC_THRESHOLDS
    assert frozen > 100_000, frozen  # the app's objects, out of the collector's sight
    assert found["server.app"] == [[700, 10, 10], 0]
