"""Merkle maths against RFC 6962/9162 vectors, plus properties over random trees."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.ledger.errors import InvalidProof
from corridor.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    NodeKey,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

_TLOG = Path(__file__).parents[2] / "assets" / "tlog"


@cache
def _vectors(name: str) -> Any:
    return json.loads((_TLOG / name).read_text(encoding="utf-8"))


def _tree_of(size: int) -> MemoryTree:
    tree = MemoryTree()
    for i in range(size):
        tree.append(f"leaf {i}".encode())
    return tree


@cache
def _xmod_tree() -> MemoryTree:
    return _tree_of(300)


def _xmod() -> Any:
    return _vectors("rfc6962_tree_leafN.golang-x-mod-tlog.json")


def _hex_list(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


class _CountingReader:
    def __init__(self, tree: MemoryTree) -> None:
        self.tree = tree
        self.reads = 0
        self.calls = 0

    def node_hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls += 1
        self.reads += len(keys)
        return self.tree.node_hashes(keys)


def test_hasher_matches_rfc6962_vectors() -> None:
    for vector in _vectors("rfc6962_hashes_8leaf.transparency-dev-merkle.json")["hasher_vectors"]:
        expected = bytes.fromhex(vector["expected_hex"])
        if vector["op"] == "empty_root":
            assert expected == EMPTY_ROOT
        elif vector["op"] == "leaf_hash":
            assert leaf_hash(bytes.fromhex(vector["input_hex"])) == expected
        else:
            left, right = bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"])
            assert node_hash(left, right) == expected


def test_eight_leaf_tree_reproduces_roots_and_proofs() -> None:
    data = _vectors("rfc6962_hashes_8leaf.transparency-dev-merkle.json")
    tree = MemoryTree()
    for leaf in data["leaves_hex"]:
        tree.append(bytes.fromhex(leaf))
    roots = _hex_list(data["roots_hex"])
    for size, root in enumerate(roots, start=1):
        assert tree.root(size) == root
    for case in data["inclusion"]:
        index, size = case["leaf_1based"] - 1, case["tree_size"]
        proof = tree.inclusion_proof(index, size)
        assert proof == _hex_list(case["proof_hex"])
        leaf = leaf_hash(bytes.fromhex(data["leaves_hex"][index]))
        verify_inclusion(index=index, size=size, leaf=leaf, proof=proof, root=roots[size - 1])
    for case in data["consistency"]:
        old, new = case["size1"], case["size2"]
        proof = tree.consistency_proof(old, new)
        assert proof == _hex_list(case["proof_hex"])
        verify_consistency(
            old_size=old,
            new_size=new,
            old_root=roots[old - 1],
            new_root=roots[new - 1],
            proof=proof,
        )


def test_roots_for_sizes_0_to_300_match_go_tlog() -> None:
    tree = _xmod_tree()
    for item in _xmod()["roots"]:
        assert tree.root(item["tree_size"]).hex() == item["root_hex"]


def test_every_inclusion_proof_up_to_size_32_equals_go_tlog_byte_for_byte() -> None:
    tree = _xmod_tree()
    for item in _xmod()["inclusion"]:
        index, size = item["leaf_index"], item["tree_size"]
        proof = tree.inclusion_proof(index, size)
        assert proof == _hex_list(item["proof_hex"]), (index, size)
        leaf = leaf_hash(f"leaf {index}".encode())
        verify_inclusion(index=index, size=size, leaf=leaf, proof=proof, root=tree.root(size))


def test_every_consistency_proof_up_to_size_32_equals_go_tlog_byte_for_byte() -> None:
    tree = _xmod_tree()
    for item in _xmod()["consistency"]:
        old, new = item["size1"], item["size2"]
        proof = tree.consistency_proof(old, new)
        assert proof == _hex_list(item["proof_hex"]), (old, new)
        verify_consistency(
            old_size=old,
            new_size=new,
            old_root=tree.root(old),
            new_root=tree.root(new),
            proof=proof,
        )


def test_inclusion_probes_succeed_exactly_when_transparency_dev_expects() -> None:
    vectors = _vectors("merkle_inclusion_probes.transparency-dev-merkle.json")["vectors"]
    assert len(vectors) == 98
    for vector in vectors:
        arguments = {
            "index": vector["leafIdx"],
            "size": vector["treeSize"],
            "leaf": bytes.fromhex(vector["leafHash_hex"]),
            "proof": _hex_list(vector["proof_hex"]),
            "root": bytes.fromhex(vector["root_hex"]),
        }
        if vector["wantErr"]:
            with pytest.raises(InvalidProof):
                verify_inclusion(**arguments)
        else:
            verify_inclusion(**arguments)


def test_consistency_probes_succeed_exactly_when_expected_under_our_strict_policy() -> None:
    vectors = _vectors("merkle_consistency_probes.transparency-dev-merkle.json")["vectors"]
    assert len(vectors) == 98
    deviations = []
    for vector in vectors:
        arguments = {
            "old_size": vector["size1"],
            "new_size": vector["size2"],
            "old_root": bytes.fromhex(vector["root1_hex"]),
            "new_root": bytes.fromhex(vector["root2_hex"]),
            "proof": _hex_list(vector["proof_hex"]),
        }
        if vector["wantErr"]:
            with pytest.raises(InvalidProof):
                verify_consistency(**arguments)
            continue
        try:
            verify_consistency(**arguments)
        except InvalidProof:
            deviations.append(vector)
    assert [d["desc"] for d in deviations] == ["sizes are equal (one) and proof is empty"]
    assert all(len(bytes.fromhex(d["root1_hex"])) != 32 for d in deviations)


def test_negative_consistency_table_fails_except_equal_empty_roots_of_proper_length() -> None:
    table = _vectors("rfc6962_hashes_8leaf.transparency-dev-merkle.json")["consistency_negative"]
    symbols = {name: bytes.fromhex(value) for name, value in table["symbols"].items()}
    for case in table["cases"]:
        proof = [symbols["E"]] if case["proof"] == "[E]" else []
        with pytest.raises(InvalidProof):
            # The "don't care" roots are 12 bytes, so even the cases the 2022 table
            # accepted are refused by the strict length check.
            verify_consistency(
                old_size=case["size1"],
                new_size=case["size2"],
                old_root=symbols[case["root1"]],
                new_root=symbols[case["root2"]],
                proof=proof,
            )


def test_consistency_from_empty_tree_needs_empty_proof_and_empty_root() -> None:
    tree = _tree_of(5)
    verify_consistency(old_size=0, new_size=5, old_root=EMPTY_ROOT, new_root=tree.root(), proof=[])
    with pytest.raises(InvalidProof, match="empty tree must be empty"):
        verify_consistency(
            old_size=0, new_size=5, old_root=EMPTY_ROOT, new_root=tree.root(), proof=[EMPTY_ROOT]
        )
    with pytest.raises(InvalidProof, match="SHA-256"):
        verify_consistency(
            old_size=0, new_size=5, old_root=tree.root(), new_root=tree.root(), proof=[]
        )


def test_rejects_proof_with_wrong_length_hash() -> None:
    tree = _tree_of(8)
    proof = tree.inclusion_proof(3)
    proof[1] = proof[1][:31]
    with pytest.raises(InvalidProof, match="31 bytes"):
        verify_inclusion(index=3, size=8, leaf=leaf_hash(b"leaf 3"), proof=proof, root=tree.root())


def test_rejects_inclusion_with_index_beyond_size() -> None:
    tree = _tree_of(4)
    with pytest.raises(InvalidProof, match="not inside"):
        verify_inclusion(index=4, size=4, leaf=leaf_hash(b"x"), proof=[], root=tree.root())


def test_proof_reads_logarithmically_many_nodes_in_one_batch() -> None:
    tree = _tree_of(1000)
    reader = _CountingReader(tree)
    inclusion_proof(reader, 517, 999)
    assert reader.calls == 1
    assert reader.reads <= 2 * 10
    reader.reads = 0
    consistency_proof(reader, 333, 999)
    assert reader.reads <= 2 * 10


def test_batched_appends_store_the_same_nodes_as_single_appends() -> None:
    single, batched = _tree_of(37), MemoryTree()
    hashes = [leaf_hash(f"leaf {i}".encode()) for i in range(37)]
    batched.append_hashes(hashes[:5])
    batched.append_hashes(hashes[5:6])
    batched.append_hashes(hashes[6:])
    assert batched.root() == single.root()
    assert batched._nodes == single._nodes


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_inclusion_proof_verifies_against_every_later_root(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=300))
    tree = _xmod_tree()
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    later = data.draw(st.integers(min_value=size, max_value=300))
    for tree_size in {index + 1, size, later}:
        verify_inclusion(
            index=index,
            size=tree_size,
            leaf=leaf_hash(f"leaf {index}".encode()),
            proof=tree.inclusion_proof(index, tree_size),
            root=tree.root(tree_size),
        )


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=300))
def test_consistency_holds_between_any_two_sizes(first: int, second: int) -> None:
    old, new = sorted((first, second))
    tree = _xmod_tree()
    proof = tree.consistency_proof(old, new)
    verify_consistency(
        old_size=old, new_size=new, old_root=tree.root(old), new_root=tree.root(new), proof=proof
    )
    if old not in (0, new):
        with pytest.raises(InvalidProof):
            verify_consistency(
                old_size=old,
                new_size=new,
                old_root=tree.root(old),
                new_root=tree.root(new - 1) if new - 1 != old else EMPTY_ROOT,
                proof=proof,
            )
