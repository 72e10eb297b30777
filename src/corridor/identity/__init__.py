"""Digital identity: DIDs, node keys, credentials, signed requests, wallets.

Pure parts (``did``, ``sealing``, ``credentials``, ``status_list``, ``callers``) import no
database, web or HTTP code; ``resolver``, ``keystore``, ``signatures``, ``licensing``,
``holder``, ``issuer``, ``gate`` and ``routes`` are the adapters around them.
"""

from corridor.identity.callers import Access, Caller, Directory, KnownParty, access
from corridor.identity.credentials import (
    ACCREDITED_DATA_CENTER,
    CREDENTIAL_FOR_PARTY,
    LICENSED_PROVIDER,
    CredentialClaims,
)
from corridor.identity.did import (
    DidKeys,
    build_did_document,
    did_document_url,
    did_key_url,
    did_web_for_url,
    did_web_host,
    parse_did_document,
)
from corridor.identity.errors import (
    CallerNotAllowed,
    CredentialExpired,
    CredentialMissing,
    CredentialRevoked,
    IdentityError,
    KeyStoreLocked,
    RequestReplayed,
    RequestSignatureInvalid,
    RequestStale,
    RequestUnsigned,
    UnknownDid,
    UnknownKey,
    WalletError,
    WrongJurisdiction,
)
from corridor.identity.holder import CredentialHolder
from corridor.identity.issuer import IssuerContext, Licence
from corridor.identity.keystore import FileKeyStore, NodeKeys, SealedKeyStore, SqlKeyStore
from corridor.identity.licensing import CredentialVerifier
from corridor.identity.resolver import DidResolver, HttpDidResolver, StaticDidResolver
from corridor.identity.signatures import RequestSigner, RequestVerifier, SignerByOrigin
from corridor.identity.wallet import create_wallet, load_or_create_wallet, open_wallet, wallet_info

__all__ = [
    "ACCREDITED_DATA_CENTER",
    "CREDENTIAL_FOR_PARTY",
    "LICENSED_PROVIDER",
    "Access",
    "Caller",
    "CallerNotAllowed",
    "CredentialClaims",
    "CredentialExpired",
    "CredentialHolder",
    "CredentialMissing",
    "CredentialRevoked",
    "CredentialVerifier",
    "DidKeys",
    "DidResolver",
    "Directory",
    "FileKeyStore",
    "HttpDidResolver",
    "IdentityError",
    "IssuerContext",
    "KeyStoreLocked",
    "KnownParty",
    "Licence",
    "NodeKeys",
    "RequestReplayed",
    "RequestSignatureInvalid",
    "RequestSigner",
    "RequestStale",
    "RequestUnsigned",
    "RequestVerifier",
    "SealedKeyStore",
    "SignerByOrigin",
    "SqlKeyStore",
    "StaticDidResolver",
    "UnknownDid",
    "UnknownKey",
    "WalletError",
    "WrongJurisdiction",
    "access",
    "build_did_document",
    "create_wallet",
    "did_document_url",
    "did_key_url",
    "did_web_for_url",
    "did_web_host",
    "load_or_create_wallet",
    "open_wallet",
    "parse_did_document",
    "wallet_info",
]
