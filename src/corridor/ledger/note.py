"""C2SP signed notes, checkpoints and cosignatures: parse, serialise, sign and verify.

Pure. Spec versions: c2sp.org/signed-note v1.0.0, c2sp.org/tlog-checkpoint v1.0.0 and
c2sp.org/tlog-cosignature v1.0.1. A note is UTF-8 text ending in a newline, a blank line,
then one signature line per signer: ``U+2014 EM DASH, space, key name, space,
base64(key ID (4 bytes, big-endian) || signature)``. Verifier keys are written
``<name>+<hex key ID>+base64(<signature type> || <public key>)``.

Signature types understood here: 0x01 Ed25519 over the note text; 0x02 ECDSA P-256 with
SHA-256 over the text, key ID ``SHA-256(DER SPKI)[:4]`` (as Sigstore Rekor and
transparency-dev/formats use); 0x04 Ed25519 cosignature/v1 over
``"cosignature/v1" LF "time <T>" LF || text`` with a big-endian u64 timestamp before the
signature. Keys of other types are refused by :func:`parse_verifier_key` and skipped by
:func:`verifiers_from_keys`; signatures by keys the caller does not know are ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from corridor.crypto.keys import SigningKeyPair
from corridor.ledger.errors import InvalidCheckpoint, InvalidNote, InvalidVerifierKey

SIGNATURE_ED25519 = 0x01
SIGNATURE_ECDSA_P256 = 0x02
SIGNATURE_COSIGNATURE_V1 = 0x04
_SIGNATURE_PREFIX = "\u2014 "  # signed-note §Signatures: EM DASH then a space
# signed-note §Verifying: verifiers MUST accept at least 16 signatures; x/mod caps at 100.
MAX_SIGNATURES = 100
# Bound the work a hostile note can cause; a checkpoint with 100 Ed25519 lines is ~12 KiB.
MAX_NOTE_BYTES = 1 << 20
_ED25519_SIGNATURE_BYTES = 64
_KEY_ID_BYTES = 4
_TIMESTAMP_BYTES = 8
_MAX_TIMESTAMP = (1 << 63) - 1  # tlog-cosignature §Format: timestamps fit in int64
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_NAME = re.compile(r"[^\s+]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_COSIGNATURE_HEADER = "cosignature/v1\ntime {timestamp}\n"


def strict_b64decode(text: str) -> bytes:
    """Decode standard base64 (RFC 4648 §4) in its one canonical spelling, else ValueError.

    Python accepts non-zero unused bits in the last character, so two spellings would
    decode to the same bytes; unsigned parts of a note or receipt must not be malleable.
    """
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from exc
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError("base64 is not in canonical form")
    return data


def _b64decode(text: str) -> bytes:
    try:
        return strict_b64decode(text)
    except ValueError as exc:
        raise InvalidNote(f"not canonical standard base64: {text[:24]!r}") from exc


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """The recommended key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key)
    return int.from_bytes(digest.digest()[:_KEY_ID_BYTES], "big")


def verifier_key_string(name: str, key_type: int, public_key: bytes, ident: int) -> str:
    """Serialise a verifier key as ``name+hex(key ID)+base64(type || key)``."""
    return f"{name}+{ident:08x}+{_b64encode(bytes([key_type]) + public_key)}"


# -- notes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note, not yet verified."""

    name: str
    key_id: int
    payload: bytes

    def line(self) -> str:
        """The signature line, with its final newline."""
        encoded = _b64encode(self.key_id.to_bytes(_KEY_ID_BYTES, "big") + self.payload)
        return f"{_SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """A parsed signed note: the signed text (ending in a newline) and its signatures."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def serialise(self) -> str:
        """The note as served: text, blank line, signature lines."""
        return format_note(self.text, self.signatures)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InvalidNote("note text must end with a newline")
    if _CONTROL.search(text):
        raise InvalidNote("note contains a control character other than newline")


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise InvalidNote(f"key name {name!r} is empty or contains a space or '+'")


def format_note(text: str, signatures: Iterable[NoteSignature]) -> str:
    """Assemble a signed note; at least one signature is required (signed-note §Format)."""
    _check_text(text)
    lines = [signature.line() for signature in signatures]
    if not lines:
        raise InvalidNote("a signed note needs at least one signature")
    return text + "\n" + "".join(lines)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise InvalidNote("signature line does not start with an em dash and a space")
    name, space, encoded = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
    if not space:
        raise InvalidNote("signature line has no signature")
    _check_name(name)
    raw = _b64decode(encoded)
    if len(raw) <= _KEY_ID_BYTES:
        raise InvalidNote("signature is too short to hold a key ID")
    return NoteSignature(
        name=name, key_id=int.from_bytes(raw[:_KEY_ID_BYTES], "big"), payload=raw[_KEY_ID_BYTES:]
    )


def parse_note(data: str | bytes) -> Note:
    """Split a note into text and signature lines; refuse anything malformed."""
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise InvalidNote(f"note is longer than {MAX_NOTE_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidNote("note is not valid UTF-8") from exc
    if len(data.encode("utf-8", errors="replace")) > MAX_NOTE_BYTES:
        raise InvalidNote(f"note is longer than {MAX_NOTE_BYTES} bytes")
    _check_text(data)
    # signed-note §Format: the signatures follow the *last* blank line.
    split = data.rfind("\n\n")
    if split < 0:
        raise InvalidNote("note has no blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block:
        raise InvalidNote("note has no signatures")
    lines = block.removesuffix("\n").split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidNote(f"note has more than {MAX_SIGNATURES} signatures")
    return Note(text=text, signatures=tuple(_parse_signature_line(line) for line in lines))


# -- verifiers -------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified under a known key."""

    name: str
    key_id: int
    key_type: int
    timestamp: int | None = None
    """Seconds since the epoch for a cosignature, ``None`` for a plain signature."""


class NoteVerifier(Protocol):
    """One known key: checks a signature payload over a note's text."""

    @property
    def name(self) -> str:
        """The key name that signature lines must carry."""
        ...

    @property
    def key_id(self) -> int:
        """The 32-bit key ID that signature lines must carry."""
        ...

    def verify(self, text: str, payload: bytes) -> VerifiedSignature:
        """Return the verified signature or raise :class:`InvalidNote`."""
        ...


@dataclass(frozen=True)
class Ed25519NoteVerifier:
    """Signature type 0x01: Ed25519 over the note text."""

    name: str
    public: Ed25519PublicKey

    @property
    def public_raw(self) -> bytes:
        """The 32-byte public key."""
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> int:
        """``SHA-256(name || 0x0A || 0x01 || key)[:4]``."""
        return key_id(self.name, SIGNATURE_ED25519, self.public_raw)

    def verify(self, text: str, payload: bytes) -> VerifiedSignature:
        """Check a 64-byte Ed25519 signature over ``text``."""
        if len(payload) != _ED25519_SIGNATURE_BYTES:
            raise InvalidNote(f"signature by {self.name} has the wrong length")
        try:
            self.public.verify(payload, text.encode("utf-8"))
        except InvalidSignature as exc:
            raise InvalidNote(f"signature by {self.name} does not verify") from exc
        return VerifiedSignature(self.name, self.key_id, SIGNATURE_ED25519)


@dataclass(frozen=True)
class EcdsaNoteVerifier:
    """Signature type 0x02: ECDSA P-256 / SHA-256 (ASN.1 DER) over the note text."""

    name: str
    spki_der: bytes
    public: ec.EllipticCurvePublicKey

    @property
    def key_id(self) -> int:
        """``SHA-256(DER SPKI)[:4]``, as transparency-dev/formats ``NewECDSAVerifier``."""
        return int.from_bytes(hashlib.sha256(self.spki_der).digest()[:_KEY_ID_BYTES], "big")

    def verify(self, text: str, payload: bytes) -> VerifiedSignature:
        """Check a DER ECDSA signature over ``text``."""
        try:
            self.public.verify(payload, text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise InvalidNote(f"signature by {self.name} does not verify") from exc
        return VerifiedSignature(self.name, self.key_id, SIGNATURE_ECDSA_P256)


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs (tlog-cosignature §Format)."""
    return (_COSIGNATURE_HEADER.format(timestamp=timestamp) + body).encode("utf-8")


def split_cosignature(payload: bytes) -> tuple[int, bytes]:
    """Split a cosignature/v1 payload into ``(timestamp, Ed25519 signature)``."""
    if len(payload) != _TIMESTAMP_BYTES + _ED25519_SIGNATURE_BYTES:
        raise InvalidNote("cosignature/v1 payload must be 72 bytes (timestamp and signature)")
    timestamp = int.from_bytes(payload[:_TIMESTAMP_BYTES], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise InvalidNote("cosignature timestamp does not fit in a signed 64-bit integer")
    return timestamp, payload[_TIMESTAMP_BYTES:]


@dataclass(frozen=True)
class CosignatureV1Verifier:
    """Signature type 0x04: a witness's Ed25519 cosignature/v1 over a checkpoint."""

    name: str
    public: Ed25519PublicKey

    @property
    def public_raw(self) -> bytes:
        """The 32-byte public key."""
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> int:
        """``SHA-256(name || 0x0A || 0x04 || key)[:4]``."""
        return key_id(self.name, SIGNATURE_COSIGNATURE_V1, self.public_raw)

    def verify(self, text: str, payload: bytes) -> VerifiedSignature:
        """Check ``timestamp || signature`` over the cosigned message."""
        timestamp, signature = split_cosignature(payload)
        try:
            self.public.verify(signature, cosignature_message(text, timestamp))
        except InvalidSignature as exc:
            raise InvalidNote(f"cosignature by {self.name} does not verify") from exc
        return VerifiedSignature(self.name, self.key_id, SIGNATURE_COSIGNATURE_V1, timestamp)


class UnsupportedKeyType(InvalidVerifierKey):
    """A well-formed verifier key of a signature type this module does not implement."""

    code = "unsupported-key-type"


def _ed25519_public(raw: bytes, vkey: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InvalidVerifierKey(f"not a 32-byte Ed25519 key in {vkey!r}") from exc


def _ecdsa_public(der: bytes, vkey: str) -> ec.EllipticCurvePublicKey:
    try:
        public = serialization.load_der_public_key(der)
    except ValueError as exc:
        raise InvalidVerifierKey(f"not a DER public key in {vkey!r}") from exc
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        raise InvalidVerifierKey(f"type 0x02 key is not ECDSA P-256 in {vkey!r}")
    return public


def parse_verifier_key(vkey: str) -> NoteVerifier:
    """Parse ``name+keyid+base64(type||key)``; split on the first two '+' only."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:  # noqa: PLR2004  # name, key ID, key
        raise InvalidVerifierKey(f"verifier key {vkey!r} does not have three '+' parts")
    name, ident_hex, encoded = parts
    if not _NAME.fullmatch(name):
        raise InvalidVerifierKey(f"verifier key name {name!r} is empty or has a space")
    if not re.fullmatch(r"[0-9a-f]{8}", ident_hex):
        raise InvalidVerifierKey(f"key ID {ident_hex!r} is not 8 lower-case hex digits")
    try:
        material = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidVerifierKey(f"verifier key {name} is not valid base64") from exc
    if len(material) < 2:  # noqa: PLR2004  # a type byte and at least one key byte
        raise InvalidVerifierKey(f"verifier key {name} is too short")
    key_type, public = material[0], material[1:]
    verifier: NoteVerifier
    if key_type == SIGNATURE_ED25519:
        verifier = Ed25519NoteVerifier(name, _ed25519_public(public, vkey))
    elif key_type == SIGNATURE_COSIGNATURE_V1:
        verifier = CosignatureV1Verifier(name, _ed25519_public(public, vkey))
    elif key_type == SIGNATURE_ECDSA_P256:
        verifier = EcdsaNoteVerifier(name, public, _ecdsa_public(public, vkey))
    else:
        raise UnsupportedKeyType(f"signature type 0x{key_type:02x} of {name} is not supported")
    if verifier.key_id != int(ident_hex, 16):
        raise InvalidVerifierKey(f"key ID {ident_hex} does not match the key of {name}")
    return verifier


def verifiers_from_keys(vkeys: Iterable[str]) -> list[NoteVerifier]:
    """Parse several verifier keys, skipping (not failing on) unsupported signature types."""
    verifiers: list[NoteVerifier] = []
    for vkey in vkeys:
        try:
            verifiers.append(parse_verifier_key(vkey))
        except UnsupportedKeyType:
            continue
    return verifiers


@dataclass(frozen=True)
class VerifiedNote:
    """A note whose text at least one known key signed."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    unverified: tuple[NoteSignature, ...]

    def verified_names(self) -> list[str]:
        """Names of the keys whose signatures verified, in note order."""
        return [signature.name for signature in self.verified]


def open_note(data: str | bytes, verifiers: Iterable[NoteVerifier]) -> VerifiedNote:
    """Parse and verify a note (signed-note §Verifying).

    A signature counts only when both its name and key ID match a known key; any such
    signature that fails rejects the whole note; unknown signatures are kept unverified;
    a note with no verified signature is rejected.
    """
    note = parse_note(data)
    known = {(verifier.name, verifier.key_id): verifier for verifier in verifiers}
    verified: dict[tuple[str, int], VerifiedSignature] = {}
    unverified: dict[NoteSignature, None] = {}
    for signature in note.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            unverified.setdefault(signature, None)
            continue
        result = verifier.verify(note.text, signature.payload)
        verified.setdefault((signature.name, signature.key_id), result)
    if not verified:
        raise InvalidNote("note has no signature by a known key")
    return VerifiedNote(note.text, tuple(verified.values()), tuple(unverified))


# -- signers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ed25519NoteSigner:
    """Signs note text with an Ed25519 key (type 0x01); the log's checkpoint signer."""

    name: str
    key: SigningKeyPair

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InvalidVerifierKey(f"key name {self.name!r} is empty or has a space or '+'")

    @property
    def key_id(self) -> int:
        """``SHA-256(name || 0x0A || 0x01 || key)[:4]``."""
        return key_id(self.name, SIGNATURE_ED25519, self.key.public_raw)

    @property
    def verifier_key(self) -> str:
        """The C2SP verifier key string others pin."""
        return verifier_key_string(self.name, SIGNATURE_ED25519, self.key.public_raw, self.key_id)

    def verifier(self) -> Ed25519NoteVerifier:
        """A verifier for this signer's signatures."""
        return Ed25519NoteVerifier(self.name, self.key.public)

    def sign(self, text: str) -> NoteSignature:
        """Sign ``text`` (which must end in a newline)."""
        _check_text(text)
        return NoteSignature(self.name, self.key_id, self.key.sign(text.encode("utf-8")))


@dataclass(frozen=True)
class CosignatureV1Signer:
    """A witness key that cosigns checkpoints (tlog-cosignature, type 0x04)."""

    name: str
    key: SigningKeyPair

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InvalidVerifierKey(f"key name {self.name!r} is empty or has a space or '+'")

    @property
    def key_id(self) -> int:
        """``SHA-256(name || 0x0A || 0x04 || key)[:4]``."""
        return key_id(self.name, SIGNATURE_COSIGNATURE_V1, self.key.public_raw)

    @property
    def verifier_key(self) -> str:
        """The C2SP verifier key string (type 0x04) relying parties pin."""
        return verifier_key_string(
            self.name, SIGNATURE_COSIGNATURE_V1, self.key.public_raw, self.key_id
        )

    def verifier(self) -> CosignatureV1Verifier:
        """A verifier for this witness's cosignatures."""
        return CosignatureV1Verifier(self.name, self.key.public)

    def cosign(self, body: str, *, timestamp: int) -> NoteSignature:
        """Cosign a checkpoint body as of ``timestamp`` (seconds; the caller's clock)."""
        _check_text(body)
        if not 0 < timestamp <= _MAX_TIMESTAMP:
            # tlog-witness §add-checkpoint: cosignatures carry a non-zero timestamp.
            raise InvalidNote("cosignature timestamp must be positive and fit in int64")
        signature = self.key.sign(cosignature_message(body, timestamp))
        payload = timestamp.to_bytes(_TIMESTAMP_BYTES, "big") + signature
        return NoteSignature(self.name, self.key_id, payload)


def signer_from_private_key(skey: str) -> Ed25519NoteSigner:
    """Load an x/mod private key ``PRIVATE+KEY+name+keyid+base64(0x01||seed)`` (not C2SP)."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:  # noqa: PLR2004
        raise InvalidVerifierKey("not a PRIVATE+KEY+name+keyid+key string")
    try:
        material = base64.b64decode(parts[4], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidVerifierKey("private key is not valid base64") from exc
    if len(material) != 33 or material[0] != SIGNATURE_ED25519:  # noqa: PLR2004
        raise InvalidVerifierKey("private key is not an Ed25519 seed")
    signer = Ed25519NoteSigner(
        parts[2], SigningKeyPair(Ed25519PrivateKey.from_private_bytes(material[1:]))
    )
    if f"{signer.key_id:08x}" != parts[3]:
        raise InvalidVerifierKey("private key's key ID does not match its name and key")
    return signer


# -- checkpoints -----------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text (tlog-checkpoint §Note text), ending in a newline."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the text of a note, not the whole note)."""
    if not text.endswith("\n") or _CONTROL.search(text):
        raise InvalidCheckpoint("checkpoint body must be newline-terminated text")
    lines = text[:-1].split("\n")
    if len(lines) < 3:  # noqa: PLR2004  # origin, size, root hash
        raise InvalidCheckpoint("checkpoint body needs origin, size and root hash lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise InvalidCheckpoint("checkpoint origin is empty")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) >= 1 << 63:
        raise InvalidCheckpoint(f"checkpoint size {size_text!r} is not a plain decimal")
    try:
        root_hash = strict_b64decode(root_text)
    except ValueError as exc:
        raise InvalidCheckpoint("checkpoint root hash is not base64") from exc
    if len(root_hash) != 32:  # noqa: PLR2004  # SHA-256
        raise InvalidCheckpoint("checkpoint root hash is not 32 bytes")
    if any(not line for line in extensions):
        raise InvalidCheckpoint("checkpoint extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root_hash, tuple(extensions))


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint whose note verified, with the signatures that did."""

    checkpoint: Checkpoint
    note: VerifiedNote


def open_checkpoint(
    data: str | bytes, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> VerifiedCheckpoint:
    """Verify a signed checkpoint note and parse its body; check the origin when given."""
    note = open_note(data, verifiers)
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise InvalidCheckpoint(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return VerifiedCheckpoint(checkpoint, note)
