"""C2SP tlog-tiles paths, contents and bundles against the shared vectors; proofs from tiles."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from corridor.ledger.errors import InvalidProofRequest
from corridor.ledger.merkle import MemoryTree, consistency_proof, inclusion_proof, root_hash
from corridor.ledger.tiles import (
    TileNodeReader,
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    parse_tile_path,
    tile_for,
    tiles_for_size,
)

_TLOG = Path(__file__).parents[2] / "assets" / "tlog"


def _vectors(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_TLOG / name).read_text(encoding="utf-8"))
    return data


def _size(value: int | str) -> int:
    return 2**64 - 1 if value == "2^64-1" else int(value)


def _leaf_tree(size: int) -> MemoryTree:
    tree = MemoryTree()
    tree.append_hashes(
        [hashlib.sha256(b"\x00" + f"leaf {i}".encode()).digest() for i in range(size)]
    )
    return tree


def _tile_bytes(tree: MemoryTree, ref: TileRef) -> bytes:
    level, first, count = ref.node_range()
    keys = [(level, first + i) for i in range(count)]
    hashes = tree.node_hashes(keys)
    return b"".join(hashes[key] for key in keys)


@pytest.mark.parametrize(
    "case", _vectors("tile_paths.json")["c2sp_index_encoding"], ids=lambda c: str(c["index"])
)
def test_encodes_indexes_in_three_digit_elements(case):
    assert encode_index(case["index"]) == case["encoded"]


@pytest.mark.parametrize(
    "case",
    [c for c in _vectors("tile_paths.json")["tessera_tile_path"] if "quirk" not in c],
    ids=lambda c: c["path"],
)
def test_tile_paths_match_tessera(case):
    assert tile_for(case["level"], case["index"], _size(case["log_size"])).path == case["path"]


@pytest.mark.parametrize(
    "case", _vectors("tile_paths.json")["tessera_entries_path"], ids=lambda c: c["path"]
)
def test_entry_bundle_paths_match_tessera(case):
    tile = tile_for(0, case["seq"] // 256, case["log_size"])
    assert TileRef(None, tile.index, tile.width).path == case["path"]


@pytest.mark.parametrize(
    "case",
    _vectors("tile_paths.json")["tessera_parse"],
    ids=lambda c: f"{c['level']}/{c['index']}",
)
def test_parses_tile_paths_strictly(case):
    path = f"tile/{case['level']}/{case['index']}"
    if case["ok"]:
        ref = parse_tile_path(path)
        assert [ref.level, ref.index, ref.width] == case["want"]
        assert parse_tile_path(ref.path) == ref
    else:
        with pytest.raises(InvalidProofRequest):
            parse_tile_path(path)


def test_parses_entry_bundle_paths():
    assert parse_tile_path("tile/entries/x001/002.p/7") == TileRef(None, 1002, 7)
    with pytest.raises(InvalidProofRequest):
        parse_tile_path("tile/entries/001.p/0")


def test_a_tree_of_70000_entries_serves_the_tiles_of_the_spec_example():
    paths = [ref.path for ref in tiles_for_size(70_000)]
    level_0 = [p for p in paths if p.startswith("tile/0/")]
    assert len(level_0) == 274
    assert level_0[-1] == "tile/0/273.p/112"
    assert [p for p in paths if not p.startswith("tile/0/")] == [
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]
    assert [ref.path for ref in tiles_for_size(256)] == ["tile/0/000", "tile/1/000.p/1"]
    assert tiles_for_size(0) == []


@pytest.mark.parametrize(
    "case",
    _vectors("rfc6962_tree_leafN.golang-x-mod-tlog.json")["tiles_h8"],
    ids=lambda c: f"{c['tree_size']}:{c['c2sp_path']}",
)
def test_tile_contents_equal_x_mod_tlog(case):
    tree = _leaf_tree(case["tree_size"])
    ref = tile_for(case["level"], case["index"], case["tree_size"])
    assert ref.path == case["c2sp_path"]
    assert ref.width == case["width"]
    data = _tile_bytes(tree, ref)
    assert len(data) == case["content_len"]
    assert hashlib.sha256(data).hexdigest() == case["content_sha256"]
    assert data[:32].hex() == case["first_hash_hex"]
    assert data[-32:].hex() == case["last_hash_hex"]


def test_bundles_length_prefix_each_entry_and_refuse_truncation():
    entries = [b"", b"a", b"x" * 300, b"\x00" * 0xFFFF]
    data = encode_bundle(entries)
    assert data[:4] == b"\x00\x00\x00\x01"
    assert decode_bundle(data) == entries
    with pytest.raises(ValueError, match="inside an entry"):
        decode_bundle(data[:-1])
    with pytest.raises(ValueError, match="length prefix"):
        decode_bundle(b"\x00")
    with pytest.raises(ValueError, match="does not fit"):
        encode_bundle([b"x" * 0x10000])


def test_roots_and_proofs_computed_from_tiles_equal_the_stored_trees():
    size = 1000
    tree = _leaf_tree(size)
    fetched: list[str] = []

    def fetch(path: str) -> bytes:
        fetched.append(path)
        return _tile_bytes(tree, parse_tile_path(path))

    rng = random.Random(7)  # noqa: S311  # reproducible choices, not secrets
    for tree_size in (1, 255, 256, 257, 700, size):
        reader = TileNodeReader(fetch, tree_size)
        assert root_hash(reader, tree_size) == tree.root(tree_size)
        for _ in range(5):
            index = rng.randrange(tree_size)
            assert inclusion_proof(reader, index, tree_size) == tree.inclusion_proof(
                index, tree_size
            )
            old = rng.randrange(tree_size + 1)
            assert consistency_proof(reader, old, tree_size) == tree.consistency_proof(
                old, tree_size
            )
    # Only tiles a tree of that size serves were asked for (never an unknown width).
    assert all(parse_tile_path(path).width >= 1 for path in fetched)
