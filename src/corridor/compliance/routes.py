"""HTTP API of the regulator's filings registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from corridor.compliance.schemas import FilingRequest, FilingResponse
from corridor.compliance.service import ComplianceContext, register_filing, require_filing

router = APIRouter(prefix="/api/compliance", tags=["compliance"])


def _context(request: Request) -> ComplianceContext:
    context: ComplianceContext = request.app.state.compliance
    return context


ContextDep = Annotated[ComplianceContext, Depends(_context)]


@router.post("/filings", status_code=status.HTTP_201_CREATED)
def file_transfer(body: FilingRequest, context: ContextDep) -> FilingResponse:
    """Register a filing, decide on it and record both on the chain."""
    return register_filing(context=context, request=body)


@router.get("/filings/{transfer}")
def read_filing(transfer: str, context: ContextDep) -> FilingResponse:
    """The filing and decision for one transfer."""
    return require_filing(context=context, transfer=transfer)
