"""Typed clients for the transfer APIs of hospitals, the data center and the portal."""

from __future__ import annotations

from typing import Any

import httpx

from corridor.errors import Unavailable
from corridor.transfers.schemas import (
    DeliveryPackage,
    DepositRequest,
    PatientRequest,
    RevocationRequest,
    TransferRequest,
    TransferStatus,
)
from corridor.transport import raise_for_problem


class _Api:
    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str, *, json: Any = None) -> httpx.Response:
        try:
            response = self._client.request(method, f"{self.base_url}{path}", json=json)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.base_url} unreachable: {exc}") from exc
        raise_for_problem(response)
        return response

    def status(self, transfer: str) -> TransferStatus:
        """This party's view of ``transfer``."""
        return TransferStatus.model_validate(self._call("GET", f"/api/transfers/{transfer}").json())


class HttpHospitalClient(_Api):
    """A hospital's transfer API: as sender (steps 2-3) and as recipient (step 5)."""

    def submit(self, request: TransferRequest) -> TransferStatus:
        """Hand a consented transfer request to the hospital (from the portal)."""
        response = self._call("POST", "/api/transfers", json=request.model_dump(mode="json"))
        return TransferStatus.model_validate(response.json())

    def file(self, transfer: str) -> TransferStatus:
        """Step 2: file with both regulators."""
        return TransferStatus.model_validate(
            self._call("POST", f"/api/transfers/{transfer}/file").json()
        )

    def upload(self, transfer: str) -> TransferStatus:
        """Step 3: extract, encrypt and upload to the data center."""
        return TransferStatus.model_validate(
            self._call("POST", f"/api/transfers/{transfer}/upload").json()
        )

    def receive(self, transfer: str) -> TransferStatus:
        """Step 5: fetch, verify and decrypt the enclave's output."""
        return TransferStatus.model_validate(
            self._call("POST", f"/api/transfers/{transfer}/receive").json()
        )

    def open_record(self, transfer: str, *, viewer: str) -> dict[str, Any]:
        """Step 5: show the delivered record to a clinician (recorded as evidence)."""
        response = self._call("POST", f"/api/transfers/{transfer}/views", json={"viewer": viewer})
        body = response.json()
        assert isinstance(body, dict)
        return body


class HttpCenterClient(_Api):
    """The data center's transfer API."""

    def deposit(self, request: DepositRequest) -> TransferStatus:
        """Step 3: register the uploaded ciphertext and its sealed key."""
        response = self._call(
            "POST",
            f"/api/transfers/{request.transfer}/deposit",
            json=request.model_dump(mode="json"),
        )
        return TransferStatus.model_validate(response.json())

    def process(self, transfer: str) -> TransferStatus:
        """Step 4: attest, release the key and run the enclave job."""
        return TransferStatus.model_validate(
            self._call("POST", f"/api/transfers/{transfer}/process").json()
        )

    def package(self, transfer: str) -> DeliveryPackage:
        """Step 5: the enclave's output for the recipient."""
        return DeliveryPackage.model_validate(
            self._call("GET", f"/api/transfers/{transfer}/package").json()
        )


class HttpPortalClient(_Api):
    """The patient portal's API."""

    def request_transfer(self, request: PatientRequest) -> TransferStatus:
        """Step 1: submit the patient's signed consent."""
        response = self._call("POST", "/api/transfers", json=request.model_dump(mode="json"))
        return TransferStatus.model_validate(response.json())

    def revoke(self, transfer: str, request: RevocationRequest) -> TransferStatus:
        """Withdraw consent for ``transfer``."""
        response = self._call(
            "POST",
            f"/api/transfers/{transfer}/revocation",
            json=request.model_dump(mode="json"),
        )
        return TransferStatus.model_validate(response.json())
