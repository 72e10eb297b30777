"""RFC 9162 Merkle tree maths: hashing, proofs from stored interior hashes, strict verifiers.

Pure. The tree is never rehashed from its leaves to answer a question: every node that
covers a complete, aligned block of ``2**level`` leaves is stored once, when its last leaf
is appended, under the key ``(level, index)`` (leaves [index * 2**level, (index + 1) *
2**level)). Any root or proof then needs O(log n) of those nodes, read in one batch
through a :class:`NodeReader`; the only hashing left is folding the right edge of trees
whose size is not a power of two.

Size-0 consistency policy (choice recorded here and in the tests): a proof from the empty
tree is accepted only when it is empty and the old root is ``SHA-256("")``, as C2SP
tlog-witness does for ``old 0`` (the empty tree is a prefix of every tree); this differs
from transparency-dev/merkle HEAD, which rejects every ``size1 == 0``. Equal sizes need an
empty proof and equal roots, and unlike transparency-dev every root and proof hash must be
exactly 32 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Protocol

from corridor.ledger.errors import InvalidProof

HASH_SIZE = 32
# RFC 9162 §2.1.1: MTH({}) = SHA-256() and domain separation bytes for leaves and nodes.
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# A proof for a tree of at most 2**64 leaves has at most 64 hashes (RFC 9162 §2.1.3.1).
_MAX_PROOF_HASHES = 64


NodeKey = tuple[int, int]
"""A stored node ``(level, index)``: the hash of leaves [index << level, (index + 1) << level)."""


class NodeReader(Protocol):
    """Read access to stored node hashes (level 0 are the leaf hashes)."""

    def node_hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Return the hash of every requested node; all of them must exist."""
        ...


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (RFC 9162 §2.1.1 ``k``)."""
    return 1 << ((size - 1).bit_length() - 1)


def _range_nodes(start: int, end: int) -> list[NodeKey]:
    """Cover leaves [start, end) with maximal complete aligned subtrees, left to right."""
    keys: list[NodeKey] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length()
        while (1 << level) > end - start:
            level -= 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def _fold_range(keys: Sequence[NodeKey], hashes: Mapping[NodeKey, bytes]) -> bytes:
    # MTH of a range that starts on a boundary of its own size is its complete subtrees
    # joined right to left (RFC 9162 §2.1.1 splits at the largest power of two each time).
    result = hashes[keys[-1]]
    for key in reversed(keys[:-1]):
        result = node_hash(hashes[key], result)
    return result


def _hash_ranges(reader: NodeReader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH of each range, reading every node needed in one batch."""
    covers = [_range_nodes(start, end) for start, end in ranges]
    wanted = {key for cover in covers for key in cover}
    hashes = reader.node_hashes(wanted) if wanted else {}
    return [_fold_range(cover, hashes) for cover in covers]


def root_hash(reader: NodeReader, size: int) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size < 0:
        raise ValueError("tree size cannot be negative")
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges(reader, [(0, size)])[0]


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    # RFC 9162 §2.1.3.1 PATH(m, D[n]), unrolled; collected top-down, returned leaf-first.
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of ``size`` leaves, leaf sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not inside a tree of size {size}")
    return _hash_ranges(reader, _inclusion_ranges(index, size))


def _consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    # RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b), unrolled; returned bottom-up.
    ranges: list[tuple[int, int]] = []
    start, end, m, complete = 0, new, old, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def consistency_proof(reader: NodeReader, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[new]) of RFC 9162 §2.1.4.1; empty when ``old`` is 0 or equals ``new``."""
    if not 0 <= old <= new:
        raise ValueError(f"cannot prove consistency from size {old} to size {new}")
    if old in (0, new):
        return []
    return _hash_ranges(reader, _consistency_ranges(old, new))


def frontier(size: int) -> list[NodeKey]:
    """The complete subtrees whose hashes the next append needs (the "compact range")."""
    return _range_nodes(0, size)


def nodes_completed_by(
    size: int, new_leaf_hashes: Iterable[bytes], frontier_hashes: Mapping[NodeKey, bytes]
) -> dict[NodeKey, bytes]:
    """Every node that appending ``new_leaf_hashes`` to a tree of ``size`` leaves completes.

    ``frontier_hashes`` must hold the nodes named by :func:`frontier(size) <frontier>`.
    The result includes the new leaves themselves at level 0.
    """
    stack = [frontier_hashes[key] for key in frontier(size)]
    created: dict[NodeKey, bytes] = {}
    index = size
    for value in new_leaf_hashes:
        created[0, index] = value
        current, level, position = value, 0, index
        # A node is complete when its index at that level is odd: join it with its left
        # sibling, which is the top of the stack (the binary-counter view of the frontier).
        while position & 1:
            current = node_hash(stack.pop(), current)
            level += 1
            position >>= 1
            created[level, position] = current
        stack.append(current)
        index += 1
    return created


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _skip_right_edge(fn: int, sn: int) -> tuple[int, int]:
    # RFC 9162 §2.1.3.2 step 3.b / §2.1.4.2 step 6.b: "if LSB(fn) is not set, right-shift
    # both fn and sn equally until either LSB(fn) is set or fn is 0".
    while fn & 1 == 0 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion_proof(
    *, index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root an inclusion proof commits to (RFC 9162 §2.1.3.2), strictly."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is not inside a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    if len(proof) > _MAX_PROOF_HASHES:
        raise InvalidProof("inclusion proof is longer than any tree allows")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise InvalidProof("inclusion proof has more hashes than the tree has levels")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _skip_right_edge(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("inclusion proof has fewer hashes than the tree has levels")
    return r


def verify_inclusion(
    *, index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`InvalidProof` unless ``proof`` puts ``leaf`` at ``index`` under ``root``."""
    _check_hash(root, "root")
    if root_from_inclusion_proof(index=index, size=size, leaf=leaf, proof=proof) != root:
        raise InvalidProof("inclusion proof does not lead to the expected root")


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`InvalidProof` unless ``proof`` shows the old tree is a prefix of the new.

    RFC 9162 §2.1.4.2, with the size-0 and equal-size policy of the module docstring.
    """
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    if not 0 <= old_size <= new_size:
        raise InvalidProof(f"old size {old_size} is not between 0 and new size {new_size}")
    if len(proof) > _MAX_PROOF_HASHES:
        raise InvalidProof("consistency proof is longer than any tree allows")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    if old_size == 0:
        if proof:
            raise InvalidProof("a proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise InvalidProof("the root of the empty tree must be SHA-256('')")
        return
    if old_size == new_size:
        if proof:
            raise InvalidProof("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise InvalidProof("trees of equal size have different roots")
        return
    _verify_consistency_path(old_size, new_size, old_root, new_root, proof)


def _verify_consistency_path(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    # RFC 9162 §2.1.4.2, steps 1 to 6, for 0 < old_size < new_size.
    if not proof:
        raise InvalidProof("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency proof has more hashes than the tree has levels")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _skip_right_edge(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof("consistency proof has fewer hashes than the tree has levels")
    if fr != old_root:
        raise InvalidProof("consistency proof does not lead to the old root")
    if sr != new_root:
        raise InvalidProof("consistency proof does not lead to the new root")


class MemoryTree:
    """A whole tree in a dict; for tests and offline tools, never for the served log."""

    def __init__(self) -> None:
        self._nodes: dict[NodeKey, bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, data: bytes) -> int:
        """Append one leaf's data; return its index."""
        return self.append_hashes([leaf_hash(data)])

    def append_hashes(self, hashes: Sequence[bytes]) -> int:
        """Append leaves given by their leaf hashes; return the index of the first one."""
        first = self._size
        known = self.node_hashes(frontier(self._size))
        self._nodes.update(nodes_completed_by(self._size, hashes, known))
        self._size += len(hashes)
        return first

    def node_hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Look nodes up; a missing node is a programming error."""
        return {key: self._nodes[key] for key in keys}

    def root(self, size: int | None = None) -> bytes:
        """Root of the first ``size`` leaves (default: all)."""
        return root_hash(self, self._size if size is None else self._checked(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path of leaf ``index`` in the tree of ``size`` leaves (default: all)."""
        return inclusion_proof(self, index, self._size if size is None else self._checked(size))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """Consistency proof from size ``old`` to ``new`` (default: all)."""
        return consistency_proof(self, old, self._size if new is None else self._checked(new))

    def _checked(self, size: int) -> int:
        if not 0 <= size <= self._size:
            raise ValueError(f"tree size {size} is beyond the {self._size} leaves appended")
        return size
