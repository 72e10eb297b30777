"""HTTP APIs of privacy jobs: the data center's job API and a hospital's participation API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, status

from corridor.privacy.budget import budget_status
from corridor.privacy.coordinator import CoordinatorContext, create_job, job_status, run_job
from corridor.privacy.participant import (
    ParticipantContext,
    accept_job,
    finish_job,
    respond_to_phase,
)
from corridor.privacy.wire import from_wire, to_wire
from corridor.state import from_state

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{8,64}$")]
Phase = Annotated[str, Path(pattern=r"^[a-z]{2,16}$")]
Json = Annotated[dict[str, Any], Body()]


CoordinatorDep = Annotated[CoordinatorContext, Depends(from_state("privacy"))]
ParticipantDep = Annotated[ParticipantContext, Depends(from_state("privacy"))]

center_router = APIRouter(prefix="/api/privacy", tags=["privacy"])


@center_router.post("/jobs", status_code=status.HTTP_201_CREATED)
def submit_job(body: Json, context: CoordinatorDep) -> dict[str, Any]:
    """Create a job from its spec and gather every participant's signed acceptance."""
    return create_job(context=context, spec_json=body)


@center_router.post("/jobs/{job}/run")
def start_job(job: JobId, context: CoordinatorDep) -> dict[str, Any]:
    """Run an accepted job: rounds, DP release, measurement and value statement."""
    return run_job(context=context, job=job)


@center_router.get("/jobs/{job}")
def read_job(job: JobId, context: CoordinatorDep) -> dict[str, Any]:
    """A job's state, acceptances and result."""
    return job_status(context=context, job=job)


@center_router.get("/budgets")
def read_budget(
    context: CoordinatorDep,
    dataset: Annotated[str, Query(min_length=1, max_length=128)],
    consumer: Annotated[str, Query(min_length=1, max_length=128)],
) -> dict[str, object]:
    """What a consumer has spent and has left of a dataset's privacy budget."""
    return budget_status(
        database=context.database, limits=context.limits, dataset=dataset, consumer=consumer
    ).to_json()


hospital_router = APIRouter(prefix="/api/privacy/participations", tags=["privacy"])


@hospital_router.post("", status_code=status.HTTP_201_CREATED)
def accept(body: Json, context: ParticipantDep) -> dict[str, Any]:
    """Accept a job the data center coordinates; answers the signed acceptance."""
    return accept_job(
        context=context, spec_json=body.get("spec", {}), coordinator=str(body.get("coordinator"))
    )


@hospital_router.post("/{job}/rounds/{round_number}/{phase}")
def answer_phase(
    job: JobId,
    round_number: Annotated[int, Path(ge=0, le=10_000)],
    phase: Phase,
    body: Json,
    context: ParticipantDep,
) -> Any:
    """Answer one protocol phase of one round."""
    answer = respond_to_phase(
        context=context, job=job, round_number=round_number, phase=phase, message=from_wire(body)
    )
    return to_wire(answer)


@hospital_router.post("/{job}/finish", status_code=status.HTTP_204_NO_CONTENT)
def finish(job: JobId, context: ParticipantDep) -> None:
    """Forget the job's round secrets."""
    finish_job(context=context, job=job)
