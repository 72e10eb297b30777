"""A strict reader for the few DER shapes vendor certificate extensions use.

Pure. Intel's SGX/TDX PCK certificates carry their platform facts (FMSPC, PCE id, TCB
component SVNs) in one private extension, a SEQUENCE of ``{OID, value}`` pairs (Intel
"SGX PCK Certificate and CRL Profile" §1.3.5); AMD's VCEK carries its reported TCB as
INTEGERs under private OIDs (AMD "Versioned Chip Endorsement Key (VCEK) Certificate and
KDS Interface Specification" §3.1). ``cryptography`` hands such extensions over as raw
bytes, so this module decodes exactly that subset of X.690 DER: definite lengths only,
minimal length encodings, no trailing bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from corridor.enclave.errors import EvidenceRejected

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x01, 0x02, 0x03, 0x04, 0x06
ENUMERATED, SEQUENCE = 0x0A, 0x30
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Node:
    """One decoded TLV: its tag, its content octets and, for a SEQUENCE, its children."""

    tag: int
    content: bytes
    children: tuple[Node, ...] = ()

    def as_int(self) -> int:
        """An INTEGER or ENUMERATED as a Python int (two's complement, X.690 §8.3)."""
        if self.tag not in {INTEGER, ENUMERATED} or not self.content:
            raise _bad("expected an INTEGER")
        return int.from_bytes(self.content, "big", signed=True)

    def as_bytes(self) -> bytes:
        """An OCTET STRING's content."""
        if self.tag != OCTET_STRING:
            raise _bad("expected an OCTET STRING")
        return self.content

    def as_oid(self) -> str:
        """An OBJECT IDENTIFIER in dotted form (X.690 §8.19)."""
        if self.tag != OID or not self.content or self.content[-1] & 0x80:
            raise _bad("expected an OBJECT IDENTIFIER")
        arcs: list[int] = []
        value = 0
        for byte in self.content:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(value)
                value = 0
        first = min(arcs[0] // 40, 2)
        return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _bad(message: str) -> EvidenceRejected:
    return EvidenceRejected("bad-chain", f"certificate extension: {message}")


def decode(data: bytes, *, levels: int = _MAX_DEPTH) -> Node:
    """Decode exactly one DER item; trailing bytes are refused.

    SEQUENCEs are split into children down to ``levels`` deep; deeper ones keep only
    their content octets (enough to compare them, and much cheaper for certificates).
    """
    node, end = _read(data, 0, 0, levels)
    if end != len(data):
        raise _bad("trailing bytes after the DER item")
    return node


def _read(data: bytes, offset: int, depth: int, levels: int = _MAX_DEPTH) -> tuple[Node, int]:
    if depth > _MAX_DEPTH:
        raise _bad("nested too deeply")
    if offset + 2 > len(data):
        raise _bad("truncated")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first < 0x80:  # noqa: PLR2004  # X.690 §8.1.3.4 short form
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):  # noqa: PLR2004
            raise _bad("indefinite or oversized length")
        length = int.from_bytes(data[offset : offset + count], "big")
        if length < 0x80 or data[offset] == 0:  # noqa: PLR2004  # X.690 §10.1 minimal form
            raise _bad("non-minimal length encoding")
        offset += count
    end = offset + length
    if end > len(data):
        raise _bad("truncated")
    content = data[offset:end]
    if tag != SEQUENCE or depth >= levels:
        return Node(tag=tag, content=content), end
    children: list[Node] = []
    position = offset
    while position < end:
        child, position = _read(data[:end], position, depth + 1, levels)
        children.append(child)
    return Node(tag=tag, content=content, children=tuple(children)), end


def oid_map(sequence: Node) -> dict[str, Node]:
    """A SEQUENCE of ``SEQUENCE {OID, value}`` as a mapping; duplicate OIDs are refused."""
    if sequence.tag != SEQUENCE:
        raise _bad("expected a SEQUENCE")
    result: dict[str, Node] = {}
    for pair in sequence.children:
        if pair.tag != SEQUENCE or len(pair.children) != 2:  # noqa: PLR2004
            raise _bad("expected {OID, value} pairs")
        oid = pair.children[0].as_oid()
        if oid in result:
            raise _bad(f"duplicate {oid}")
        result[oid] = pair.children[1]
    return result
