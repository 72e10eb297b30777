"""Who is calling: a verified request signer mapped to a party, and who may call what.

Pure. A node knows its peers (settings ``peers``: DID, kind, jurisdiction) and its
operators (settings ``operators``: the ``did:key`` of each person allowed to drive the
node). A verified signer is one of those, a patient (any other ``did:key``: patients are
not registered anywhere, their consent documents say who they are), or an institution
the node has not been configured with, which can still prove what it is with a credential
from a regulator the node trusts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from corridor.identity.credentials import CREDENTIAL_FOR_PARTY
from corridor.identity.errors import CallerNotAllowed
from corridor.types import PartyKind

CallerRole = Literal["peer", "operator", "patient", "institution"]


@dataclass(frozen=True)
class KnownParty:
    """A peer from the node's settings."""

    did: str
    kind: PartyKind
    name: str
    jurisdiction: str


@dataclass(frozen=True)
class Caller:
    """The verified signer of a request and what the node knows about it."""

    did: str
    kid: str
    role: CallerRole
    kind: PartyKind | None = None
    name: str = ""
    jurisdiction: str = ""

    def describe(self) -> str:
        """A short human name for problem details and logs."""
        return f"{self.name or self.role} ({self.did})"


class Directory:
    """The parties a node knows, by DID."""

    def __init__(self, *, peers: Iterable[KnownParty], operators: Iterable[str]) -> None:
        self._peers = {peer.did: peer for peer in peers}
        self._operators = frozenset(operators)

    def identify(self, *, did: str, kid: str) -> Caller:
        """Map a verified signer to a caller."""
        peer = self._peers.get(did)
        if peer is not None:
            return Caller(
                did=did,
                kid=kid,
                role="peer",
                kind=peer.kind,
                name=peer.name,
                jurisdiction=peer.jurisdiction,
            )
        if did in self._operators:
            return Caller(did=did, kid=kid, role="operator", name="operator")
        if did.startswith("did:key:"):
            return Caller(did=did, kid=kid, role="patient", name="patient")
        return Caller(did=did, kid=kid, role="institution")

    def peer(self, did: str) -> KnownParty | None:
        """The configured peer with this DID, if any."""
        return self._peers.get(did)

    @property
    def regulators(self) -> Mapping[str, str]:
        """Trusted credential issuers: each regulator peer's DID and jurisdiction."""
        return {
            peer.did: peer.jurisdiction for peer in self._peers.values() if peer.kind == "regulator"
        }


@dataclass(frozen=True)
class Access:
    """Who may make a call.

    ``peers``: configured peers of these kinds, on their configuration alone.
    ``licensed``: institutions of these kinds (configured or not) that present a valid
    credential for the kind from the right regulator; this also applies to configured
    peers of those kinds, so a licence revoked by the regulator locks out a peer too.
    ``operator``: the node's operators. ``patient``: any patient ``did:key``.
    """

    peers: frozenset[PartyKind] = frozenset()
    licensed: frozenset[PartyKind] = frozenset()
    operator: bool = False
    patient: bool = False

    def required_credentials(self, caller: Caller) -> tuple[str, ...]:
        """The credential types the caller must present (empty: allowed as it is).

        Raises :class:`CallerNotAllowed` when no rule admits the caller at all.
        """
        if caller.role == "operator" and self.operator:
            return ()
        if caller.role == "patient" and self.patient:
            return ()
        if caller.role == "peer" and caller.kind is not None:
            if caller.kind in self.licensed:
                return (CREDENTIAL_FOR_PARTY[caller.kind],)
            if caller.kind in self.peers:
                return ()
        if caller.role == "institution" and self.licensed:
            return tuple(CREDENTIAL_FOR_PARTY[kind] for kind in sorted(self.licensed))
        raise CallerNotAllowed(
            f"{caller.describe()} may not make this call",
            detail={"allowed": self.summary()},
        )

    def summary(self) -> list[str]:
        """Who is allowed, in words, for problem details."""
        parts = [f"{kind} peers" for kind in sorted(self.peers)]
        parts += [f"licensed {kind}s" for kind in sorted(self.licensed)]
        if self.operator:
            parts.append("operators")
        if self.patient:
            parts.append("patients")
        return parts


def access(
    *,
    peers: Iterable[PartyKind] = (),
    licensed: Iterable[PartyKind] = (),
    operator: bool = False,
    patient: bool = False,
) -> Access:
    """Build an :class:`Access` rule from plain iterables."""
    return Access(
        peers=frozenset(peers), licensed=frozenset(licensed), operator=operator, patient=patient
    )
