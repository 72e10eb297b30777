"""DID identifiers and documents (W3C DID Core 1.0, did:web and did:key methods).

Pure: builds and parses documents; fetching them is the resolver's job.

Key rotation: a node's document lists every signing key it ever used. The current key
is in ``authentication`` (it may sign requests) and ``assertionMethod``; retired keys stay
in ``verificationMethod`` and ``assertionMethod`` only, so evidence, decisions and
credentials signed before the rotation still verify by their ``kid`` (DID Core §5.3.2
says a verifier selects the method by its id), while a retired key can no longer
authenticate a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from corridor.crypto.errors import CryptoError
from corridor.crypto.keys import (
    ed25519_public_from_raw,
    multibase_key,
    public_key_from_did_key,
    raw_from_multibase,
    x25519_public_from_raw,
)
from corridor.identity.errors import MalformedDid, UnknownKey
from corridor.types import Did

_DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
SIGNING_FRAGMENT = "key-1"
AGREEMENT_FRAGMENT = "ka-1"
PRESENTATION_SERVICE = "LinkedVerifiablePresentation"
"""DIF Linked Verifiable Presentation service type: where a node publishes its credentials."""
# did:web resolves over HTTPS; plain HTTP is only for loopback and reserved test names
# (RFC 6761 §6.2 ".test", §6.3 ".localhost"), which is how a one-machine demo runs.
_PLAIN_HTTP_HOSTS = ("127.0.0.1", "localhost", "::1")
_PLAIN_HTTP_SUFFIXES = (".localhost", ".test")

KeyPurpose = Literal["assertionMethod", "authentication"]


def signing_fragment(version: int) -> str:
    """The fragment of a node's signing key number ``version`` (``key-1``, ``key-2``...)."""
    return f"key-{version}"


@dataclass(frozen=True)
class DidKeys:
    """The keys a DID document publishes.

    ``signing`` and ``signing_kid`` are the current key; ``assertion`` holds every key
    (current and retired) by its DID URL, ``authentication`` the ids that may sign requests.
    """

    did: Did
    signing: Ed25519PublicKey
    agreement: X25519PublicKey | None
    signing_kid: str
    assertion: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)
    authentication: frozenset[str] = frozenset()
    services: Mapping[str, str] = field(default_factory=dict)
    """Service endpoints by service type."""

    def key_for(self, kid: str, *, purpose: KeyPurpose = "assertionMethod") -> Ed25519PublicKey:
        """The public key named ``kid`` if the document lists it for ``purpose``."""
        if kid == self.signing_kid:
            return self.signing
        if purpose == "authentication" and kid not in self.authentication:
            raise UnknownKey(f"{kid} is not an authentication key of {self.did}")
        try:
            return self.assertion[kid]
        except KeyError:
            raise UnknownKey(f"{self.did} lists no key {kid}") from None


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


def did_web_host(did: str) -> str:
    """The ``host[:port]`` part of a did:web identifier, percent-decoded."""
    if not did.startswith("did:web:"):
        raise MalformedDid(f"not a did:web identifier: {did!r}")
    host = unquote(did.removeprefix("did:web:").split("#", 1)[0].split(":")[0])
    if not host or "/" in host:
        raise MalformedDid(f"did:web host is invalid in {did!r}")
    return host


def did_document_url(did: str, *, base_url: str | None = None) -> str:
    """Where a did:web document lives (DID method did:web §3.2, Read).

    ``base_url`` replaces scheme and host, for deployments where the DID's host name is
    served elsewhere (a loopback test bed); the path is kept.
    """
    host = did_web_host(did)
    segments = did.removeprefix("did:web:").split("#", 1)[0].split(":")
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    scheme = "http" if _is_plain_http_host(hostname) else "https"
    origin = base_url.rstrip("/") if base_url else f"{scheme}://{host}"
    if len(segments) == 1:
        return f"{origin}/.well-known/did.json"
    return f"{origin}/{'/'.join(segments[1:])}/did.json"


def _method(did: str, fragment: str, raw: bytes, *, agreement: bool = False) -> dict[str, Any]:
    return {
        "id": f"{did}#{fragment}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": multibase_key(raw, agreement=agreement),
    }


def build_did_document(
    did: str,
    signing_raw: bytes,
    agreement_raw: bytes,
    *,
    signing_id: str = SIGNING_FRAGMENT,
    retired: Sequence[tuple[str, bytes]] = (),
    presentation_url: str | None = None,
) -> dict[str, Any]:
    """A DID document with the current Ed25519 key, retired keys and one X25519 key.

    ``retired`` lists ``(fragment, raw public key)`` of earlier signing keys, kept for
    verifying what they signed. ``presentation_url`` adds a Linked Verifiable
    Presentation service (DIF Linked VP §3) where the node publishes its credentials.
    """
    current = f"{did}#{signing_id}"
    methods = [_method(did, signing_id, signing_raw)]
    methods += [_method(did, fragment, raw) for fragment, raw in retired]
    document: dict[str, Any] = {
        "@context": _DID_CONTEXT,
        "id": did,
        "verificationMethod": methods,
        "authentication": [current],
        "assertionMethod": [method["id"] for method in methods],
        "keyAgreement": [_method(did, AGREEMENT_FRAGMENT, agreement_raw, agreement=True)],
    }
    if presentation_url is not None:
        document["service"] = [
            {
                "id": f"{did}#credentials",
                "type": PRESENTATION_SERVICE,
                "serviceEndpoint": presentation_url,
            }
        ]
    return document


def _ed25519(method: Any) -> Ed25519PublicKey:
    if not isinstance(method, dict) or not isinstance(method.get("publicKeyMultibase"), str):
        raise MalformedDid("verification method lacks publicKeyMultibase")
    try:
        return ed25519_public_from_raw(raw_from_multibase(method["publicKeyMultibase"]))
    except CryptoError as exc:
        raise MalformedDid(f"verification method key: {exc.message}") from exc


def _references(document: dict[str, Any], relation: str) -> list[str]:
    # DID Core §5.3: a relationship lists method ids (strings) or embedded methods.
    found = []
    for item in document.get(relation, []):
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            found.append(item["id"])
    return found


def _services(document: dict[str, Any]) -> dict[str, str]:
    services: dict[str, str] = {}
    for service in document.get("service", []):
        if (
            isinstance(service, dict)
            and isinstance(service.get("type"), str)
            and isinstance(service.get("serviceEndpoint"), str)
        ):
            services.setdefault(service["type"], service["serviceEndpoint"])
    return services


def parse_did_document(document: Any, *, expected_did: str) -> DidKeys:
    """Extract signing keys, the agreement key and services; ``id`` must be ``expected_did``."""
    if not isinstance(document, dict) or document.get("id") != expected_did:
        raise MalformedDid(f"DID document is not for {expected_did!r}")
    methods = document.get("verificationMethod")
    if not isinstance(methods, list) or not methods:
        raise MalformedDid("DID document has no verification method")
    by_id: dict[str, Ed25519PublicKey] = {}
    for method in methods:
        kid = method.get("id") if isinstance(method, dict) else None
        if not isinstance(kid, str) or not kid.startswith(f"{expected_did}#"):
            raise MalformedDid("verification method id must be a DID URL of this DID")
        by_id[kid] = _ed25519(method)
    assertion = {
        kid: by_id[kid] for kid in _references(document, "assertionMethod") if kid in by_id
    }
    authentication = frozenset(k for k in _references(document, "authentication") if k in by_id)
    # The current key is the first authentication key; a document without that
    # relationship (older form) falls back to its first method.
    current = next(iter(_references(document, "authentication")), None)
    if current not in by_id:
        current = next(iter(by_id))
    agreement: X25519PublicKey | None = None
    for entry in document.get("keyAgreement", []):
        if isinstance(entry, dict) and isinstance(entry.get("publicKeyMultibase"), str):
            try:
                raw = raw_from_multibase(entry["publicKeyMultibase"], agreement=True)
                agreement = x25519_public_from_raw(raw)
            except CryptoError as exc:
                raise MalformedDid(f"key agreement key: {exc.message}") from exc
            break
    return DidKeys(
        did=Did(expected_did),
        signing=by_id[current],
        agreement=agreement,
        signing_kid=current,
        assertion=assertion or {current: by_id[current]},
        authentication=authentication or frozenset({current}),
        services=_services(document),
    )


def did_key_url(did: str) -> str:
    """The DID URL of a did:key's only key (did:key method §3.1.2: fragment = identifier)."""
    bare = did.split("#", 1)[0]
    return f"{bare}#{bare.removeprefix('did:key:')}"


def keys_for_did_key(did: str) -> DidKeys:
    """did:key resolves without any lookup: the key is the identifier."""
    bare = did.split("#", 1)[0]
    try:
        signing: Ed25519PublicKey = public_key_from_did_key(bare)
    except CryptoError as exc:
        raise MalformedDid(f"{bare!r} is not an Ed25519 did:key: {exc.message}") from exc
    kid = did_key_url(bare)
    return DidKeys(
        did=Did(bare),
        signing=signing,
        agreement=None,
        signing_kid=kid,
        assertion={kid: signing},
        authentication=frozenset({kid}),
    )
