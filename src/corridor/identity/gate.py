"""The server side of signed requests: FastAPI dependencies that say who is calling.

Every party's app keeps a :class:`RequestGate` in ``app.state.gate``. Routes between
parties declare who may call them with :func:`allow`; the signature is verified once per
request (:func:`signed_caller`, cached by FastAPI for the request) and the caller's
credentials only when the rule needs them. Public routes (DID documents, status lists,
log reads, health) declare nothing and stay unsigned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from corridor.identity.callers import Access, Caller, Directory, access
from corridor.identity.errors import RequestSignatureInvalid
from corridor.identity.licensing import CredentialVerifier
from corridor.identity.signatures import RequestVerifier
from corridor.types import PartyKind


@dataclass(frozen=True)
class RequestGate:
    """Authenticates signed requests and authorises callers for one node."""

    verifier: RequestVerifier
    directory: Directory
    credentials: CredentialVerifier
    authorities: frozenset[str]
    """``host[:port]`` values this node answers as; a request signed for another is refused."""

    def authenticate(
        self, *, method: str, url: str, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> Caller:
        """Verify the request's signature and map its signer to a caller."""
        authority = url.split("://", 1)[-1].split("/", 1)[0].lower()
        if authority not in self.authorities:
            raise RequestSignatureInvalid(f"this node does not answer as {authority}")
        verified = self.verifier.verify(method=method, url=url, headers=headers, body=body)
        return self.directory.identify(did=verified.did, kid=verified.kid)

    def authorize(self, caller: Caller, rule: Access) -> Caller:
        """The caller, if ``rule`` admits it (checking credentials where it says so)."""
        needed = rule.required_credentials(caller)
        if needed:
            self.credentials.require(caller, needed)
        return caller


def _target_uri(request: Request) -> str:
    # RFC 9421 §2.2.2: the target URI as received; the raw path keeps percent-escapes
    # exactly as the client signed them (ASGI raw_path excludes the query string).
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    query = request.scope.get("query_string", b"").decode("latin-1")
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}{path}" + (f"?{query}" if query else "")


async def signed_caller(request: Request) -> Caller:
    """The verified caller of this request (verification runs off the event loop)."""
    known = getattr(request.state, "caller", None)
    if isinstance(known, Caller):
        return known
    gate: RequestGate = request.app.state.gate
    body = await request.body()
    caller = await run_in_threadpool(
        gate.authenticate,
        method=request.method,
        url=_target_uri(request),
        headers=request.headers.raw,
        body=body,
    )
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(signed_caller)]
"""A route parameter receiving the verified caller (any signer; authorise it yourself)."""


def allow(
    *,
    peers: Iterable[PartyKind] = (),
    licensed: Iterable[PartyKind] = (),
    operator: bool = False,
    patient: bool = False,
    methods: Iterable[str] | None = None,
) -> Any:
    """A dependency admitting only the callers the rule names; it returns the caller.

    Use it in a route's or router's ``dependencies=[allow(...)]`` or as a parameter
    ``caller: Annotated[Caller, allow(...)]``. With ``methods``, requests with other
    methods pass unchecked (the dependency returns None): a party root can guard the
    writes of a router whose reads are public (the log).
    """
    rule = access(peers=peers, licensed=licensed, operator=operator, patient=patient)
    if methods is None:

        def check(request: Request, caller: CallerDep) -> Caller:
            gate: RequestGate = request.app.state.gate
            return gate.authorize(caller, rule)

        return Depends(check)
    guarded = frozenset(method.upper() for method in methods)

    async def check_some(request: Request) -> Caller | None:
        if request.method not in guarded:
            return None
        caller = await signed_caller(request)
        gate: RequestGate = request.app.state.gate
        return await run_in_threadpool(gate.authorize, caller, rule)

    return Depends(check_some)
