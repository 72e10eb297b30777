"""DID identifiers and documents (W3C DID Core 1.0, did:web and did:key methods).

Pure: builds and parses documents; fetching them is the resolver's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from corridor.crypto.keys import (
    ed25519_public_from_raw,
    multibase_key,
    public_key_from_did_key,
    raw_from_multibase,
    x25519_public_from_raw,
)
from corridor.identity.errors import MalformedDid
from corridor.types import Did

_DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
SIGNING_FRAGMENT = "key-1"
AGREEMENT_FRAGMENT = "ka-1"
# did:web resolves over HTTPS; plain HTTP is only for loopback and reserved test names
# (RFC 6761 §6.2 ".test", §6.3 ".localhost"), which is how a one-machine demo runs.
_PLAIN_HTTP_HOSTS = ("127.0.0.1", "localhost", "::1")
_PLAIN_HTTP_SUFFIXES = (".localhost", ".test")


@dataclass(frozen=True)
class DidKeys:
    """The keys a DID document publishes."""

    did: Did
    signing: Ed25519PublicKey
    agreement: X25519PublicKey | None
    signing_kid: str


def did_web_for_url(url: str) -> Did:
    """The did:web identifier of a node served at ``url`` (port percent-encoded)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise MalformedDid(f"cannot derive a did:web from {url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    ident = quote(host, safe="")
    path = [segment for segment in parts.path.split("/") if segment]
    return Did(":".join(["did:web", ident, *path]))


def _is_plain_http_host(host: str) -> bool:
    return host in _PLAIN_HTTP_HOSTS or host.endswith(_PLAIN_HTTP_SUFFIXES)


def did_document_url(did: str) -> str:
    """Where a did:web document lives (DID method did:web §3.2, Read)."""
    if not did.startswith("did:web:"):
        raise MalformedDid(f"not a did:web identifier: {did!r}")
    segments = did.removeprefix("did:web:").split("#", 1)[0].split(":")
    host = unquote(segments[0])
    if not host or "/" in host:
        raise MalformedDid(f"did:web host is invalid in {did!r}")
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    scheme = "http" if _is_plain_http_host(hostname) else "https"
    if len(segments) == 1:
        return f"{scheme}://{host}/.well-known/did.json"
    return f"{scheme}://{host}/{'/'.join(segments[1:])}/did.json"


def build_did_document(did: str, signing_raw: bytes, agreement_raw: bytes) -> dict[str, Any]:
    """A DID document with one Ed25519 verification method and one X25519 agreement key."""
    signing_id = f"{did}#{SIGNING_FRAGMENT}"
    agreement_id = f"{did}#{AGREEMENT_FRAGMENT}"
    return {
        "@context": _DID_CONTEXT,
        "id": did,
        "verificationMethod": [
            {
                "id": signing_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multibase_key(signing_raw),
            }
        ],
        "authentication": [signing_id],
        "assertionMethod": [signing_id],
        "keyAgreement": [
            {
                "id": agreement_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multibase_key(agreement_raw, agreement=True),
            }
        ],
    }


def parse_did_document(document: Any, *, expected_did: str) -> DidKeys:
    """Extract the first assertion key and agreement key; the ``id`` must be ``expected_did``."""
    if not isinstance(document, dict) or document.get("id") != expected_did:
        raise MalformedDid(f"DID document is not for {expected_did!r}")
    methods = document.get("verificationMethod")
    if not isinstance(methods, list) or not methods:
        raise MalformedDid("DID document has no verification method")
    method = methods[0]
    if not isinstance(method, dict) or not isinstance(method.get("publicKeyMultibase"), str):
        raise MalformedDid("verification method lacks publicKeyMultibase")
    signing = ed25519_public_from_raw(raw_from_multibase(method["publicKeyMultibase"]))
    agreement: X25519PublicKey | None = None
    for entry in document.get("keyAgreement", []):
        if isinstance(entry, dict) and isinstance(entry.get("publicKeyMultibase"), str):
            raw = raw_from_multibase(entry["publicKeyMultibase"], agreement=True)
            agreement = x25519_public_from_raw(raw)
            break
    kid = str(method.get("id", f"{expected_did}#{SIGNING_FRAGMENT}"))
    return DidKeys(did=Did(expected_did), signing=signing, agreement=agreement, signing_kid=kid)


def keys_for_did_key(did: str) -> DidKeys:
    """did:key resolves without any lookup: the key is the identifier."""
    bare = did.split("#", 1)[0]
    signing: Ed25519PublicKey = public_key_from_did_key(bare)
    fragment = bare.removeprefix("did:key:")
    return DidKeys(did=Did(bare), signing=signing, agreement=None, signing_kid=f"{bare}#{fragment}")
