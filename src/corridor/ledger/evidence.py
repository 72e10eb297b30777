"""Evidence statements: what each step of a transfer writes to the monitoring chain.

Pure. A statement names the step (``type``), the transfer, the institution that acts
(``actor``, a DID), the time, and only digests and salted commitments: never a name,
a record number or a patient's DID (blueprint §5). The leaf bytes of the log are the
canonical JSON (RFC 8785) of ``{"kid", "sig", "statement"}``, where ``sig`` is the actor's
Ed25519 signature over ``_SIGNING_CONTEXT || canonical_json(statement)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.crypto.canonical import b64url_decode, b64url_encode, canonical_json, parse_json
from corridor.crypto.errors import NonCanonicalJson
from corridor.crypto.hashing import sha256_hex
from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import verify_ed25519
from corridor.ledger.errors import InvalidEntry

# Domain separation: a signature over evidence can never be replayed as another object.
_SIGNING_CONTEXT = b"corridor/evidence/v1\n"
# C2SP tlog-tiles limits an entry to 64 KiB; evidence is far smaller by design.
MAX_ENTRY_BYTES = 64 * 1024

ENTRY_TYPES = frozenset(
    {
        "consent.granted",
        "consent.revoked",
        "filing.registered",
        "compliance.decided",
        "record.uploaded",
        "attestation.appraised",
        "key.released",
        "key.refused",
        "record.processed",
        "record.delivered",
        "record.accessed",
        "reference.approved",
        "job.created",
        "job.accepted",
        "job.round",
        "job.released",
        "job.measured",
        "contract.offered",
        "contract.agreed",
        "contract.filed",
    }
)

_DIGEST = re.compile(r"^(sha256|sha384|hmac-sha256):[0-9a-f]{64,96}$")
_DID = re.compile(r"^did:(web|key):[A-Za-z0-9.%:_-]+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DETAIL_VALUE = str | int | bool | None


@dataclass(frozen=True)
class EvidenceStatement:
    """One step of one transfer, as the chain records it."""

    type: str
    transfer: str
    actor: str
    time: str
    jurisdiction: str
    subject: str | None = None
    digests: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, _DETAIL_VALUE] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _statement_problems(self)
        if problems:
            raise InvalidEntry("evidence statement is invalid", detail={"problems": problems})

    def to_json(self) -> dict[str, Any]:
        """The JSON object form that is canonicalised and signed."""
        body: dict[str, Any] = {
            "type": self.type,
            "transfer": self.transfer,
            "actor": self.actor,
            "time": self.time,
            "jurisdiction": self.jurisdiction,
            "digests": dict(self.digests),
            "details": dict(self.details),
        }
        if self.subject is not None:
            body["subject"] = self.subject
        return body

    @classmethod
    def from_json(cls, value: Any) -> EvidenceStatement:
        """Parse and validate the JSON object form; unknown keys are refused."""
        if not isinstance(value, dict):
            raise InvalidEntry("statement must be a JSON object")
        allowed = {"type", "transfer", "actor", "time", "jurisdiction", "subject", "digests"}
        unknown = set(value) - allowed - {"details"}
        if unknown:
            raise InvalidEntry(f"statement has unknown keys: {sorted(unknown)}")
        try:
            return cls(
                type=str(value["type"]),
                transfer=str(value["transfer"]),
                actor=str(value["actor"]),
                time=str(value["time"]),
                jurisdiction=str(value["jurisdiction"]),
                subject=value.get("subject"),
                digests=dict(value.get("digests", {})),
                details=dict(value.get("details", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidEntry(f"statement is missing or mistyped: {exc}") from exc


def _statement_problems(statement: EvidenceStatement) -> list[str]:
    problems: list[str] = []
    if statement.type not in ENTRY_TYPES:
        problems.append(f"unknown entry type {statement.type!r}")
    if not re.fullmatch(r"[A-Za-z0-9-]{8,64}", statement.transfer):
        problems.append("transfer must be 8-64 letters, digits or dashes")
    if not _DID.fullmatch(statement.actor):
        problems.append("actor must be a did:web or did:key identifier")
    if not _TIME.fullmatch(statement.time):
        problems.append("time must be RFC 3339 UTC with whole seconds (YYYY-MM-DDTHH:MM:SSZ)")
    if not re.fullmatch(r"[A-Z]{2,8}", statement.jurisdiction):
        problems.append("jurisdiction must be an upper-case code such as CN or HK")
    if statement.subject is not None and not _DIGEST.fullmatch(statement.subject):
        problems.append("subject must be a salted commitment (hmac-sha256:<hex>)")
    return problems + _mapping_problems(statement)


def _mapping_problems(statement: EvidenceStatement) -> list[str]:
    problems: list[str] = []
    for name, digest in statement.digests.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name) or not isinstance(digest, str):
            problems.append(f"digest name {name!r} is not a lower-case identifier")
        elif not _DIGEST.fullmatch(digest):
            problems.append(f"digest {name!r} must be '<alg>:<hex>'")
    # Parsed from the wire, so the declared types are not yet guaranteed at run time.
    details: Mapping[str, object] = statement.details
    for name, value in details.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
            problems.append(f"detail name {name!r} is not a lower-case identifier")
        if not isinstance(value, str | int | bool | type(None)):
            problems.append(f"detail {name!r} must be a string, integer, boolean or null")
        elif isinstance(value, str) and len(value) > 512:  # noqa: PLR2004
            problems.append(f"detail {name!r} is longer than 512 characters")
    return problems


@dataclass(frozen=True)
class SignedEntry:
    """A statement with its actor's signature; ``leaf`` is the exact bytes the log stores."""

    statement: EvidenceStatement
    kid: str
    signature: bytes
    leaf: bytes


def sign_statement(statement: EvidenceStatement, key: SigningKeyPair, *, kid: str) -> SignedEntry:
    """Sign ``statement`` with the actor's key; ``kid`` must be a key of ``statement.actor``."""
    if kid.split("#", 1)[0] != statement.actor:
        raise InvalidEntry("the signing key must belong to the statement's actor")
    body = statement.to_json()
    signature = key.sign(_SIGNING_CONTEXT + canonical_json(body))
    leaf = canonical_json({"kid": kid, "sig": b64url_encode(signature), "statement": body})
    return SignedEntry(statement=statement, kid=kid, signature=signature, leaf=leaf)


def parse_signed_entry(leaf: bytes) -> SignedEntry:
    """Parse leaf bytes: size bound, canonical JSON, known type, well-formed fields.

    The signature is *not* checked here; call :func:`verify_signed_entry` with the actor's
    key, which needs a DID resolver the pure core does not have.
    """
    if len(leaf) > MAX_ENTRY_BYTES:
        raise InvalidEntry(f"entry is {len(leaf)} bytes; the limit is {MAX_ENTRY_BYTES}")
    try:
        value = parse_json(leaf, require_canonical=True)
    except NonCanonicalJson as exc:  # also raised for bytes that are not JSON at all
        raise InvalidEntry(exc.message) from exc
    except ValueError as exc:
        raise InvalidEntry(str(exc)) from exc
    if not isinstance(value, dict) or set(value) != {"kid", "sig", "statement"}:
        raise InvalidEntry("entry must be exactly {kid, sig, statement}")
    statement = EvidenceStatement.from_json(value["statement"])
    kid, sig = value["kid"], value["sig"]
    if not isinstance(kid, str) or kid.split("#", 1)[0] != statement.actor:
        raise InvalidEntry("kid must be a key of the statement's actor")
    try:
        signature = b64url_decode(str(sig))
    except ValueError as exc:
        raise InvalidEntry("sig is not base64url") from exc
    return SignedEntry(statement=statement, kid=kid, signature=signature, leaf=leaf)


def verify_signed_entry(entry: SignedEntry, actor_key: Ed25519PublicKey) -> None:
    """Raise unless ``entry.signature`` is the actor's signature over the statement."""
    verify_ed25519(
        actor_key, entry.signature, _SIGNING_CONTEXT + canonical_json(entry.statement.to_json())
    )


def entry_digest(leaf: bytes) -> str:
    """The idempotency key of an entry: SHA-256 of its leaf bytes, hex."""
    return sha256_hex(leaf)
