"""What the pages of one node know about it: name, party, DID, directory, evidence source."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import urlsplit

from corridor.clock import Clock
from corridor.identity import DidResolver
from corridor.storage.database import Database
from corridor.types import PartyKind
from corridor.web.evidence import EvidenceSource


@dataclass(frozen=True)
class Institution:
    """A party in this node's directory (its configured peers)."""

    name: str
    kind: PartyKind
    did: str
    jurisdiction: str
    display_name: str

    @property
    def label(self) -> str:
        """How pages name it."""
        return self.display_name or self.name


@dataclass(frozen=True)
class WebContext:
    """Collaborators of a node's pages (``app.state.web``)."""

    database: Database
    clock: Clock
    party: PartyKind
    name: str
    display_name: str
    did: str
    jurisdiction: str
    public_url: str
    resolver: DidResolver
    evidence: EvidenceSource
    directory: tuple[Institution, ...] = field(default_factory=tuple)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the public URL (RFC 6454 §6.2 serialisation)."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` on HTTPS and on loopback, a secure context for browsers.

        (W3C Secure Contexts §3.1: http://127.0.0.1 and http://localhost are potentially
        trustworthy, and browsers accept Secure cookies from them.)
        """
        parts = urlsplit(self.public_url)
        if parts.scheme == "https":
            return True
        host = parts.hostname or ""
        if host == "localhost":
            return True
        try:
            return ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def cookie_name(self) -> str:
        """One cookie per node: parties on one host (ports differ) must not share sessions.

        Cookies ignore ports (RFC 6265 §8.5), so the name carries the node's name; the
        ``__Host-`` prefix pins it to this host, path ``/`` and Secure (RFC 6265bis §4.1.3.2).
        """
        base = f"corridor-{self.name}"
        return f"__Host-{base}" if self.secure_cookies else base

    @property
    def label(self) -> str:
        """How pages name this node."""
        return self.display_name or self.name

    def institution(self, did: str) -> Institution | None:
        """The directory entry with this DID (this node included)."""
        if did == self.did:
            return Institution(self.name, self.party, self.did, self.jurisdiction, self.label)
        return next((item for item in self.directory if item.did == did), None)

    def label_of(self, did: str) -> str:
        """A person-readable name for a DID: the directory's, else the DID itself."""
        known = self.institution(did)
        return known.label if known is not None else did
