"""Corridor's log against pymerkle's SqliteTree, in one run on one machine.

    .venv/bin/python benchmarks/ledger.py [--sizes 10000,100000,1000000] [--batch 1000]

For each size N both logs are built in SQLite files with batched, durable appends (one
transaction per batch), then timed on: appends per second (Corridor: raw leaves, i.e.
leaf rows and the interior nodes they complete; and signed evidence that is parsed, its
JCS form and Ed25519 signature verified, stored and checkpointed, appended on top of the
N-leaf tree; pymerkle: ``append_entries`` per batch), inclusion and consistency proof
generation per second at tree size N (random indexes, the same for both), and proof
verification per second. Every measurement is one JSON line; the last line holds the
ratios Corridor/pymerkle and the growth of Corridor's inclusion-proof time from a
1,000-entry tree to the largest one. Proof counts are bounded by time as well, since a
pymerkle proof on a large tree can take seconds. Not part of the test suite: the 1M run
takes minutes. Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymerkle import SqliteTree
from pymerkle import verify_inclusion as pymerkle_verify_inclusion
from sqlalchemy import update

from corridor.clock import FixedClock
from corridor.crypto.keys import SigningKeyPair
from corridor.identity import DidKeys, StaticDidResolver
from corridor.ledger.evidence import EvidenceStatement, sign_statement
from corridor.ledger.merkle import leaf_hash, verify_inclusion
from corridor.ledger.service import (
    LedgerContext,
    append_entries,
    prove_consistency,
    prove_inclusion,
    tree_size,
)
from corridor.ledger.tables import LogStateRow
from corridor.ledger.tree import LeafInput, append_to_tree
from corridor.storage import create_database, upgrade_database
from corridor.storage.unit_of_work import UnitOfWork
from corridor.types import Did

ACTOR = "did:web:hospital-a.bench"
KID = f"{ACTOR}#key-1"
ENTRY_BYTES = 300  # about the size of a Corridor evidence leaf
GROWTH_BASE = 1_000


@dataclass
class Timing:
    """Wall-clock and CPU seconds of one measurement.

    Rates and ratios use wall-clock time (a durable append includes waiting for the
    disk). CPU time of this process is printed beside it because on a shared machine it
    is far less disturbed by other processes than wall-clock time is.
    """

    count: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    def fields(self) -> dict[str, float]:
        return {
            "per_second": self.count / self.wall,
            "cpu_per_second": self.count / self.cpu if self.cpu else float("inf"),
            "count": self.count,
        }


@contextmanager
def stopwatch(count: int = 0) -> Iterator[Timing]:
    timing = Timing(count)
    wall, cpu = time.perf_counter(), time.process_time()
    yield timing
    timing.wall = time.perf_counter() - wall
    timing.cpu = time.process_time() - cpu


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def timed(operation: Callable[[int], object], count: int, budget_seconds: float) -> Timing:
    """Run ``operation(i)`` up to ``count`` times or until the budget is spent."""
    start = time.perf_counter()
    with stopwatch() as timing:
        while timing.count < count:
            operation(timing.count)
            timing.count += 1
            if time.perf_counter() - start > budget_seconds:
                break
    return timing


def raw_leaves(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(ENTRY_BYTES - 8) + i.to_bytes(8, "big") for i in range(count)]


def corridor_context(folder: Path, key: SigningKeyPair, batch: int) -> LedgerContext:
    database = create_database(f"sqlite:///{folder / 'corridor.db'}")
    upgrade_database(database)
    resolver = StaticDidResolver(
        {ACTOR: DidKeys(did=Did(ACTOR), signing=key.public, agreement=None, signing_kid=KID)}
    )
    return LedgerContext(
        database=database,
        resolver=resolver,
        log_key=SigningKeyPair.generate(),
        origin="bench.corridor.example/log",
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)),
        batch_size=batch,
    )


def corridor_raw_append(context: LedgerContext, leaves: list[bytes], batch: int) -> Timing:
    """Append raw leaves (no evidence rules, no signatures), one transaction per batch."""
    size = tree_size(context=context)
    with stopwatch(len(leaves)) as timing:
        _raw_append(context, leaves, batch, size)
    return timing


def _raw_append(context: LedgerContext, leaves: list[bytes], batch: int, size: int) -> None:
    for first in range(0, len(leaves), batch):
        chunk = leaves[first : first + batch]
        rows = [
            LeafInput(size + i, data, leaf_hash(data), "", "raw", "")
            for i, data in enumerate(chunk)
        ]
        with UnitOfWork(context.database.sessions) as uow:
            append_to_tree(uow.session, size=size, leaves=rows)
            size += len(chunk)
            uow.session.execute(update(LogStateRow).values(size=size))
            uow.commit()


def signed_entries(key: SigningKeyPair, count: int, salt: int) -> list[bytes]:
    leaves = []
    for i in range(count):
        digest = hashlib.sha256(f"{salt}:{i}".encode()).hexdigest()
        statement = EvidenceStatement(
            type="record.uploaded",
            transfer="transfer-bench-0001",
            actor=ACTOR,
            time="2026-01-01T00:00:00Z",
            jurisdiction="CN",
            digests={"record": f"sha256:{digest}"},
        )
        leaves.append(sign_statement(statement, key, kid=KID).leaf)
    return leaves


def pymerkle_append(tree: SqliteTree, leaves: list[bytes], batch: int) -> Timing:
    with stopwatch(len(leaves)) as timing:
        for first in range(0, len(leaves), batch):
            tree.append_entries(leaves[first : first + batch])
    return timing


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="corridor-bench-") as folder:
        yield Path(folder)


def measure_size(size: int, args: argparse.Namespace, key: SigningKeyPair) -> dict[str, float]:
    """Build both logs to ``size`` and time everything; returns rates and seconds per proof."""
    rng = random.Random(size)
    leaves = raw_leaves(size, seed=size)
    found: dict[str, float] = {}
    with workdir() as folder:
        context = corridor_context(folder, key, args.batch)
        timing = corridor_raw_append(context, leaves, args.batch)
        found["corridor_raw"] = timing.count / timing.wall
        emit(impl="corridor", op="append_raw", size=size, batch=args.batch, **timing.fields())

        pymerkle_tree = SqliteTree(str(folder / "pymerkle.db"))
        timing = pymerkle_append(pymerkle_tree, leaves, args.batch)
        found["pymerkle_raw"] = timing.count / timing.wall
        emit(impl="pymerkle", op="append_batched", size=size, batch=args.batch, **timing.fields())

        indexes = [rng.randrange(size) for _ in range(args.proofs)]
        olds = [rng.randrange(1, size) for _ in range(args.proofs)]
        operations: list[tuple[str, str, Callable[[int], object]]] = [
            (
                "corridor",
                "inclusion_proof",
                lambda i: prove_inclusion(context=context, index=indexes[i], tree_size=size),
            ),
            (
                "pymerkle",
                "inclusion_proof",
                lambda i: pymerkle_tree.prove_inclusion(indexes[i] + 1, size),
            ),
            (
                "corridor",
                "consistency_proof",
                lambda i: prove_consistency(context=context, old=olds[i], new=size),
            ),
            (
                "pymerkle",
                "consistency_proof",
                lambda i: pymerkle_tree.prove_consistency(olds[i], size),
            ),
        ]
        for impl, op, operation in operations:
            timing = timed(operation, args.proofs, args.budget)
            found[f"{impl}_{op}"] = timing.wall / timing.count
            emit(impl=impl, op=op, size=size, **timing.fields())

        measure_verification(context, pymerkle_tree, leaves, indexes[: args.verifications], size)

        signed = signed_entries(key, args.signed, salt=size)
        with stopwatch(len(signed)) as timing:
            for first in range(0, len(signed), args.batch):
                append_entries(context=context, leaves=signed[first : first + args.batch])
        found["corridor_signed"] = timing.count / timing.wall
        emit(impl="corridor", op="append_signed", size=size, batch=args.batch, **timing.fields())
        pymerkle_tree.close()
        context.database.dispose()
    return found


def measure_verification(
    context: LedgerContext,
    pymerkle_tree: SqliteTree,
    leaves: list[bytes],
    indexes: list[int],
    size: int,
) -> None:
    root = pymerkle_tree.get_root(size)
    ours = [
        (i, leaf_hash(leaves[i]), prove_inclusion(context=context, index=i, tree_size=size))
        for i in indexes
    ]
    with stopwatch(len(ours)) as timing:
        for index, value, proof in ours:
            verify_inclusion(index=index, size=size, leaf=value, proof=proof, root=root)
    emit(impl="corridor", op="verify_inclusion", size=size, **timing.fields())
    theirs = [
        (pymerkle_tree.get_leaf(i + 1), pymerkle_tree.prove_inclusion(i + 1, size)) for i in indexes
    ]
    with stopwatch(len(theirs)) as timing:
        for base, proof in theirs:
            pymerkle_verify_inclusion(base, root, proof)
    emit(impl="pymerkle", op="verify_inclusion", size=size, **timing.fields())


def growth_base(args: argparse.Namespace, key: SigningKeyPair) -> float:
    """Seconds per Corridor inclusion proof on a 1,000-entry tree."""
    rng = random.Random(GROWTH_BASE)
    with workdir() as folder:
        context = corridor_context(folder, key, args.batch)
        corridor_raw_append(context, raw_leaves(GROWTH_BASE, seed=1), args.batch)
        indexes = [rng.randrange(GROWTH_BASE) for _ in range(args.proofs)]
        timing = timed(
            lambda i: prove_inclusion(context=context, index=indexes[i], tree_size=GROWTH_BASE),
            args.proofs,
            args.budget,
        )
        context.database.dispose()
    emit(impl="corridor", op="inclusion_proof", size=GROWTH_BASE, **timing.fields())
    return timing.wall / timing.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=1000, help="entries per append transaction")
    parser.add_argument("--proofs", type=int, default=300, help="proofs timed per size")
    parser.add_argument("--verifications", type=int, default=300)
    parser.add_argument("--signed", type=int, default=10_000, help="signed entries per size")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per proof measurement")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    key = SigningKeyPair.generate()
    emit(
        meta="environment",
        python=sys.version.split()[0],
        cpus=os.cpu_count(),
        batch=args.batch,
        sizes=sizes,
    )
    base = growth_base(args, key)
    results = {size: measure_size(size, args, key) for size in sizes}
    largest = results[sizes[-1]]
    at_1m = results.get(1_000_000)
    print(
        json.dumps(
            {
                "append_ratio": largest["corridor_raw"] / largest["pymerkle_raw"],
                "inclusion_ratio_1m": None
                if at_1m is None
                else at_1m["pymerkle_inclusion_proof"] / at_1m["corridor_inclusion_proof"],
                "proof_growth_1k_to_1m": None
                if at_1m is None
                else at_1m["corridor_inclusion_proof"] / base,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
