"""A node's own credentials: obtained from its regulators, presented to whoever asks.

At start-up a node holds nothing. The first time a verifier fetches its presentation
(``/.well-known/presentation``, announced in its DID document as a Linked Verifiable
Presentation service), the node asks each of its regulators for the credential its kind
needs; regulators issue on request to DIDs their settings list as licensed. Credentials
are kept in memory until shortly before they expire, then asked for again; a regulator
that cannot be reached is asked again on the next presentation.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jws
from joserfc.errors import JoseError

from corridor.clock import Clock, from_rfc3339
from corridor.crypto.keys import SigningKeyPair
from corridor.errors import CorridorError
from corridor.identity.client import HttpIssuerClient
from corridor.identity.credentials import VP_JWT_TYPE, build_presentation, sign_jwt

_LOG = logging.getLogger(__name__)
_RENEW_BEFORE = timedelta(days=1)


@dataclass(frozen=True)
class _Held:
    token: str
    valid_until: datetime


def _valid_until(token: str) -> datetime:
    # The holder reads its own credential's end of validity; verifiers check everything.
    try:
        payload = json.loads(jws.extract_compact(token.encode("ascii")).payload)
        return from_rfc3339(str(payload["validUntil"]))
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise CorridorError("a regulator answered with an unreadable credential") from exc


class CredentialHolder:
    """Obtains, keeps and presents the credentials of one node."""

    def __init__(
        self,
        *,
        did: str,
        key: SigningKeyPair,
        kid: str,
        clock: Clock,
        issuers: Sequence[HttpIssuerClient],
        credential_type: str | None,
    ) -> None:
        self._did = did
        self._key = key
        self._kid = kid
        self._clock = clock
        self._issuers = list(issuers)
        self._type = credential_type
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CredentialHolder({self._did}, {self._type})"

    def credentials(self) -> list[str]:
        """The node's current credentials, asking regulators for missing or ageing ones."""
        if self._type is None:
            return []
        now = self._clock.now()
        with self._lock:
            for issuer in self._issuers:
                held = self._held.get(issuer.base_url)
                if held is not None and held.valid_until - _RENEW_BEFORE > now:
                    continue
                try:
                    token = issuer.request_credential(self._type)
                    self._held[issuer.base_url] = _Held(token, _valid_until(token))
                except CorridorError as exc:
                    _LOG.warning("no %s from %s yet: %s", self._type, issuer.base_url, exc.message)
            return [held.token for held in self._held.values() if held.valid_until > now]

    def forget(self) -> None:
        """Drop every held credential (the next presentation asks the regulators again)."""
        with self._lock:
            self._held.clear()

    def presentation(self) -> str:
        """A VP-JWT signed by the node, enveloping its credentials (VC-JOSE-COSE §3.2)."""
        return sign_jwt(
            build_presentation(self._did, self.credentials()),
            self._key,
            kid=self._kid,
            typ=VP_JWT_TYPE,
        )
