"""Tiny real images for upload tests."""

from __future__ import annotations

import os
import struct
import zlib

__all__ = ["png"]


def png(rgb: bytes | None = None) -> bytes:
    """A 1×1 PNG; by default of a random colour, so every test gets a content key of its own."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" + (rgb or os.urandom(3))))
        + chunk(b"IEND", b"")
    )
