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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from corridor.clock import Clock
from corridor.crypto.errors import SignatureInvalid
from corridor.crypto.keys import SigningKeyPair
from corridor.identity.errors import MalformedDid, UnknownDid
from corridor.identity.resolver import DidResolver
from corridor.ledger.errors import (
    EntryNotFound,
    EntrySignatureInvalid,
    InvalidBatch,
    InvalidEntry,
    InvalidProofRequest,
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
    NodeKey,
    consistency_proof,
    frontier,
    inclusion_proof,
    leaf_hash,
    nodes_completed_by,
    root_hash,
)
from corridor.ledger.note import Checkpoint, Ed25519NoteSigner, format_note
from corridor.ledger.receipt import TrustPolicy, format_receipt
from corridor.ledger.tables import CheckpointRow, LeafRow, LogStateRow, NodeRow
from corridor.storage.database import Database
from corridor.storage.errors import StorageError
from corridor.storage.unit_of_work import UnitOfWork

_STATE_ID = 1
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


class SqlNodeReader:
    """Reads stored nodes inside a session: level 0 from the leaves, the rest from nodes."""

    def __init__(self, session: Session, overlay: Mapping[NodeKey, bytes] | None = None) -> None:
        self._session = session
        self._overlay = overlay or {}

    def node_hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Fetch the requested nodes in at most two queries."""
        found = {key: self._overlay[key] for key in keys if key in self._overlay}
        leaves = [index for level, index in keys if level == 0 and (level, index) not in found]
        inner = [key for key in keys if key[0] > 0 and key not in found]
        if leaves:
            rows = self._session.execute(
                select(LeafRow.idx, LeafRow.leaf_hash).where(LeafRow.idx.in_(leaves))
            )
            found.update({(0, idx): value for idx, value in rows})
        if inner:
            # Levels x indexes is a superset of the wanted pairs, filtered below: one
            # statement of fixed shape (cached by SQLAlchemy), served from the primary
            # key on both databases; SQLite would scan for a row-value IN over the pair.
            wanted = set(inner)
            nodes = self._session.execute(
                select(NodeRow.level, NodeRow.idx, NodeRow.hash).where(
                    NodeRow.level.in_({level for level, _ in inner}),
                    NodeRow.idx.in_({idx for _, idx in inner}),
                )
            )
            found.update(
                {(level, idx): value for level, idx, value in nodes if (level, idx) in wanted}
            )
        if len(found) != len(set(keys)):
            missing = sorted(set(keys) - set(found))[:4]
            raise StorageError(f"the log's stored tree lacks nodes {missing}")
        return found


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
        if actor not in keys:
            try:
                keys[actor] = context.resolver.resolve(actor).signing
            except UnknownDid as exc:
                raise UnknownActor(
                    f"cannot resolve actor {actor}", detail={"entry": position}
                ) from exc
            except MalformedDid as exc:
                raise InvalidEntry(exc.message, detail={"entry": position}) from exc
        try:
            verify_signed_entry(entry, keys[actor])
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


def _latest_note(context: LedgerContext, session: Session) -> str:
    note = session.execute(
        select(CheckpointRow.note).order_by(CheckpointRow.size.desc()).limit(1)
    ).scalar_one_or_none()
    if note is not None:
        return note
    # Nothing appended yet: the size-0 checkpoint is deterministic, so sign it on demand.
    body = Checkpoint(context.origin, 0, EMPTY_ROOT).body()
    return format_note(body, [context.signer.sign(body)])


def append_entries(*, context: LedgerContext, leaves: Sequence[bytes]) -> AppendResult:
    """Verify, store and checkpoint a batch of signed evidence leaves; all or nothing.

    Entries already in the log (same leaf bytes) keep their index and are not stored
    again. The answer comes only after the transaction has committed.
    """
    entries = _verified_entries(context, leaves)
    digests = [entry_digest(leaf) for leaf in leaves]
    hashes = [leaf_hash(leaf) for leaf in leaves]
    with _append_lock(context.database), UnitOfWork(context.database.sessions) as uow:
        session = uow.session
        size = _lock_and_read_size(session)
        indexes: dict[str, int] = dict(
            session.execute(
                select(LeafRow.digest, LeafRow.idx).where(LeafRow.digest.in_(set(digests)))
            ).all()
        )
        rows: list[dict[str, object]] = []
        new_hashes: list[bytes] = []
        for entry, digest, value in zip(entries, digests, hashes, strict=True):
            if digest in indexes:
                continue
            indexes[digest] = size + len(rows)
            new_hashes.append(value)
            rows.append(
                {
                    "idx": indexes[digest],
                    "leaf": entry.leaf,
                    "leaf_hash": value,
                    "digest": digest,
                    "transfer": entry.statement.transfer,
                    "entry_type": entry.statement.type,
                    "actor": entry.statement.actor,
                }
            )
        if rows:
            note = _store_batch(context, session, size, rows, new_hashes)
        else:
            note = _latest_note(context, session)
        uow.commit()
    return AppendResult(
        entries=[
            AppendedEntry(index=indexes[digest], leaf_hash=value.hex(), digest=digest)
            for digest, value in zip(digests, hashes, strict=True)
        ],
        checkpoint=note,
    )


def _store_batch(
    context: LedgerContext,
    session: Session,
    size: int,
    rows: list[dict[str, object]],
    new_hashes: list[bytes],
) -> str:
    reader = SqlNodeReader(session)
    completed = nodes_completed_by(size, new_hashes, reader.node_hashes(frontier(size)))
    new_size = size + len(rows)
    root = root_hash(SqlNodeReader(session, overlay=completed), new_size)
    session.execute(insert(LeafRow), rows)
    inner = [
        {"level": level, "idx": idx, "hash": value}
        for (level, idx), value in completed.items()
        if level > 0
    ]
    if inner:
        session.execute(insert(NodeRow), inner)
    body = Checkpoint(context.origin, new_size, root).body()
    note = format_note(body, [context.signer.sign(body)])
    session.add(
        CheckpointRow(size=new_size, root_hash=root, note=note, created_at=context.clock.now())
    )
    session.execute(update(LogStateRow).where(LogStateRow.id == _STATE_ID).values(size=new_size))
    return note


def trust_policy(*, context: LedgerContext) -> TrustPolicy:
    """What verifiers of this log should pin: its origin and key (no witnesses yet)."""
    return TrustPolicy(origin=context.origin, log_key=context.verifier_key)


def latest_checkpoint(*, context: LedgerContext) -> str:
    """The newest signed checkpoint (a size-0 one before the first append)."""
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


def prove_inclusion(*, context: LedgerContext, index: int, tree_size: int) -> list[bytes]:
    """Audit path of entry ``index`` in the tree of ``tree_size`` entries."""
    if not 0 <= index < tree_size:
        raise InvalidProofRequest(f"index {index} is not inside a tree of size {tree_size}")
    with UnitOfWork(context.database.sessions) as uow:
        size = _read_size(uow.session)
        if tree_size > size:
            raise EntryNotFound(f"tree size {tree_size} is beyond the log's {size} entries")
        return inclusion_proof(SqlNodeReader(uow.session), index, tree_size)


def prove_consistency(*, context: LedgerContext, old: int, new: int) -> list[bytes]:
    """Consistency proof from tree size ``old`` to ``new`` (empty when ``old`` is 0)."""
    if not 0 <= old <= new:
        raise InvalidProofRequest(f"cannot prove consistency from size {old} to {new}")
    with UnitOfWork(context.database.sessions) as uow:
        size = _read_size(uow.session)
        if new > size:
            raise EntryNotFound(f"tree size {new} is beyond the log's {size} entries")
        return consistency_proof(SqlNodeReader(uow.session), old, new)


def build_receipt(*, context: LedgerContext, index: int) -> str:
    """A C2SP tlog-proof for entry ``index`` against the latest checkpoint."""
    with UnitOfWork(context.database.sessions) as uow:
        session = uow.session
        row = session.execute(
            select(CheckpointRow.size, CheckpointRow.note)
            .order_by(CheckpointRow.size.desc())
            .limit(1)
        ).one_or_none()
        leaf = session.execute(
            select(LeafRow.leaf).where(LeafRow.idx == index)
        ).scalar_one_or_none()
        if row is None or leaf is None or index >= row.size:
            raise EntryNotFound(f"no checkpointed entry at index {index}")
        proof = inclusion_proof(SqlNodeReader(session), index, row.size)
    return format_receipt(leaf=leaf, index=index, proof=proof, checkpoint_note=row.note)


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
