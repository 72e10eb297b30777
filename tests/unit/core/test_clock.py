from datetime import UTC, datetime, timedelta

import pytest

from corridor.clock import FixedClock, from_rfc3339, to_rfc3339


def test_a_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(seconds=5))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)


def test_a_fixed_clock_needs_a_timezone():
    with pytest.raises(ValueError, match="timezone"):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001


def test_rfc3339_round_trips_in_utc_with_whole_seconds():
    at = datetime(2026, 11, 28, 5, 6, 7, 890, tzinfo=UTC)
    assert to_rfc3339(at) == "2026-11-28T05:06:07Z"
    assert from_rfc3339("2026-11-28T13:06:07+08:00") == datetime(2026, 11, 28, 5, 6, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="offset"):
        from_rfc3339("2026-11-28T05:06:07")
