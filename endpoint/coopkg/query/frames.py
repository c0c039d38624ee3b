"""The messages between the server and its query processes: an 8-byte length, then a pickle.
Shared by both ends (coopkg.query.pool in the server; coopkg.query.worker and
coopkg.query.zygote in the processes it starts)."""

from __future__ import annotations

import io
import pickle
import struct
from typing import Any

__all__ = ["LENGTH", "frame", "read_frame"]

LENGTH = struct.Struct("!Q")
"""The length prefix of a frame (also how the zygote sends a worker's pid)."""


def frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return LENGTH.pack(len(data)) + data


def read_frame(reader: io.BufferedReader) -> Any:
    """Blocking read of one frame (worker and zygote side); None when the peer has gone. The
    buffered reader usually gets length and body in one recv."""
    header = reader.read(LENGTH.size)
    if len(header) < LENGTH.size:
        return None
    size = LENGTH.unpack(header)[0]
    data = reader.read(size)
    return pickle.loads(data) if len(data) == size else None
