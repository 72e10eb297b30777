"""Length-prefixed JSON frames between the host and an enclave process (stdin/stdout).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. Raw
file descriptors are used on both sides so that a read never blocks on a half-filled
buffer and the host can bound how long it waits for the enclave.
"""

from __future__ import annotations

import json
import os
import select
from typing import Any

from corridor.enclave.errors import EnclaveUnavailable

MAX_FRAME_BYTES = 96 * 1024 * 1024  # a 32 MiB object in base64 plus the job around it
_HEADER_BYTES = 4


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Send one message; raises :class:`EnclaveUnavailable` if the peer is gone."""
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_FRAME_BYTES:
        raise EnclaveUnavailable(f"message of {len(body)} bytes exceeds the frame limit")
    data = len(body).to_bytes(_HEADER_BYTES, "big") + body
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        raise EnclaveUnavailable(f"enclave channel closed while writing: {exc}") from exc


def read_frame(fd: int, *, timeout_seconds: float | None = None) -> dict[str, Any] | None:
    """Receive one message, or ``None`` at a clean end of stream before any byte."""
    header = _read_exact(fd, _HEADER_BYTES, timeout_seconds, allow_eof=True)
    if header is None:
        return None
    length = int.from_bytes(header, "big")
    if length > MAX_FRAME_BYTES:
        raise EnclaveUnavailable(f"peer announced a {length}-byte frame, over the limit")
    body = _read_exact(fd, length, timeout_seconds, allow_eof=False)
    assert body is not None
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnclaveUnavailable("peer sent a frame that is not JSON") from exc
    if not isinstance(message, dict):
        raise EnclaveUnavailable("peer sent a frame that is not a JSON object")
    return message


def _read_exact(
    fd: int, count: int, timeout_seconds: float | None, *, allow_eof: bool
) -> bytes | None:
    chunks: list[bytes] = []
    remaining = count
    while remaining:
        if timeout_seconds is not None:
            ready, _, _ = select.select([fd], [], [], timeout_seconds)
            if not ready:
                raise EnclaveUnavailable(f"enclave did not answer within {timeout_seconds} s")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if allow_eof and remaining == count:
                return None
            raise EnclaveUnavailable("enclave channel closed in the middle of a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
