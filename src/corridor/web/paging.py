"""Lists of transfers shown fifty to a page, each with the gist of its consent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from corridor.transfers.listing import TransferSummary
from corridor.web.consent_view import consent_gist

PAGE_SIZE = 50


def paged_transfers(
    fetch: Callable[[int, int], Sequence[TransferSummary]], page: int
) -> dict[str, Any]:
    """``transfers`` (summary and consent gist), ``page`` and ``more`` for a template.

    ``fetch(limit, offset)`` reads the store; one row beyond the page says whether
    there is a next one.
    """
    page = max(0, page)
    found = fetch(PAGE_SIZE + 1, page * PAGE_SIZE)
    return {
        "transfers": [(item, consent_gist(item.consent)) for item in found[:PAGE_SIZE]],
        "page": page,
        "more": len(found) > PAGE_SIZE,
    }
