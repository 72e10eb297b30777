"""HTTP Message Signatures (RFC 9421) on every call between parties.

A request is signed with the caller's Ed25519 key; ``keyid`` is the DID URL of that key.
The signature covers ``@method``, ``@target-uri`` and ``content-digest`` (RFC 9530,
SHA-256 of the body, present even for an empty body) and its parameters ``created``,
``keyid``, ``alg``, ``nonce`` and ``tag`` (RFC 9421 §2.3). The server resolves the key
through the DID resolver (an ``authentication`` key of the DID: a retired key can no
longer sign requests), refuses a ``created`` outside its window and a nonce it has seen
within the window: RFC 9421 §7.2.2 leaves replay protection to the application.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from corridor.clock import Clock
from corridor.crypto.keys import SigningKeyPair
from corridor.errors import CorridorError, Unavailable
from corridor.identity.errors import (
    RequestReplayed,
    RequestSignatureInvalid,
    RequestStale,
    RequestUnsigned,
)
from corridor.identity.resolver import DidResolver

SIGNATURE_LABEL = "corridor"
SIGNATURE_TAG = "corridor"
COVERED_COMPONENTS = ("@method", "@target-uri", "content-digest")
_NONCE_BYTES = 16
_MAX_NONCE_CHARS = 64
_MAX_NONCES = 200_000


@dataclass(frozen=True)
class _Message:
    """The request view the library signs and verifies (method, absolute URL, headers)."""

    method: str
    url: str
    headers: Any


class _ReadOnlyHeaders:
    """Field lines of a received request, as the library's ``items()`` interface wants them."""

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._fields = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(name for name, _ in self._fields))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._fields)


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key: SigningKeyPair) -> None:
        self._key = key

    def resolve_private_key(self, key_id: str) -> Any:
        del key_id
        return self._key.private

    def resolve_public_key(self, key_id: str) -> Any:
        del key_id
        return self._key.public


class RequestSigner(httpx.Auth):
    """An httpx ``Auth`` that signs every request with one key (the node's or an operator's)."""

    requires_request_body = True

    def __init__(self, key: SigningKeyPair, *, kid: str, clock: Clock) -> None:
        self._kid = kid
        self._clock = clock
        self._signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(key)
        )

    def __repr__(self) -> str:
        return f"RequestSigner({self._kid})"

    def sign(self, request: httpx.Request) -> None:
        """Add ``Content-Digest``, ``Signature-Input`` and ``Signature`` to ``request``."""
        for name in ("content-digest", "signature", "signature-input"):
            request.headers.pop(name, None)
        self._signer.sign(
            _Message(request.method, str(request.url), request.headers),
            key_id=self._kid,
            created=self._clock.now(),
            nonce=secrets.token_urlsafe(_NONCE_BYTES),
            label=SIGNATURE_LABEL,
            tag=SIGNATURE_TAG,
            covered_component_ids=("@method", "@target-uri"),
            body=request.content,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign, then send."""
        self.sign(request)
        yield request


class SignerByOrigin(httpx.Auth):
    """Signs with the key registered for the request's origin; others go unsigned.

    For a person driving several parties (the demo's operators): each party accepts its
    own operator's key only.
    """

    requires_request_body = True

    def __init__(self, signers: Mapping[str, RequestSigner]) -> None:
        self._signers = {_origin(url): signer for url, signer in signers.items()}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign with the origin's key if one is registered."""
        signer = self._signers.get(_origin(str(request.url)))
        if signer is not None:
            signer.sign(request)
        yield request


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port or ''}"


class NonceCache:
    """Nonces seen inside the window, per key; in memory (one process per party)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def remember(self, kid: str, nonce: str, *, until: datetime, now: datetime) -> bool:
        """Record ``nonce``; False when it was already seen (a replay)."""
        with self._lock:
            if len(self._seen) > _MAX_NONCES // 2:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            if len(self._seen) >= _MAX_NONCES:
                # Fail closed: a flood of fresh nonces must not evict live ones.
                return False
            if (kid, nonce) in self._seen and self._seen[(kid, nonce)] > now:
                return False
            self._seen[(kid, nonce)] = until
            return True


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose signature verified: who signed, with which key, when."""

    did: str
    kid: str
    created: datetime


class _DidKeys(HTTPSignatureKeyResolver):
    """Looks a ``keyid`` up through the DID resolver; remembers a resolution failure."""

    def __init__(self, resolver: DidResolver) -> None:
        self._resolver = resolver
        self.failure: CorridorError | None = None

    def resolve_public_key(self, key_id: str) -> Any:
        if not isinstance(key_id, str) or "#" not in key_id:
            return None
        try:
            return self._resolver.resolve_key(key_id, purpose="authentication")
        except CorridorError as exc:
            self.failure = exc
            return None

    def resolve_private_key(self, key_id: str) -> Any:
        raise NotImplementedError("a verifier holds no private keys")


class _ClockedVerifier(HTTPMessageVerifier):
    """The library checks ``created`` against the wall clock; ours takes the node's clock."""

    def __init__(self, *, resolver: _DidKeys, clock: Clock, window: timedelta) -> None:
        super().__init__(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
        self._clock = clock
        self._window = window

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        del max_age
        created = sig_input.params.get("created")
        if type(created) is not int:
            raise RequestStale("the signature has no created time")
        at = datetime.fromtimestamp(created, tz=UTC)
        now = self._clock.now()
        # Clock skew allowance both ways; older than the window is stale (RFC 9421 §7.2.2).
        if at > now + _SKEW or at < now - self._window:
            raise RequestStale(f"the signature was created at {at.isoformat()}, outside the window")
        expires = sig_input.params.get("expires")
        if expires is not None and datetime.fromtimestamp(int(expires), tz=UTC) < now - _SKEW:
            raise RequestStale("the signature has expired")


_SKEW = timedelta(seconds=30)


class RequestVerifier:
    """Verifies the RFC 9421 signature of a received request and refuses replays."""

    def __init__(self, *, resolver: DidResolver, clock: Clock, window_seconds: float = 300) -> None:
        self._resolver = resolver
        self._clock = clock
        self._window = timedelta(seconds=window_seconds)
        self._nonces = NonceCache()

    def verify(
        self, *, method: str, url: str, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> VerifiedRequest:
        """Check signature, coverage, digest, window and nonce; say who signed."""
        view = _ReadOnlyHeaders(headers)
        if "signature" not in view or "signature-input" not in view:
            raise RequestUnsigned("this call needs an HTTP message signature (RFC 9421)")
        keys = _DidKeys(self._resolver)
        verifier = _ClockedVerifier(resolver=keys, clock=self._clock, window=self._window)
        try:
            results = verifier.verify(
                _Message(method.upper(), url, view),
                max_age=None,
                expect_tag=SIGNATURE_TAG,
                require_components=COVERED_COMPONENTS,
                body=body,
            )
        except RequestStale:
            raise
        except (InvalidSignature, HTTPMessageSignaturesException) as exc:
            if keys.failure is not None:
                if isinstance(keys.failure, Unavailable):
                    raise keys.failure from exc
                raise RequestSignatureInvalid(
                    f"cannot resolve the signing key: {keys.failure.message}"
                ) from exc
            cause = exc.__cause__
            if isinstance(cause, RequestStale):
                raise cause from None
            raise RequestSignatureInvalid(f"the request signature does not verify: {exc}") from exc
        if len(results) != 1:
            raise RequestSignatureInvalid("exactly one corridor signature is expected")
        params = results[0].parameters
        kid, nonce = str(params.get("keyid", "")), results[0].nonce
        if not nonce or len(nonce) > _MAX_NONCE_CHARS:
            raise RequestSignatureInvalid("the signature must carry a nonce")
        created = datetime.fromtimestamp(int(params["created"]), tz=UTC)
        now = self._clock.now()
        if not self._nonces.remember(kid, nonce, until=created + self._window + _SKEW, now=now):
            raise RequestReplayed("this request was already received (nonce seen before)")
        return VerifiedRequest(did=kid.split("#", 1)[0], kid=kid, created=created)
