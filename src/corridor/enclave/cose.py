"""COSE_Sign1 (RFC 9052 §4.2) as AWS Nitro uses it: ES384 over the exact received bytes.

Pure. Parsing keeps the protected header and the payload as the byte strings received,
because the signature covers those bytes (RFC 9052 §4.4): re-encoding a decoded header
could change its bytes and either break a valid signature or bless a different one.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from corridor.enclave.errors import EvidenceRejected

# RFC 9052 §3.1 header label 1 = alg; §4.2 tag 18 = COSE_Sign1; RFC 9053 §2.1 ES384 = -35.
_ALG = 1
_CRIT = 2
_COSE_SIGN1_TAG = 18
ES384 = -35
_P384_COORDINATE_BYTES = 48
_MAX_DEPTH = 16  # a Nitro document nests four levels deep; refuse pathological nesting


@dataclass(frozen=True)
class CoseSign1:
    """A parsed COSE_Sign1 whose byte strings are exactly those received."""

    protected: bytes
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes
    algorithm: int


def decode_cbor_strict(data: bytes, *, what: str) -> Any:
    """Decode one CBOR item; refuse trailing bytes, duplicate map keys and deep nesting."""
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(stream, allow_duplicate_keys=False, max_depth=_MAX_DEPTH)
        value = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, EOFError, RecursionError) as exc:
        raise EvidenceRejected("malformed-evidence", f"{what} is not valid CBOR: {exc}") from exc
    if stream.tell() != len(data):
        raise EvidenceRejected("malformed-evidence", f"{what} has trailing bytes after the item")
    return value


def parse_cose_sign1(data: bytes) -> CoseSign1:
    """Parse a tagged or untagged COSE_Sign1; the algorithm must be ES384."""
    item = decode_cbor_strict(data, what="COSE_Sign1")
    # Nitro emits the untagged form (0x84); RFC 9052 §4.2 also allows tag 18.
    if isinstance(item, cbor2.CBORTag):
        if item.tag != _COSE_SIGN1_TAG:
            raise EvidenceRejected("malformed-evidence", f"unexpected CBOR tag {item.tag}")
        item = item.value
    # cbor2 decodes items inside a tag as immutable (tuple, frozendict), hence Sequence/Mapping.
    if not isinstance(item, list | tuple) or len(item) != 4:  # noqa: PLR2004  # RFC 9052 §4.2
        raise EvidenceRejected("malformed-evidence", "COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = item
    if not isinstance(protected, bytes) or not isinstance(unprotected, Mapping):
        raise EvidenceRejected("malformed-evidence", "COSE_Sign1 headers have the wrong types")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise EvidenceRejected("malformed-evidence", "payload and signature must be byte strings")
    header = decode_cbor_strict(protected, what="protected header") if protected else {}
    if not isinstance(header, dict):
        raise EvidenceRejected("malformed-evidence", "protected header must be a map")
    if _CRIT in header:
        # RFC 9052 §3.1: we understand no critical extensions, so any listed one fails.
        raise EvidenceRejected("unsupported-algorithm", "critical COSE headers are not supported")
    algorithm = header.get(_ALG)
    if algorithm != ES384 or _ALG in unprotected:
        raise EvidenceRejected(
            "unsupported-algorithm",
            f"COSE alg must be ES384 (-35) in the protected header, got {algorithm!r}",
        )
    return CoseSign1(
        protected=protected,
        unprotected=dict(unprotected),
        payload=payload,
        signature=signature,
        algorithm=algorithm,
    )


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes that are signed: ``["Signature1", protected, external_aad, payload]`` (§4.4)."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def verify_es384(public_key: ec.EllipticCurvePublicKey, message: CoseSign1) -> None:
    """Raise :class:`EvidenceRejected` unless the raw ``r||s`` signature verifies.

    RFC 9053 §2.1: ES384 signatures are the fixed-size concatenation ``r || s``, not DER.
    """
    if not isinstance(public_key.curve, ec.SECP384R1):
        raise EvidenceRejected("unsupported-algorithm", "ES384 needs a P-384 signing key")
    if len(message.signature) != 2 * _P384_COORDINATE_BYTES:
        raise EvidenceRejected("bad-signature", "ES384 signature must be 96 bytes (r||s)")
    r = int.from_bytes(message.signature[:_P384_COORDINATE_BYTES], "big")
    s = int.from_bytes(message.signature[_P384_COORDINATE_BYTES:], "big")
    try:
        public_key.verify(
            encode_dss_signature(r, s),
            sig_structure(message.protected, message.payload),
            ec.ECDSA(hashes.SHA384()),
        )
    except InvalidSignature as exc:
        raise EvidenceRejected("bad-signature", "COSE_Sign1 signature does not verify") from exc


def sign_es384(private_key: ec.EllipticCurvePrivateKey, payload: bytes) -> bytes:
    """Build an untagged COSE_Sign1 over ``payload`` with ES384, shaped like Nitro's."""
    protected = cbor2.dumps({_ALG: ES384})
    der = private_key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(_P384_COORDINATE_BYTES, "big") + s.to_bytes(
        _P384_COORDINATE_BYTES, "big"
    )
    return cbor2.dumps([protected, {}, payload, signature])
