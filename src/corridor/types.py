"""Names shared across domains, so signatures say what a string means."""

from __future__ import annotations

from typing import Literal, NewType

Did = NewType("Did", str)
"""A decentralized identifier (``did:web:...`` for institutions, ``did:key:...`` for patients)."""

HexDigest = NewType("HexDigest", str)
"""Lower-case hex SHA-256 digest."""

TransferId = NewType("TransferId", str)
"""Opaque identifier of one cross-border transfer (a UUID4 string)."""

PartyKind = Literal["hospital", "datacenter", "regulator", "portal"]
"""The kinds of node; hospital A and B are two configurations of ``hospital``."""

Environment = Literal["local", "test", "production"]
