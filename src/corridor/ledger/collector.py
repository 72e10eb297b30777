"""A background thread that gathers witness cosignatures after each batch.

Appends only *announce* a new checkpoint (:meth:`CosignatureCollector.notify` sets an
event and returns); the thread runs collection rounds until the latest checkpoint is final,
retrying with a growing pause while a witness is unreachable, then exits. The next
announcement (an append, or a receipt asked for before finality) starts it again, so an
idle log holds no thread and a crashed round cannot wedge appends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from corridor.errors import ConfigurationError, CorridorError
from corridor.ledger.cosigning import (
    CollectionOutcome,
    CosigningContext,
    WitnessTransport,
    collect_cosignatures,
)
from corridor.ledger.service import LedgerContext

_LOG = logging.getLogger(__name__)
_FIRST_RETRY_SECONDS = 0.2
_MAX_RETRY_SECONDS = 5.0
# After this many rounds without finality the thread rests until the next announcement.
_MAX_ROUNDS = 12


class CosignatureCollector:
    """Runs :func:`collect_cosignatures` off the request path, one round at a time."""

    def __init__(
        self,
        context: CosigningContext,
        *,
        collect: Callable[..., CollectionOutcome] = collect_cosignatures,
    ) -> None:
        self._context = context
        self._collect = collect
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """A new checkpoint exists: make sure a round runs soon. Never blocks on I/O."""
        if self._stopped.is_set():
            return
        with self._guard:
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ledger-cosignature-collector", daemon=True
                )
                self._thread.start()

    def run_once(self) -> CollectionOutcome:
        """One round on the caller's thread (for tools and tests)."""
        return self._collect(context=self._context)

    def close(self, timeout_seconds: float = 10.0) -> None:
        """Stop the thread (after its current round) and wait for it."""
        self._stopped.set()
        self._wake.set()
        with self._guard:
            thread = self._thread
        if thread is not None:
            thread.join(timeout_seconds)

    def _finish(self, *, final: bool, rounds: int) -> bool:
        """Whether the thread may exit; decided under the guard so no wake-up is lost."""
        with self._guard:
            if self._stopped.is_set():
                return True
            if (final and not self._wake.is_set()) or rounds >= _MAX_ROUNDS:
                self._thread = None
                return True
            return False

    def _run(self) -> None:
        pause = _FIRST_RETRY_SECONDS
        rounds = 0
        while True:
            self._wake.clear()
            rounds += 1
            final = False
            try:
                final = self._collect(context=self._context).final
            except CorridorError as exc:
                _LOG.warning("cosignature round failed: %s", exc.diagnostics())
            except Exception:  # noqa: BLE001  # a background thread must not die silently
                _LOG.exception("cosignature round crashed")
            if self._finish(final=final, rounds=rounds):
                return
            if final:  # a newer batch arrived meanwhile: collect for it at once
                pause, rounds = _FIRST_RETRY_SECONDS, 0
                continue
            # Not final: a witness is unreachable or refused. Wait, unless a newer batch
            # arrives (then the next round asks for that one instead).
            self._wake.wait(pause)
            pause = min(pause * 2, _MAX_RETRY_SECONDS)


def start_witnessing(
    context: LedgerContext, *, witness_urls: Sequence[str], transport: WitnessTransport
) -> tuple[LedgerContext, CosignatureCollector]:
    """Give a log its witnesses: a collector, and a context whose batches wake it.

    The collector is woken once at once, to pin the witnesses' keys and finish any
    checkpoint a previous run left without its quorum.
    """
    if context.quorum > len(witness_urls):
        raise ConfigurationError(
            f"a witness quorum of {context.quorum} needs at least that many witnesses, "
            f"not {len(witness_urls)}"
        )
    collector = CosignatureCollector(
        CosigningContext(ledger=context, witness_urls=tuple(witness_urls), transport=transport)
    )
    announcing = replace(context, announce=collector.notify)
    if witness_urls:
        collector.notify()
    return announcing, collector
