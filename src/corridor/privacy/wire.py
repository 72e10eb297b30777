"""JSON wire form of protocol messages: ``bytes`` values travel as ``{"$b64": base64}``.

Pure. Protocol code passes large vectors as ``bytes`` (no text encoding in process); the
HTTP client and routes encode them at the boundary with standard base64, the fastest
text form ``binascii`` offers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from corridor.privacy.errors import ProtocolViolation

_KEY = "$b64"


def to_wire(value: Any) -> Any:
    """Replace every ``bytes`` inside ``value`` by ``{"$b64": ...}``."""
    if isinstance(value, bytes):
        return {_KEY: base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


def from_wire(value: Any) -> Any:
    """Inverse of :func:`to_wire`."""
    if isinstance(value, Mapping):
        if set(value) == {_KEY}:
            try:
                return base64.b64decode(str(value[_KEY]), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ProtocolViolation("a $b64 value is not base64") from exc
        return {str(k): from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value
