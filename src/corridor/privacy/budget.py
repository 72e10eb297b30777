"""The privacy-budget ledger: per dataset and consumer, persisted, refusing when spent.

Budgets compose basically: a release of (epsilon, delta) adds both to what was spent
(Dwork and Roth 2014, Thm 3.16). A budget row is created with the data center's default
limits the first time a (dataset, consumer) pair is seen. A job is charged once, when
its run starts, before any figure or intermediate model leaves the data center; a job
that fails afterwards stays charged (what was computed may already have leaked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.privacy.errors import BudgetExhausted
from corridor.privacy.tables import PrivacyBudgetRow, PrivacySpendRow
from corridor.storage import Database, UnitOfWork

_SLACK = 1e-12


@dataclass(frozen=True)
class BudgetLimits:
    """The limits a new (dataset, consumer) budget starts with."""

    epsilon: float = 10.0
    delta: float = 1e-5


@dataclass(frozen=True)
class BudgetStatus:
    """What a consumer has spent of a dataset's budget, and what remains."""

    dataset: str
    consumer: str
    epsilon_limit: float
    delta_limit: float
    epsilon_spent: float
    delta_spent: float

    @property
    def epsilon_remaining(self) -> float:
        """Epsilon still available."""
        return max(self.epsilon_limit - self.epsilon_spent, 0.0)

    @property
    def delta_remaining(self) -> float:
        """Delta still available."""
        return max(self.delta_limit - self.delta_spent, 0.0)

    def to_json(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "dataset": self.dataset,
            "consumer": self.consumer,
            "epsilon_limit": self.epsilon_limit,
            "delta_limit": self.delta_limit,
            "epsilon_spent": self.epsilon_spent,
            "delta_spent": self.delta_spent,
            "epsilon_remaining": self.epsilon_remaining,
            "delta_remaining": self.delta_remaining,
        }


def _row(session: Session, dataset: str, consumer: str, limits: BudgetLimits) -> PrivacyBudgetRow:
    row = session.get(PrivacyBudgetRow, (dataset, consumer))
    if row is None:
        row = PrivacyBudgetRow(
            dataset=dataset,
            consumer=consumer,
            epsilon_limit=limits.epsilon,
            delta_limit=limits.delta,
            epsilon_spent=0.0,
            delta_spent=0.0,
        )
        session.add(row)
        session.flush()
    return row


def _status(row: PrivacyBudgetRow) -> BudgetStatus:
    return BudgetStatus(
        dataset=row.dataset,
        consumer=row.consumer,
        epsilon_limit=row.epsilon_limit,
        delta_limit=row.delta_limit,
        epsilon_spent=row.epsilon_spent,
        delta_spent=row.delta_spent,
    )


def _refuse_unless_covered(row: PrivacyBudgetRow, epsilon: float, delta: float, job: str) -> None:
    if (
        row.epsilon_spent + epsilon > row.epsilon_limit + _SLACK
        or row.delta_spent + delta > row.delta_limit + _SLACK
    ):
        raise BudgetExhausted(
            f"the privacy budget of {row.dataset!r} for {row.consumer!r} cannot cover job {job}",
            detail={
                "requested_epsilon": epsilon,
                "requested_delta": delta,
                "epsilon_remaining": max(row.epsilon_limit - row.epsilon_spent, 0.0),
                "delta_remaining": max(row.delta_limit - row.delta_spent, 0.0),
            },
        )


def require_budget(
    *,
    database: Database,
    limits: BudgetLimits,
    dataset: str,
    consumer: str,
    epsilon: float,
    delta: float,
    job: str,
) -> BudgetStatus:
    """Refuse (``BudgetExhausted``) unless the budget still covers the request."""
    with UnitOfWork(database.sessions) as uow:
        row = _row(uow.session, dataset, consumer, limits)
        _refuse_unless_covered(row, epsilon, delta, job)
        status = _status(row)
        uow.commit()
        return status


def spend_budget(
    *,
    database: Database,
    limits: BudgetLimits,
    dataset: str,
    consumer: str,
    epsilon: float,
    delta: float,
    job: str,
    at: datetime,
) -> BudgetStatus:
    """Charge a job once (idempotent per job); refuse when the budget would be exceeded."""
    with UnitOfWork(database.sessions) as uow:
        row = _row(uow.session, dataset, consumer, limits)
        spent = uow.session.scalars(
            select(PrivacySpendRow).where(PrivacySpendRow.job == job)
        ).first()
        if spent is None:
            _refuse_unless_covered(row, epsilon, delta, job)
            row.epsilon_spent += epsilon
            row.delta_spent += delta
            uow.session.add(
                PrivacySpendRow(
                    dataset=dataset,
                    consumer=consumer,
                    job=job,
                    epsilon=epsilon,
                    delta=delta,
                    spent_at=at,
                )
            )
        status = _status(row)
        uow.commit()
        return status


def budget_status(
    *, database: Database, limits: BudgetLimits, dataset: str, consumer: str
) -> BudgetStatus:
    """The budget as it stands (created with the default limits if new)."""
    with UnitOfWork(database.sessions) as uow:
        status = _status(_row(uow.session, dataset, consumer, limits))
        uow.commit()
        return status
