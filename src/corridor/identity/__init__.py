"""Digital identity: DIDs for institutions and patients, node keys, DID resolution."""

from corridor.identity.did import (
    DidKeys,
    build_did_document,
    did_document_url,
    did_web_for_url,
    parse_did_document,
)
from corridor.identity.errors import IdentityError, UnknownDid
from corridor.identity.keystore import FileKeyStore, NodeKeys
from corridor.identity.resolver import DidResolver, HttpDidResolver, StaticDidResolver

__all__ = [
    "DidKeys",
    "DidResolver",
    "FileKeyStore",
    "HttpDidResolver",
    "IdentityError",
    "NodeKeys",
    "StaticDidResolver",
    "UnknownDid",
    "build_did_document",
    "did_document_url",
    "did_web_for_url",
    "parse_did_document",
]
