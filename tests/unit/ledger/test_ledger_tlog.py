"""The tlog-tiles prefix, checked by an independent client written here from the specs.

The client below uses nothing from Corridor: only hashlib, base64 and the Ed25519 of
``cryptography``, following c2sp.org/signed-note, tlog-checkpoint and tlog-tiles and
RFC 6962 §2.1. From ``checkpoint``, the hash tiles and the entry bundles alone it
verifies the checkpoint's signature, that every entry hashes into the level-0 tiles, that
every higher tile holds the hashes of the full tiles below, and that the entries' Merkle
tree hash is the signed root.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.ledger.evidence import SignedEntry
from corridor.ledger.service import LedgerContext, append_entries

PREFIX = "/api/ledger/tlog/"
MakeEntry = Callable[..., SignedEntry]


# -- the independent client ------------------------------------------------------------


def _open_checkpoint(note: str, vkey: str) -> tuple[str, int, bytes]:
    """signed-note §Format and tlog-checkpoint §Note text, for one Ed25519 key (type 0x01)."""
    name, key_hash, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 0x01
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        dash, signer, encoded = line.split(" ")
        raw = base64.b64decode(encoded)
        if dash == "\u2014" and signer == name and raw[:4].hex() == key_hash:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], text.encode())
            origin, size, root = text.splitlines()[:3]
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature by the log's key")


def _index_path(n: int) -> str:
    parts = [f"{n % 1000:03d}"]
    while n >= 1000:
        n //= 1000
        parts.insert(0, f"x{n % 1000:03d}")
    return "/".join(parts)


def _tile_path(kind: str, n: int, width: int) -> str:
    return f"tile/{kind}/{_index_path(n)}" + ("" if width == 256 else f".p/{width}")


def _mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over leaf hashes (split at the largest power of two below n)."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(hashes[:k]) + _mth(hashes[k:])).digest()


def _verify_whole_log(get: Callable[[str], bytes], vkey: str, origin: str) -> int:
    seen_origin, size, root = _open_checkpoint(get("checkpoint").decode(), vkey)
    assert seen_origin == origin
    leaf_hashes: list[bytes] = []
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        bundle = get(_tile_path("entries", n, width))
        entries, offset = [], 0
        while offset < len(bundle):
            length = int.from_bytes(bundle[offset : offset + 2], "big")
            entries.append(bundle[offset + 2 : offset + 2 + length])
            offset += 2 + length
        assert len(entries) == width
        hashes = [hashlib.sha256(b"\x00" + entry).digest() for entry in entries]
        tile = get(_tile_path("0", n, width))
        assert tile == b"".join(hashes)
        leaf_hashes += hashes
    level, below = 1, leaf_hashes
    while size >> (8 * level):
        count = size >> (8 * level)
        above: list[bytes] = []
        for n in range((count + 255) // 256):
            width = min(256, count - n * 256)
            tile = get(_tile_path(str(level), n, width))
            hashes = [tile[i : i + 32] for i in range(0, len(tile), 32)]
            assert len(hashes) == width
            for i, value in enumerate(hashes):
                start = (n * 256 + i) * 256
                assert value == _mth(below[start : start + 256])
            above += hashes
        level, below = level + 1, above
    assert _mth(leaf_hashes) == root
    return size


# -- the tests -------------------------------------------------------------------------


@pytest.fixture
def append(ledger_context: LedgerContext) -> Callable[[list[SignedEntry]], None]:
    # Appends go through the service: the append route is a signed call between parties,
    # while everything under the tlog-tiles prefix is a public read.
    def _append(entries: list[SignedEntry]) -> None:
        append_entries(context=ledger_context, leaves=[entry.leaf for entry in entries])

    return _append


def test_an_independent_client_verifies_the_whole_log_from_tiles_alone(
    http: httpx.Client, make_entry: MakeEntry, ledger_context: LedgerContext, append
):
    def get(path: str) -> bytes:
        response = http.get(PREFIX + path)
        assert response.status_code == 200, (path, response.text)
        return response.content

    for start in range(0, 600, 64):
        append([make_entry(i) for i in range(start, min(start + 64, 600))])
        if start in (0, 256, 512):
            _verify_whole_log(get, ledger_context.verifier_key, ledger_context.origin)
    assert _verify_whole_log(get, ledger_context.verifier_key, ledger_context.origin) == 600


def test_tiles_carry_the_specs_media_types_and_caching(http: httpx.Client, make_entry, append):
    append([make_entry(i) for i in range(3)])
    checkpoint = http.get(PREFIX + "checkpoint")
    assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
    assert "no-cache" in checkpoint.headers["cache-control"]
    tile = http.get(PREFIX + "tile/0/000.p/3")
    assert tile.headers["content-type"] == "application/octet-stream"
    assert "immutable" in tile.headers["cache-control"]
    assert len(tile.content) == 96
    assert http.get(PREFIX + "tile/entries/000.p/2").status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("tile/0/000.p/4", 404),  # beyond the 3 entries stored
        ("tile/0/000", 404),  # a full tile that does not exist yet
        ("tile/1/000.p/1", 404),
        ("tile/entries/001.p/1", 404),
        ("tile/0/0", 400),
        ("tile/64/000", 400),
        ("tile/0/000.p/256", 400),
        ("tile/abc/000", 400),
    ],
)
def test_tiles_that_are_not_stored_or_malformed_are_refused(
    http: httpx.Client, make_entry, append, path, status
):
    append([make_entry(i) for i in range(3)])
    assert http.get(PREFIX + path).status_code == status
