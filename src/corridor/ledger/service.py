"""The log's use cases on the hosting node: append signed evidence, serve proofs and receipts.

Appends are batched: a whole batch is verified first (outside any transaction, since
resolving an actor's DID may use the network), then written in one transaction that
stores the leaves, the tree nodes they complete and one signed checkpoint, and is
committed before the caller hears back (blueprint §5: durable before acknowledged).
Writers are serialised by updating the single ``ledger_state`` row first: on PostgreSQL
that row lock queues concurrent appends, on SQLite the same statement takes the
database's write lock; a process-wide lock per database spares SQLite busy-waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from corridor.clock import Clock
from corridor.crypto.errors import SignatureInvalid
from corridor.crypto.keys import SigningKeyPair
from corridor.identity.errors import MalformedDid, UnknownDid, UnknownKey
from corridor.identity.resolver import DidResolver
from corridor.ledger.errors import (
    EntryNotFound,
    EntrySignatureInvalid,
    InvalidBatch,
    InvalidEntry,
    InvalidProofRequest,
    NotYetFinal,
    UnknownActor,
)
from corridor.ledger.evidence import (
    SignedEntry,
    entry_digest,
    parse_signed_entry,
    verify_signed_entry,
)
from corridor.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from corridor.ledger.note import Checkpoint, Ed25519NoteSigner, format_note
from corridor.ledger.receipt import format_receipt
from corridor.ledger.tables import CheckpointRow, LeafRow, LogStateRow
from corridor.ledger.tree import LeafInput, SqlNodeReader, append_to_tree
from corridor.storage.database import Database
from corridor.storage.unit_of_work import UnitOfWork

_STATE_ID = 1
_SIZE_QUERY = select(LogStateRow.size).where(LogStateRow.id == _STATE_ID)
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class LedgerContext:
    """Collaborators of the log service, built by the datacenter's composition root."""

    database: Database
    resolver: DidResolver
    log_key: SigningKeyPair
    origin: str
    clock: Clock
    batch_size: int
    # Witness cosignatures a checkpoint needs to be final; 0 makes every checkpoint final
    # when it is stored (a log without witnesses, as in unit tests and benchmarks).
    quorum: int = 0
    # Called after each committed batch: wakes the cosignature collector (never blocks).
    announce: Callable[[], None] = field(default=lambda: None, compare=False)

    @property
    def signer(self) -> Ed25519NoteSigner:
        """The checkpoint signer; its key name is the origin (tlog-checkpoint §Signatures)."""
        return Ed25519NoteSigner(self.origin, self.log_key)

    @property
    def verifier_key(self) -> str:
        """The log's C2SP verifier key, for trust files and witnesses."""
        return self.signer.verifier_key


@dataclass(frozen=True)
class AppendedEntry:
    """Where one leaf of a batch sits in the log."""

    index: int
    leaf_hash: str
    digest: str


@dataclass(frozen=True)
class AppendResult:
    """One reference per submitted leaf, in order, and the checkpoint that covers them."""

    entries: list[AppendedEntry]
    checkpoint: str


def _append_lock(database: Database) -> threading.Lock:
    key = database.engine.url.render_as_string(hide_password=True)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _verified_entries(context: LedgerContext, leaves: Sequence[bytes]) -> list[SignedEntry]:
    if not 1 <= len(leaves) <= context.batch_size:
        raise InvalidBatch(f"a batch holds 1 to {context.batch_size} entries, not {len(leaves)}")
    entries: list[SignedEntry] = []
    keys = {}
    for position, leaf in enumerate(leaves):
        try:
            entry = parse_signed_entry(leaf)
        except InvalidEntry as exc:
            raise InvalidEntry(exc.message, detail={"entry": position, **exc.detail}) from exc
        actor = entry.statement.actor
        # By kid, not by DID: an actor that rotated its key still publishes the retired
        # one, so entries it signed before stay verifiable (docs/identity.md).
        if entry.kid not in keys:
            try:
                keys[entry.kid] = context.resolver.resolve_key(entry.kid)
            except UnknownDid as exc:
                raise UnknownActor(
                    f"cannot resolve actor {actor}", detail={"entry": position}
                ) from exc
            except MalformedDid as exc:
                raise InvalidEntry(exc.message, detail={"entry": position}) from exc
            except UnknownKey as exc:
                raise EntrySignatureInvalid(
                    f"{actor} publishes no key {entry.kid}", detail={"entry": position}
                ) from exc
        try:
            verify_signed_entry(entry, keys[entry.kid])
        except SignatureInvalid as exc:
            raise EntrySignatureInvalid(
                f"entry signature does not verify under {actor}'s key", detail={"entry": position}
            ) from exc
        entries.append(entry)
    return entries


def _lock_and_read_size(session: Session) -> int:
    # Updating the lock row first makes this transaction the only writer until it ends.
    session.execute(
        update(LogStateRow).where(LogStateRow.id == _STATE_ID).values(size=LogStateRow.size)
    )
    return session.execute(select(LogStateRow.size).where(LogStateRow.id == _STATE_ID)).scalar_one()


def _read_size(session: Session) -> int:
    return session.execute(select(LogStateRow.size).where(LogStateRow.id == _STATE_ID)).scalar_one()


def _empty_note(context: LedgerContext) -> str:
    # Nothing appended yet: the size-0 checkpoint is deterministic, so sign it on demand.
    body = Checkpoint(context.origin, 0, EMPTY_ROOT).body()
    return format_note(body, [context.signer.sign(body)])


def _latest_note(context: LedgerContext, session: Session) -> str:
    note = session.execute(
        select(CheckpointRow.note).order_by(CheckpointRow.size.desc()).limit(1)
    ).scalar_one_or_none()
    return note if note is not None else _empty_note(context)


def _latest_final(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        select(CheckpointRow.size, CheckpointRow.cosigned_note)
        .where(CheckpointRow.is_final.is_(True))
        .order_by(CheckpointRow.size.desc())
        .limit(1)
    ).one_or_none()
    if row is None or row.cosigned_note is None:
        return None
    return row.size, row.cosigned_note


def append_entries(*, context: LedgerContext, leaves: Sequence[bytes]) -> AppendResult:
    """Verify, store and checkpoint a batch of signed evidence leaves; all or nothing.

    Entries already in the log (same leaf bytes) keep their index and are not stored
    again. The answer comes only after the transaction has committed.
    """
    entries = _verified_entries(context, leaves)
    hashes = [leaf_hash(leaf) for leaf in leaves]
    with _append_lock(context.database), UnitOfWork(context.database.sessions) as uow:
        session = uow.session
        size = _lock_and_read_size(session)
        # Idempotency by leaf hash (a unique index): an entry appended again keeps its index.
        indexes: dict[bytes, int] = dict(
            session.execute(
                select(LeafRow.leaf_hash, LeafRow.idx).where(LeafRow.leaf_hash.in_(set(hashes)))
            ).all()
        )
        rows: list[LeafInput] = []
        for entry, value in zip(entries, hashes, strict=True):
            if value in indexes:
                continue
            indexes[value] = size + len(rows)
            statement = entry.statement
            rows.append(
                LeafInput(
                    indexes[value],
                    entry.leaf,
                    value,
                    statement.transfer,
                    statement.type,
                    statement.actor,
                )
            )
        if rows:
            note = _store_batch(context, session, size, rows)
        else:
            note = _latest_note(context, session)
        uow.commit()
    if rows:
        context.announce()
    return AppendResult(
        entries=[
            AppendedEntry(index=indexes[value], leaf_hash=value.hex(), digest=entry_digest(leaf))
            for leaf, value in zip(leaves, hashes, strict=True)
        ],
        checkpoint=note,
    )


def _store_batch(context: LedgerContext, session: Session, size: int, rows: list[LeafInput]) -> str:
    root = append_to_tree(session, size=size, leaves=rows)
    new_size = size + len(rows)
    body = Checkpoint(context.origin, new_size, root).body()
    note = format_note(body, [context.signer.sign(body)])
    final = context.quorum == 0
    session.add(
        CheckpointRow(
            size=new_size,
            root_hash=root,
            note=note,
            created_at=context.clock.now(),
            is_final=final,
            cosigned_note=note if final else None,
        )
    )
    session.execute(update(LogStateRow).where(LogStateRow.id == _STATE_ID).values(size=new_size))
    return note


def latest_checkpoint(*, context: LedgerContext) -> str:
    """The newest *final* checkpoint with its cosignatures (tlog-tiles ``checkpoint``).

    Before any checkpoint is final this is the log-signed size-0 checkpoint: it commits
    to nothing, so serving it without cosignatures claims nothing a witness must vouch for.
    """
    with UnitOfWork(context.database.sessions) as uow:
        final = _latest_final(uow.session)
    return final[1] if final is not None else _empty_note(context)


def latest_signed_checkpoint(*, context: LedgerContext) -> str:
    """The newest checkpoint the log signed, final or not (what witnesses are asked to cosign)."""
    with UnitOfWork(context.database.sessions) as uow:
        return _latest_note(context, uow.session)


def tree_size(*, context: LedgerContext) -> int:
    """Number of entries in the log."""
    with UnitOfWork(context.database.sessions) as uow:
        return _read_size(uow.session)


def get_entry(*, context: LedgerContext, index: int) -> bytes | None:
    """The exact leaf bytes at ``index``, or ``None``."""
    with UnitOfWork(context.database.sessions) as uow:
        return uow.session.execute(
            select(LeafRow.leaf).where(LeafRow.idx == index)
        ).scalar_one_or_none()


def require_entry(*, context: LedgerContext, index: int) -> bytes:
    """The exact leaf bytes at ``index``; raise :class:`EntryNotFound` when there is none."""
    leaf = get_entry(context=context, index=index)
    if leaf is None:
        raise EntryNotFound(f"no entry at index {index}")
    return leaf


def entries_for_transfer(*, context: LedgerContext, transfer: str) -> list[tuple[int, SignedEntry]]:
    """Every entry about ``transfer``, in log order."""
    return find_entries(context=context, entry_type=None, transfer=transfer)


def find_entries(
    *,
    context: LedgerContext,
    entry_type: str | None,
    transfer: str | None = None,
    digest_name: str | None = None,
    digest_value: str | None = None,
) -> list[tuple[int, SignedEntry]]:
    """Entries of a type (and transfer), optionally whose ``digests[name]`` equals a value."""
    query = select(LeafRow.idx, LeafRow.leaf).order_by(LeafRow.idx)
    if entry_type is not None:
        query = query.where(LeafRow.entry_type == entry_type)
    if transfer is not None:
        query = query.where(LeafRow.transfer == transfer)
    with UnitOfWork(context.database.sessions) as uow:
        rows = uow.session.execute(query).all()
    found = [(idx, parse_signed_entry(leaf)) for idx, leaf in rows]
    if digest_name is not None:
        found = [
            (idx, entry)
            for idx, entry in found
            if entry.statement.digests.get(digest_name) == digest_value
        ]
    return found


def _committed_size(connection: Connection) -> int:
    return int(connection.execute(_SIZE_QUERY).scalar_one())


def prove_inclusion(*, context: LedgerContext, index: int, tree_size: int) -> list[bytes]:
    """Audit path of entry ``index`` in the tree of ``tree_size`` entries."""
    if not 0 <= index < tree_size:
        raise InvalidProofRequest(f"index {index} is not inside a tree of size {tree_size}")
    # A plain connection, not a unit of work: two indexed reads, nothing to commit.
    with context.database.engine.connect() as connection:
        size = _committed_size(connection)
        if tree_size > size:
            raise EntryNotFound(f"tree size {tree_size} is beyond the log's {size} entries")
        return inclusion_proof(SqlNodeReader(connection), index, tree_size)


def prove_consistency(*, context: LedgerContext, old: int, new: int) -> list[bytes]:
    """Consistency proof from tree size ``old`` to ``new`` (empty when ``old`` is 0)."""
    if not 0 <= old <= new:
        raise InvalidProofRequest(f"cannot prove consistency from size {old} to {new}")
    with context.database.engine.connect() as connection:
        size = _committed_size(connection)
        if new > size:
            raise EntryNotFound(f"tree size {new} is beyond the log's {size} entries")
        return consistency_proof(SqlNodeReader(connection), old, new)


def build_receipt(*, context: LedgerContext, index: int) -> str:
    """A C2SP tlog-proof for entry ``index`` against the latest *final* checkpoint.

    Raises :class:`NotYetFinal` (and wakes the collector) when the entry is stored but no
    checkpoint covering it has the witness quorum yet: the caller retries shortly.
    """
    with UnitOfWork(context.database.sessions) as uow:
        session = uow.session
        leaf = session.execute(
            select(LeafRow.leaf).where(LeafRow.idx == index)
        ).scalar_one_or_none()
        if leaf is None:
            raise EntryNotFound(f"no entry at index {index}")
        final = _latest_final(session)
        if final is None or index >= final[0]:
            context.announce()
            raise NotYetFinal(
                f"entry {index} awaits a checkpoint cosigned by {context.quorum} witnesses",
                detail={"final_size": 0 if final is None else final[0]},
            )
        size, note = final
        proof = inclusion_proof(SqlNodeReader(session), index, size)
    return format_receipt(leaf=leaf, index=index, proof=proof, checkpoint_note=note)


class LocalLedger:
    """The log used in-process by the node that hosts it (the datacenter)."""

    def __init__(self, context: LedgerContext) -> None:
        self._context = context

    def append(self, leaves: Sequence[bytes]) -> AppendResult:
        """Append a batch; returns once it is durable."""
        return append_entries(context=self._context, leaves=leaves)

    def checkpoint(self) -> str:
        """The latest signed checkpoint."""
        return latest_checkpoint(context=self._context)

    def entries_for_transfer(self, transfer: str) -> list[tuple[int, SignedEntry]]:
        """Every entry about ``transfer``, in log order."""
        return entries_for_transfer(context=self._context, transfer=transfer)

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """Audit path of ``index`` in the tree of ``tree_size`` entries."""
        return prove_inclusion(context=self._context, index=index, tree_size=tree_size)

    def receipt(self, index: int) -> str:
        """A C2SP tlog-proof receipt for entry ``index``."""
        return build_receipt(context=self._context, index=index)
