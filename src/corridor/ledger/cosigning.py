"""The log's side of witnessing: ask each witness to cosign, and mark checkpoints final.

After a batch the log holds a checkpoint only its own key signed. One collection round
(:func:`collect_cosignatures`) sends the latest signed checkpoint to every witness with
a consistency proof from the size that witness last cosigned (C2SP tlog-witness
add-checkpoint), verifies each returned cosignature line against the witness's pinned key
and stores it; once the configured quorum of witnesses has cosigned, the checkpoint is
*final*: the read API, the tlog-tiles ``checkpoint`` and receipts use only final ones.

Rounds run outside any append (:class:`corridor.ledger.collector.CosignatureCollector`
runs them on a background thread) because the witnesses are regulators whose own requests
append evidence: waiting for their cosignature inside an append would make a regulator's
request wait on a call back into that regulator.

Witness keys are pinned at first contact (``GET <witness>/api/ledger/witness``) and kept
in the log's database; the trust file lists them with the quorum.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from corridor.errors import CorridorError
from corridor.ledger.errors import (
    InvalidNote,
    LedgerError,
    LogUnavailable,
    WitnessSizeMismatch,
    WitnessUnavailable,
)
from corridor.ledger.merkle import consistency_proof
from corridor.ledger.note import NoteVerifier, open_note, parse_note, parse_verifier_key
from corridor.ledger.receipt import TrustPolicy
from corridor.ledger.service import LedgerContext
from corridor.ledger.tables import CheckpointRow, CosignatureRow, PinnedWitnessRow
from corridor.ledger.tree import SqlNodeReader
from corridor.ledger.witness import AddCheckpointRequest
from corridor.storage.unit_of_work import UnitOfWork

_LOG = logging.getLogger(__name__)


class WitnessTransport(Protocol):
    """Reaches witnesses (``HttpWitnessClient``, or an in-process one in tests)."""

    def describe(self, url: str) -> tuple[str, str]:
        """The witness's key name and C2SP verifier key."""
        ...

    def add_checkpoint(self, url: str, request: AddCheckpointRequest) -> str:
        """Send an add-checkpoint request; return the cosignature lines (200).

        Raises :class:`WitnessSizeMismatch` for a 409 with a size body, the matching ledger
        error for other refusals and :class:`WitnessUnavailable` when unreachable.
        """
        ...


@dataclass(frozen=True)
class CosigningContext:
    """What a collection round needs: the log, the witnesses' URLs and a way to reach them."""

    ledger: LedgerContext
    witness_urls: tuple[str, ...]
    transport: WitnessTransport


@dataclass(frozen=True)
class PinnedWitness:
    """A witness of this log: where it is and the key it cosigns with."""

    url: str
    name: str
    vkey: str

    def verifier(self) -> NoteVerifier:
        """The verifier of its cosignatures."""
        return parse_verifier_key(self.vkey)


@dataclass
class CollectionOutcome:
    """What one round achieved for the latest signed checkpoint."""

    size: int
    final: bool
    cosigners: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def pinned_witnesses(*, context: LedgerContext) -> list[PinnedWitness]:
    """Witnesses whose key this log has pinned, by name."""
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.execute(select(PinnedWitnessRow).order_by(PinnedWitnessRow.name))
        return [PinnedWitness(r.url, r.name, r.vkey) for r in rows.scalars()]


def pin_witnesses(*, context: CosigningContext) -> dict[str, str]:
    """Fetch and pin the key of every configured witness not pinned yet; return failures."""
    known = {witness.url for witness in pinned_witnesses(context=context.ledger)}
    failures: dict[str, str] = {}
    for url in context.witness_urls:
        if url in known:
            continue
        try:
            name, vkey = context.transport.describe(url)
            parse_verifier_key(vkey)
        except CorridorError as exc:
            failures[url] = exc.message
            continue
        with UnitOfWork(context.ledger.database.sessions) as uow:
            try:
                uow.session.execute(
                    insert(PinnedWitnessRow).values(
                        url=url, name=name, vkey=vkey, pinned_at=context.ledger.clock.now()
                    )
                )
                uow.commit()
            except (IntegrityError, CorridorError) as exc:
                failures[url] = f"cannot pin witness {name!r}: {exc}"
    return failures


def trust_policy(*, context: LedgerContext) -> TrustPolicy:
    """What verifiers of this log pin: origin, log key, the witnesses' keys and the quorum."""
    witnesses = pinned_witnesses(context=context)
    if len(witnesses) < context.quorum:
        raise LogUnavailable(
            f"the log knows {len(witnesses)} witness keys and needs {context.quorum}; "
            "it pins them when it first reaches the witnesses"
        )
    return TrustPolicy(
        origin=context.origin,
        log_key=context.verifier_key,
        witness_keys=tuple(witness.vkey for witness in witnesses),
        quorum=context.quorum,
    )


@dataclass(frozen=True)
class _Signed:
    """The latest checkpoint the log signed, read out of its row."""

    size: int
    note: str
    is_final: bool


def _latest_signed(session: Session) -> _Signed | None:
    row = session.execute(
        select(CheckpointRow.size, CheckpointRow.note, CheckpointRow.is_final)
        .order_by(CheckpointRow.size.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else _Signed(row.size, row.note, row.is_final)


def _last_cosigned_size(session: Session, witness: str) -> int:
    size = session.execute(
        select(func.max(CosignatureRow.size)).where(CosignatureRow.witness == witness)
    ).scalar_one_or_none()
    return int(size or 0)


def _request(context: LedgerContext, old: int, checkpoint: _Signed) -> AddCheckpointRequest:
    with UnitOfWork(context.database.sessions) as uow:
        proof = consistency_proof(SqlNodeReader(uow.session), old, checkpoint.size)
    return AddCheckpointRequest(old, tuple(proof), checkpoint.note)


def _cosignature_line(witness: PinnedWitness, note: str, lines: str) -> str:
    """The one line of ``lines`` that is this witness's valid cosignature on ``note``."""
    try:
        opened = open_note(note + lines, [witness.verifier()])
    except InvalidNote as exc:
        raise WitnessUnavailable(f"witness {witness.name} sent no valid cosignature") from exc
    mine = {(s.name, s.key_id) for s in opened.verified}
    for signature in parse_note(note + lines).signatures:
        if (signature.name, signature.key_id) in mine:
            return signature.line()
    raise WitnessUnavailable(f"witness {witness.name} sent no cosignature line")


def _ask(context: CosigningContext, witness: PinnedWitness, checkpoint: _Signed) -> str:
    with UnitOfWork(context.ledger.database.sessions) as uow:
        old = _last_cosigned_size(uow.session, witness.name)
    if old > checkpoint.size:
        old = 0  # our record is ahead of the checkpoint (cannot happen unless restored)
    try:
        lines = context.transport.add_checkpoint(
            witness.url, _request(context.ledger, old, checkpoint)
        )
    except WitnessSizeMismatch as exc:
        # tlog-witness: a client without the witness's state learns it from the 409 body.
        if exc.latest_size > checkpoint.size:
            raise WitnessUnavailable(
                f"witness {witness.name} cosigned size {exc.latest_size}, beyond this log's "
                f"{checkpoint.size}: the log's state was lost or rolled back"
            ) from exc
        lines = context.transport.add_checkpoint(
            witness.url, _request(context.ledger, exc.latest_size, checkpoint)
        )
    return _cosignature_line(witness, checkpoint.note, lines)


def _store_cosignature(context: LedgerContext, size: int, witness: str, line: str) -> None:
    with UnitOfWork(context.database.sessions) as uow:
        exists = uow.session.execute(
            select(CosignatureRow.line).where(
                CosignatureRow.size == size, CosignatureRow.witness == witness
            )
        ).scalar_one_or_none()
        if exists is None:
            uow.session.add(
                CosignatureRow(
                    size=size, witness=witness, line=line, received_at=context.clock.now()
                )
            )
            uow.commit()


def _finalise(context: LedgerContext, checkpoint: _Signed, names: Sequence[str]) -> bool:
    """Mark the checkpoint final when enough pinned witnesses cosigned it."""
    with UnitOfWork(context.database.sessions) as uow:
        session = uow.session
        rows = session.execute(
            select(CosignatureRow.witness, CosignatureRow.line)
            .where(CosignatureRow.size == checkpoint.size, CosignatureRow.witness.in_(names))
            .order_by(CosignatureRow.witness)
        ).all()
        if len(rows) < context.quorum:
            return False
        session.execute(
            update(CheckpointRow)
            .where(CheckpointRow.size == checkpoint.size)
            .values(is_final=True, cosigned_note=checkpoint.note + "".join(r.line for r in rows))
        )
        uow.commit()
    return True


def collect_cosignatures(*, context: CosigningContext) -> CollectionOutcome:
    """One round: ask every witness that has not cosigned the latest checkpoint to do so."""
    failures = pin_witnesses(context=context)
    with UnitOfWork(context.ledger.database.sessions) as uow:
        checkpoint = _latest_signed(uow.session)
    if checkpoint is None:
        return CollectionOutcome(size=0, final=False, failures=failures)
    witnesses = [
        w for w in pinned_witnesses(context=context.ledger) if w.url in set(context.witness_urls)
    ]
    with UnitOfWork(context.ledger.database.sessions) as uow:
        cosigned = set(
            uow.session.execute(
                select(CosignatureRow.witness).where(CosignatureRow.size == checkpoint.size)
            ).scalars()
        )
    for witness in witnesses:
        if witness.name in cosigned or checkpoint.is_final:
            continue
        try:
            line = _ask(context, witness, checkpoint)
        except LedgerError as exc:
            failures[witness.url] = exc.message
            _LOG.warning("witness %s refused size %d: %s", witness.name, checkpoint.size, exc)
            continue
        _store_cosignature(context.ledger, checkpoint.size, witness.name, line)
        cosigned.add(witness.name)
    names = [w.name for w in witnesses]
    final = checkpoint.is_final or _finalise(context.ledger, checkpoint, names)
    return CollectionOutcome(
        size=checkpoint.size,
        final=final,
        cosigners=sorted(cosigned & set(names)),
        failures=failures,
    )
