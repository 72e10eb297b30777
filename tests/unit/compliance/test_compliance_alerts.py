"""One alerts table: idempotent by key, durable, listable and acknowledgeable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from corridor.clock import FixedClock
from corridor.compliance import AlertRaiser, acknowledge_alert, list_alerts, raise_alert
from corridor.compliance.alerts import require_alert
from corridor.compliance.errors import AlertNotFound

pytestmark = pytest.mark.integration
_CLOCK = FixedClock(datetime(2026, 11, 28, tzinfo=UTC))


def test_the_same_problem_raised_twice_is_one_alert(database):
    first = raise_alert(
        database=database,
        clock=_CLOCK,
        kind="checkpoint-fork",
        summary="two roots for size 7",
        origin="datacenter.test/log",
        dedupe_key="fork|7",
        details={"size": 7},
    )
    again = raise_alert(
        database=database, clock=_CLOCK, kind="checkpoint-fork", summary="x", dedupe_key="fork|7"
    )
    assert again.id == first.id
    assert [a.summary for a in list_alerts(database=database)] == ["two roots for size 7"]
    assert require_alert(database=database, alert_id=first.id).details == {"size": 7}


def test_a_raiser_bound_to_a_node_is_what_other_domains_are_handed(database):
    raiser = AlertRaiser(database=database, clock=_CLOCK)
    alert = raiser("checkpoint-inconsistent", "proof failed", origin="log", severity="critical")
    assert (alert.kind, alert.severity) == ("checkpoint-inconsistent", "critical")
    with pytest.raises(ValueError, match="unknown alert kind"):
        raiser("made-up", "x")  # type: ignore[arg-type]


def test_alerts_are_filtered_and_acknowledged(database):
    raise_alert(database=database, clock=_CLOCK, kind="entry-invalid", summary="a", entry_index=1)
    other = raise_alert(
        database=database, clock=_CLOCK, kind="transfer-without-filing", summary="b", transfer="t-1"
    )
    assert [a.id for a in list_alerts(database=database, transfer="t-1")] == [other.id]
    seen = acknowledge_alert(database=database, clock=_CLOCK, alert_id=other.id, by="officer-li")
    assert seen.acknowledged_by == "officer-li"
    assert [a.kind for a in list_alerts(database=database, open_only=True)] == ["entry-invalid"]
    with pytest.raises(AlertNotFound):
        acknowledge_alert(database=database, clock=_CLOCK, alert_id=9999, by="x")
