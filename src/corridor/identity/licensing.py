"""Check that a caller holds a valid credential from the right jurisdiction's regulator.

The verifier fetches the caller's presentation from the service its DID document
announces, verifies it and every enveloped credential (signatures by DID URL through
the resolver), and checks each candidate credential in turn: the issuer is a regulator
this node trusts (its regulator peers), the credential names the caller and the kind of
institution the call needs, it is within its validity period, the issuer's Bitstring
Status List does not mark it revoked, and its jurisdiction is the issuing regulator's and
the caller's. Presentations, verdicts and status lists are cached for ``cache_seconds``:
that is how long a revocation may take to reach this node.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from corridor.clock import Clock
from corridor.errors import CorridorError, Unavailable
from corridor.identity.callers import Caller, Directory
from corridor.identity.client import VC_JWT_MEDIA_TYPE, VP_JWT_MEDIA_TYPE, fetch_token
from corridor.identity.credentials import (
    VC_JWT_TYPE,
    VP_JWT_TYPE,
    CredentialClaims,
    jwt_kid,
    parse_credential,
    parse_presentation,
    require_current,
    verify_jwt,
)
from corridor.identity.did import PRESENTATION_SERVICE
from corridor.identity.errors import (
    CredentialInvalid,
    CredentialMissing,
    CredentialRevoked,
    IdentityError,
    WrongJurisdiction,
)
from corridor.identity.resolver import HttpDidResolver
from corridor.identity.status_list import decode_status_list, encoded_list_of, is_set

_JOINT = "JOINT"
# Issuer and verifier clocks differ; a credential issued "just now" (often while this
# very check fetched the presentation) must not count as not yet valid.
_SKEW = timedelta(seconds=60)


@dataclass(frozen=True)
class _Entry:
    value: object
    until: datetime


class _TtlCache:
    def __init__(self) -> None:
        self._items: dict[object, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: object, now: datetime) -> object | None:
        with self._lock:
            entry = self._items.get(key)
            return entry.value if entry is not None and entry.until > now else None

    def put(self, key: object, value: object, until: datetime) -> None:
        with self._lock:
            self._items[key] = _Entry(value, until)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class CredentialVerifier:
    """Decides whether a caller is a licensed institution of the kind a call needs."""

    def __init__(
        self,
        *,
        http: httpx.Client,
        resolver: HttpDidResolver,
        directory: Directory,
        clock: Clock,
        jurisdiction: str,
        cache_seconds: float = 60,
    ) -> None:
        self._http = http
        self._resolver = resolver
        self._directory = directory
        self._clock = clock
        self._jurisdiction = jurisdiction
        self._ttl = timedelta(seconds=cache_seconds)
        self._presentations = _TtlCache()
        self._verdicts = _TtlCache()
        self._lists = _TtlCache()

    def forget(self) -> None:
        """Drop every cached presentation, verdict and status list."""
        for cache in (self._presentations, self._verdicts, self._lists):
            cache.clear()

    def require(self, caller: Caller, credential_types: tuple[str, ...]) -> CredentialClaims:
        """A valid credential of one of ``credential_types`` held by ``caller``, or raise."""
        now = self._clock.now()
        key = (caller.did, credential_types)
        cached = self._verdicts.get(key, now)
        if isinstance(cached, CredentialClaims):
            return cached
        try:
            presented = self._presented(caller.did, now)
        except Unavailable:
            raise
        except CorridorError as exc:
            raise CredentialMissing(
                f"cannot read the presentation of {caller.describe()}: {exc.message}"
            ) from exc
        failures: list[CorridorError] = []
        for token in presented:
            try:
                claims = self._check(token, caller, credential_types, now)
            except Unavailable:
                raise
            except CorridorError as exc:
                failures.append(exc)
                continue
            self._verdicts.put(key, claims, min(now + self._ttl, claims.valid_until))
            return claims
        wanted = " or ".join(credential_types)
        if failures:
            # The most specific refusal first: revoked, expired or wrong jurisdiction beat
            # "not the kind we need" so that the caller learns what to fix.
            failures.sort(key=lambda exc: isinstance(exc, CredentialMissing))
            first = failures[0]
            kind = type(first) if isinstance(first, IdentityError) else CredentialInvalid
            raise kind(
                f"{caller.describe()}: {first.message}",
                detail={"needs": wanted, "refusals": [f.message for f in failures]},
            )
        raise CredentialMissing(f"{caller.describe()} presents no {wanted} credential")

    def _presented(self, did: str, now: datetime) -> list[str]:
        cached = self._presentations.get(did, now)
        if isinstance(cached, list):
            return cached
        if not did.startswith("did:web:"):
            return []
        keys = self._resolver.resolve(did)
        endpoint = keys.services.get(PRESENTATION_SERVICE)
        if endpoint is None:
            return []
        token = fetch_token(
            self._http, self._resolver.locate(endpoint), media_type=VP_JWT_MEDIA_TYPE
        )
        kid = jwt_kid(token)
        if kid.split("#", 1)[0] != did:
            raise CredentialInvalid("the presentation is signed by another DID than the caller")
        payload = verify_jwt(token, self._resolver.resolve_key(kid), typ=VP_JWT_TYPE)
        tokens = parse_presentation(payload, kid=kid)
        self._presentations.put(did, tokens, now + self._ttl)
        return tokens

    def _check(
        self, token: str, caller: Caller, credential_types: tuple[str, ...], now: datetime
    ) -> CredentialClaims:
        kid = jwt_kid(token)
        issuer = kid.split("#", 1)[0]
        regulators = self._directory.regulators
        if issuer not in regulators:
            raise CredentialMissing(f"a credential from {issuer}, which this node does not trust")
        claims = parse_credential(
            verify_jwt(token, self._resolver.resolve_key(kid), typ=VC_JWT_TYPE), kid=kid
        )
        if claims.holder != caller.did:
            raise CredentialInvalid(f"credential {claims.id} names another holder")
        if claims.credential_type not in credential_types:
            raise CredentialMissing(f"credential {claims.id} is a {claims.credential_type}")
        require_current(claims, at=now, leeway=_SKEW)
        self._require_jurisdiction(claims, caller, regulators[issuer])
        if self._is_revoked(claims, now):
            raise CredentialRevoked(f"credential {claims.id} is revoked by {claims.issuer}")
        return claims

    def _require_jurisdiction(
        self, claims: CredentialClaims, caller: Caller, issuer_jurisdiction: str
    ) -> None:
        # A regulator licenses only in its own jurisdiction.
        if claims.jurisdiction != issuer_jurisdiction:
            raise WrongJurisdiction(
                f"{claims.issuer} regulates {issuer_jurisdiction}, "
                f"not {claims.jurisdiction} where the credential places the holder"
            )
        # A configured peer must be licensed where this node's settings say it operates.
        expected = caller.jurisdiction
        if expected and expected not in (_JOINT, claims.jurisdiction):
            raise WrongJurisdiction(
                f"{caller.describe()} operates in {expected}, "
                f"but its credential is from the {claims.jurisdiction} regulator"
            )
        # The joint data center serves both sides: each side wants its own regulator's word.
        if (
            expected == _JOINT
            and self._jurisdiction in self._directory.regulators.values()
            and claims.jurisdiction != self._jurisdiction
        ):
            raise WrongJurisdiction(
                f"{caller.describe()} must be accredited by the {self._jurisdiction} regulator"
            )

    def _is_revoked(self, claims: CredentialClaims, now: datetime) -> bool:
        url = self._resolver.locate(claims.status.list_url)
        bits = self._lists.get(url, now)
        if not isinstance(bits, bytes):
            token = fetch_token(self._http, url, media_type=VC_JWT_MEDIA_TYPE)
            kid = jwt_kid(token)
            if kid.split("#", 1)[0] != claims.issuer:
                raise CredentialInvalid("the status list is signed by another DID than the issuer")
            payload = verify_jwt(token, self._resolver.resolve_key(kid), typ=VC_JWT_TYPE)
            bits = decode_status_list(
                encoded_list_of(payload, list_url=claims.status.list_url, issuer=claims.issuer)
            )
            self._lists.put(url, bits, now + self._ttl)
        return is_set(bits, claims.status.index)
