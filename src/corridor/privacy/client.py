"""Typed HTTP clients: the data center reaching hospitals, and anyone reaching the data center."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from corridor.errors import CorridorError, Unavailable
from corridor.identity import did_document_url
from corridor.privacy.errors import ParticipantDropped
from corridor.privacy.wire import from_wire, to_wire
from corridor.transport import raise_for_problem

_DID_PATH = "/.well-known/did.json"


def node_url(did: str) -> str:
    """The base URL of a did:web node (its DID document lives at /.well-known/did.json)."""
    document = did_document_url(did)
    return (
        document[: -len(_DID_PATH)] if document.endswith(_DID_PATH) else document.rsplit("/", 1)[0]
    )


def _post(client: httpx.Client, url: str, body: Any) -> Any:
    try:
        response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url} unreachable: {exc}") from exc
    raise_for_problem(response)
    return response.json() if response.content else None


class HttpParticipants:
    """How the data center reaches the hospitals of a job (by their did:web)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def accept(self, participant: str, spec: Mapping[str, Any], coordinator: str) -> dict[str, Any]:
        """Ask ``participant`` to accept the job; returns its signed acceptance."""
        url = f"{node_url(participant)}/api/privacy/participations"
        answer = _post(self._client, url, {"spec": dict(spec), "coordinator": coordinator})
        assert isinstance(answer, dict)
        return answer

    def exchange(
        self, participant: str, job: str, round_number: int, phase: str, message: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One protocol phase; any failure means the participant dropped out of the round."""
        base = f"{node_url(participant)}/api/privacy/participations/{job}"
        url = f"{base}/rounds/{round_number}/{phase}"
        try:
            answer = from_wire(_post(self._client, url, to_wire(message)))
        except CorridorError as exc:
            raise ParticipantDropped(
                f"{participant} dropped out of {phase!r}", detail={"cause": exc.message}
            ) from exc
        if not isinstance(answer, dict):
            raise ParticipantDropped(f"{participant} answered {phase!r} with a non-object")
        return answer

    def finish(self, participant: str, job: str) -> None:
        """Tell a participant the job is over (it forgets round secrets); best effort."""
        try:
            _post(
                self._client, f"{node_url(participant)}/api/privacy/participations/{job}/finish", {}
            )
        except CorridorError:
            return


class RoundChannel:
    """A :class:`~corridor.privacy.aggregation.PartyChannel` for one round of one job."""

    def __init__(self, participants: HttpParticipants, job: str, round_number: int) -> None:
        self._participants = participants
        self._job = job
        self._round = round_number

    def exchange(self, participant: str, phase: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Deliver the phase message over HTTP."""
        return self._participants.exchange(participant, self._job, self._round, phase, message)


class HttpPrivacyClient:
    """The data center's privacy API, as the CLI and other parties use it."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")

    def create(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a job spec; the data center gathers every participant's acceptance."""
        answer = _post(self._client, f"{self.base_url}/api/privacy/jobs", dict(spec))
        assert isinstance(answer, dict)
        return answer

    def run(self, job: str) -> dict[str, Any]:
        """Run an accepted job to its release and measurement."""
        answer = _post(self._client, f"{self.base_url}/api/privacy/jobs/{job}/run", {})
        assert isinstance(answer, dict)
        return answer

    def status(self, job: str) -> dict[str, Any]:
        """The job's state and, once run, its result."""
        try:
            response = self._client.get(f"{self.base_url}/api/privacy/jobs/{job}")
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.base_url} unreachable: {exc}") from exc
        raise_for_problem(response)
        answer = response.json()
        assert isinstance(answer, dict)
        return answer

    def budget(self, dataset: str, consumer: str) -> dict[str, Any]:
        """What ``consumer`` has left of ``dataset``'s privacy budget."""
        try:
            response = self._client.get(
                f"{self.base_url}/api/privacy/budgets",
                params={"dataset": dataset, "consumer": consumer},
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.base_url} unreachable: {exc}") from exc
        raise_for_problem(response)
        answer = response.json()
        assert isinstance(answer, dict)
        return answer
