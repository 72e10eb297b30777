from datetime import UTC, datetime

import pytest

from corridor.privacy import BudgetExhausted, BudgetLimits, budget_status
from corridor.privacy.budget import require_budget, spend_budget

LIMITS = BudgetLimits(epsilon=2.0, delta=1e-5)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_budget_is_charged_once_per_job_and_refused_when_spent(database):
    common = {"database": database, "limits": LIMITS, "dataset": "wdbc", "consumer": "lab"}
    spend_budget(**common, epsilon=1.5, delta=0.0, job="job-budget-1", at=NOW)
    spend_budget(**common, epsilon=1.5, delta=0.0, job="job-budget-1", at=NOW)  # idempotent
    assert budget_status(**common).epsilon_remaining == pytest.approx(0.5)
    with pytest.raises(BudgetExhausted) as refused:
        require_budget(**common, epsilon=1.0, delta=0.0, job="job-budget-2")
    assert refused.value.detail["epsilon_remaining"] == pytest.approx(0.5)
    with pytest.raises(BudgetExhausted):
        spend_budget(**common, epsilon=0.6, delta=0.0, job="job-budget-3", at=NOW)
    # Another consumer of the same dataset has a budget of its own.
    assert budget_status(**{**common, "consumer": "other"}).epsilon_spent == 0.0
