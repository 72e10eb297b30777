"""C2SP tlog-tiles: tile and entry-bundle paths, bundle encoding, proofs computed from tiles.

Pure. Spec: c2sp.org/tlog-tiles. Tile ``<L>/<N>`` holds the 256 Merkle tree hashes
``MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L])``; in the stored tree's terms
(:mod:`corridor.ledger.merkle` keys nodes by ``(level, index)`` with level counted in
binary steps) those are the nodes ``(8*L, N*256 + i)``, so a tile is one range read. A
partial tile of width ``W`` holds the first ``W`` of them. An entry bundle is the entries
of level-0 tile ``N``, each prefixed with its length as a big-endian uint16.

:class:`TileNodeReader` turns fetched tiles back into node hashes, so every root and
proof of :mod:`corridor.ledger.merkle` can be computed by a client holding only tiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from corridor.ledger.errors import EntryNotFound, InvalidProofRequest
from corridor.ledger.merkle import HASH_SIZE, NodeKey, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63  # tlog-tiles §Merkle Tree: "<L> ... between 0 and 63"
# Entry bundles prefix each entry with a big-endian uint16 length (tlog-tiles §Log entries).
MAX_BUNDLED_ENTRY_BYTES = 0xFFFF
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"[0-9]{3}")


@dataclass(frozen=True)
class TileRef:
    """One tlog-tiles resource: a hash tile (``level`` 0-63) or an entry bundle (``None``)."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        """True for an entry bundle."""
        return self.level is None

    @property
    def path(self) -> str:
        """The resource path under the log's prefix."""
        head = "tile/entries" if self.level is None else f"tile/{self.level}"
        suffix = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"{head}/{encode_index(self.index)}{suffix}"

    def node_range(self) -> tuple[int, int, int]:
        """``(binary level, first node index, count)`` of the stored nodes this tile holds."""
        level = 0 if self.level is None else self.level * TILE_HEIGHT
        return level, self.index * TILE_WIDTH, self.width

    def leaves_needed(self) -> int:
        """The smallest tree size that contains every hash (or entry) of this resource."""
        level = 0 if self.level is None else self.level
        return (self.index * TILE_WIDTH + self.width) << (TILE_HEIGHT * level)


def encode_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067`` (zero-padded 3-digit elements, all but the last with x)."""
    if index < 0:
        raise ValueError("tile index cannot be negative")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _parse_index(text: str) -> int:
    elements = text.split("/")
    value = 0
    for position, element in enumerate(elements):
        last = position == len(elements) - 1
        digits = element if last else element.removeprefix("x")
        if (not last and not element.startswith("x")) or not _ELEMENT.fullmatch(digits):
            raise InvalidProofRequest(f"tile index {text!r} is not x-prefixed 3-digit elements")
        value = value * 1000 + int(digits)
    return value


def parse_tile_path(path: str) -> TileRef:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` strictly."""
    head, _, rest = path.partition("/")
    level_text, _, index_text = rest.partition("/")
    if head != "tile" or not index_text:
        raise InvalidProofRequest(f"{path!r} is not a tile path")
    level: int | None
    if level_text == "entries":
        level = None
    elif _LEVEL.fullmatch(level_text) and int(level_text) <= MAX_TILE_LEVEL:
        level = int(level_text)
    else:
        raise InvalidProofRequest(f"tile level {level_text!r} is not 0 to 63")
    width = TILE_WIDTH
    index_text, partial, width_text = index_text.partition(".p/")
    if partial:
        if not _WIDTH.fullmatch(width_text) or int(width_text) >= TILE_WIDTH:
            raise InvalidProofRequest(f"partial width {width_text!r} is not 1 to 255")
        width = int(width_text)
    elif ".p" in index_text:
        raise InvalidProofRequest(f"{path!r} has a malformed partial suffix")
    return TileRef(level, _parse_index(index_text), width)


def partial_width(level: int, size: int) -> int:
    """Width of the partial tile at ``level`` of a tree of ``size`` (0: there is none)."""
    return (size >> (TILE_HEIGHT * level)) % TILE_WIDTH


def tile_for(level: int, index: int, size: int) -> TileRef:
    """The tile ``(level, index)`` as a tree of ``size`` leaves serves it (full or partial)."""
    available = size >> (TILE_HEIGHT * level)
    width = min(TILE_WIDTH, available - index * TILE_WIDTH)
    if width <= 0:
        raise EntryNotFound(f"a tree of size {size} has no tile {level}/{index}")
    return TileRef(level, index, width)


def tiles_for_size(size: int) -> list[TileRef]:
    """Every hash tile a tree of ``size`` serves: full ones and the rightmost partial ones."""
    tiles: list[TileRef] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        available = size >> (TILE_HEIGHT * level)
        tiles.extend(TileRef(level, n) for n in range(available // TILE_WIDTH))
        if available % TILE_WIDTH:
            tiles.append(TileRef(level, available // TILE_WIDTH, available % TILE_WIDTH))
        level += 1
    return tiles


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """Concatenate entries, each after its length as a big-endian uint16."""
    parts: list[bytes] = []
    for entry in entries:
        if len(entry) > MAX_BUNDLED_ENTRY_BYTES:
            raise ValueError(f"entry of {len(entry)} bytes does not fit an entry bundle")
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle; a truncated one raises ``ValueError``."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise ValueError("entry bundle ends inside an entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


def split_hashes(data: bytes, width: int) -> list[bytes]:
    """The hashes of a fetched tile; its length must be exactly ``width`` hashes."""
    if len(data) != width * HASH_SIZE:
        raise ValueError(
            f"tile of width {width} must be {width * HASH_SIZE} bytes, not {len(data)}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


class TileNodeReader:
    """A :class:`~corridor.ledger.merkle.NodeReader` over the tiles of a tree of ``size``.

    ``fetch(path)`` returns the bytes of a tile (from HTTP, a mirror or a folder). A node
    ``(8*L + r, i)`` is the MTH of ``2**r`` consecutive hashes of one level-``L`` tile.
    Nothing fetched is trusted: callers compare what they compute with a signed root.
    """

    def __init__(self, fetch: Callable[[str], bytes], size: int) -> None:
        self._fetch = fetch
        self._size = size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def _tile(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            ref = tile_for(level, index, self._size)
            self._tiles[key] = split_hashes(self._fetch(ref.path), ref.width)
        return self._tiles[key]

    def node_hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Compute each node from the tile that holds its subtree."""
        found: dict[NodeKey, bytes] = {}
        for level, index in keys:
            tile_level, rise = divmod(level, TILE_HEIGHT)
            first = index << rise
            hashes = self._tile(tile_level, first // TILE_WIDTH)
            start = first % TILE_WIDTH
            row = hashes[start : start + (1 << rise)]
            if len(row) != 1 << rise:
                raise EntryNotFound(f"node {level}/{index} is beyond a tree of size {self._size}")
            while len(row) > 1:
                row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
            found[level, index] = row[0]
        return found
