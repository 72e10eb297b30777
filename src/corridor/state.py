"""FastAPI dependencies that read what a party's composition root put on ``app.state``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency returning ``request.app.state.<name>``; type it with ``Annotated``.

    Usage: ``KbsDep = Annotated[KbsContext, Depends(from_state("kbs"))]``.
    """

    def read(request: Request) -> Any:
        return getattr(request.app.state, name)

    read.__name__ = f"state_{name}"
    return read
