"""Serving the app with several worker processes, each connection to one of them.

Uvicorn's own multi-worker mode binds one listening socket in the parent and hands it
to every worker: they share one accept queue, and whichever worker is awake takes all
the connections waiting. A proxy or a load generator that opens its keep-alive
connections at once then lands all of them on one worker while the others idle (seen
with ``make bench-sync``: one worker at 96 % of a core, the other at 0 %).

On Linux each worker here binds its own socket to the same address with
``SO_REUSEPORT`` instead; the kernel spreads new connections over the workers' sockets
by a hash of the client's address and port. Uvicorn's supervisor still starts,
watches and restarts the workers; only where a worker's socket comes from changes.
Elsewhere (no ``SO_REUSEPORT`` load balancing) uvicorn's own mode is used.

A served process also settles its heap once the app is built (:func:`settle_heap`).
"""

from __future__ import annotations

import gc
import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess, multiprocess

__all__ = ["reuse_port_socket", "serve", "settle_heap"]

# Allocations between two collections of the youngest generation (Python's default is
# 700), then how many of each generation's collections before the next one's.
GC_THRESHOLDS = (50_000, 20, 20)


def settle_heap() -> None:
    """Keep the cyclic garbage collector off what lives as long as the process.

    Once the app is built, its routes, models, compiled statements and OpenAPI schema
    (about 220,000 objects) never become garbage, yet every full collection
    walked them all, and a collection pauses every request the process is serving. They
    are moved out of the collector's sight (``gc.freeze``), and the youngest generation
    is collected after 50,000 more objects than it last held, not 700. A request
    leaves few behind (33 on average over 100 batches of 50 visit records), so that is
    one collection in about 1,500 requests.

    Measured with ``make bench-sync`` (2 workers, 8 connections, alternating runs):
    p99 124-158 ms without, 73-79 ms with; throughput about the same (10,590-11,500
    records/s without, 11,185-11,450 with). Tests that build the app in their own
    process do not call it: their heap is not a server's.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` in the address's ``SO_REUSEPORT`` group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class _OwnSocketWorker(multiprocess.Process):
    """A uvicorn worker that binds its own socket (in the child, after the spawn)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        super().target([reuse_port_socket(self.config.host, self.config.port)])


def _balanced() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def serve(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run ``app`` (an import string) on ``host:port`` with ``workers`` processes."""
    if workers <= 1 or not _balanced() or port == 0:
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    # Fail now, in the parent, if the address cannot be had (in use by another program,
    # no permission), rather than in every worker as it starts.
    reuse_port_socket(host, port).close()
    # The supervisor names its worker class when it starts and restarts them.
    multiprocess.Process = _OwnSocketWorker  # type: ignore[misc]
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d with %d workers, one socket each (Press CTRL+C to quit)",
        host,
        port,
        workers,
    )
    Multiprocess(config, sockets=[]).run()
