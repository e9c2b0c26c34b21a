"""``eg4.charge_to``'s deadline: a date and time, or the next occurrence of a time of day.

The action's form sends local wall time. What counts is the moment it names, so these check the
seconds since the epoch, including on the two days a year the wall clock jumps (US/Pacific:
2027-03-14 02:00 PST -> 03:00 PDT, 2027-11-07 02:00 PDT -> 01:00 PST), and, as properties,
in zones whose clocks jump in every way there is, at any moment of 2026-2028.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from functools import cache
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from homeassistant.util import dt as dt_util
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.eg4.services import deadline_timestamp

PACIFIC = ZoneInfo("US/Pacific")


@pytest.fixture(autouse=True)
def pacific() -> Iterator[None]:
    """Home Assistant's time zone is US/Pacific for these tests."""
    before = dt_util.get_default_time_zone()
    dt_util.set_default_time_zone(PACIFIC)
    yield
    dt_util.set_default_time_zone(before)


def utc(text: str) -> float:
    """Seconds since the epoch of a UTC time written ``YYYY-MM-DD HH:MM``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("now_utc", "at", "expected_utc"),
    [
        # 09:00 PST: 17:00 is today, 06:00 tomorrow, and the time it is now tomorrow too
        ("2026-12-07 17:00", time(17, 0), "2026-12-08 01:00"),
        ("2026-12-07 17:00", time(6, 0), "2026-12-08 14:00"),
        ("2026-12-07 17:00", time(9, 0), "2026-12-08 17:00"),
        # 01:00 PST on the spring-forward day: 06:00 PDT is four hours away, not five
        ("2027-03-14 09:00", time(6, 0), "2027-03-14 13:00"),
        # 22:00 PST the evening before: 06:00 tomorrow is PDT (seven hours away, not eight)
        ("2027-03-14 06:00", time(6, 0), "2027-03-14 13:00"),
        # 00:30 PDT on the fall-back day: 06:00 PST is six and a half hours away
        ("2027-11-07 07:30", time(6, 0), "2027-11-07 14:00"),
        # 23:00 PDT the evening before: 06:00 tomorrow is PST (eight hours away, not seven)
        ("2027-11-07 06:00", time(6, 0), "2027-11-07 14:00"),
    ],
)
def test_a_time_of_day_is_its_next_occurrence(now_utc: str, at: time, expected_utc: str) -> None:
    """Local wall time, the next time it comes round, across a daylight-saving change too."""
    with freeze_time(now_utc):
        assert deadline_timestamp(at) == utc(expected_utc)


def test_a_date_and_time_without_a_zone_is_local() -> None:
    """What the form sends (no zone) is Home Assistant's local time, summer or winter."""
    for text, expected in (
        ("2027-01-10 06:00:00", "2027-01-10 14:00"),
        ("2027-07-10 06:00:00", "2027-07-10 13:00"),
    ):
        naive = dt_util.parse_datetime(text)  # as the action's schema (cv.datetime) reads it
        assert naive is not None
        assert naive.tzinfo is None
        assert deadline_timestamp(naive) == utc(expected)


def test_a_date_and_time_with_a_zone_keeps_it() -> None:
    """A deadline that names its zone means that moment, whatever Home Assistant's zone."""
    tokyo = datetime(2027, 1, 10, 6, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert deadline_timestamp(tokyo) == utc("2027-01-09 21:00")


@pytest.mark.parametrize(
    ("now_utc", "expected_utc"),
    [
        # 01:40 PDT, the first pass through 01:00-02:00: 01:10 comes again, as PST, in 30 min
        ("2027-11-07 08:40", "2027-11-07 09:10"),
        # 00:50 PDT: the first 01:10 is still to come
        ("2027-11-07 07:50", "2027-11-07 08:10"),
    ],
)
def test_a_repeated_hour_means_the_time_still_to_come(now_utc: str, expected_utc: str) -> None:
    """On the fall-back night 01:10 happens twice: a deadline is the next one, not a past one."""
    naive = dt_util.parse_datetime("2027-11-07 01:10:00")
    assert naive is not None
    with freeze_time(now_utc):
        assert deadline_timestamp(naive) == utc(expected_utc)
        assert deadline_timestamp(time(1, 10)) == utc(expected_utc)


def test_a_time_the_clock_skips_is_an_hour_later() -> None:
    """02:30 does not exist on the spring-forward day: it is taken as 03:30 PDT, never 01:30."""
    naive = dt_util.parse_datetime("2027-03-14 02:30:00")
    assert naive is not None
    with freeze_time("2027-03-14 09:00"):  # 01:00 PST
        assert deadline_timestamp(naive) == utc("2027-03-14 10:30")
        assert deadline_timestamp(time(2, 30)) == utc("2027-03-14 10:30")


# ---- every zone's changes: a property test --------------------------------------------------

# Zones whose clocks jump in the ways there are: an hour at 02:00 (US, Europe at 01:00 UTC),
# half an hour (Lord Howe), at midnight (Santiago, Havana), at a 45-minute offset (Chatham),
# the southern summer, and none (Kolkata).
ZONES = [
    "US/Pacific",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Kolkata",
]
FIRST, LAST = datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 12, 31, tzinfo=UTC)


@cache
def transitions(name: str) -> list[float]:
    """The moments (seconds since the epoch) the zone's offset changes in 2026-2028 (found
    hour by hour when first drawn, not when the module is collected)."""
    zone = ZoneInfo(name)
    found, step = [], 3600.0
    moment = FIRST.timestamp()
    offset = datetime.fromtimestamp(moment, zone).utcoffset()
    while moment < LAST.timestamp():
        moment += step
        now = datetime.fromtimestamp(moment, zone).utcoffset()
        if now != offset:
            found.append(moment)
            offset = now
    return found


@contextmanager
def at_moment(zone: ZoneInfo, now: float) -> Iterator[None]:
    """Home Assistant's zone is ``zone`` and its clock reads ``now`` (faster than freezegun
    for hundreds of examples)."""
    dt_util.set_default_time_zone(zone)
    utc_now = datetime.fromtimestamp(now, UTC)
    with (
        patch.object(dt_util, "utcnow", return_value=utc_now),
        patch.object(dt_util, "now", return_value=utc_now.astimezone(zone)),
    ):
        yield


@st.composite
def moments(draw: st.DrawFn) -> tuple[str, float]:
    """A zone and a moment: anywhere in 2026-2028, or within a day and a half of a change."""
    name = draw(st.sampled_from(ZONES))
    near = transitions(name)
    if near and draw(st.booleans()):
        moment = draw(st.sampled_from(near)) + draw(st.integers(-36 * 3600, 36 * 3600))
    else:
        moment = draw(st.integers(int(FIRST.timestamp()), int(LAST.timestamp())))
    return name, float(moment)


def occurrences(zone: ZoneInfo, wall: datetime) -> list[float]:
    """Every moment whose local wall time is ``wall``; for a time the clock skips, the reading
    with the offset before the change (what the action promises for it)."""
    readings = [wall.replace(tzinfo=zone, fold=fold).timestamp() for fold in (0, 1)]
    real = {r for r in readings if datetime.fromtimestamp(r, zone).replace(tzinfo=None) == wall}
    return sorted(real) if real else [readings[0]]


@settings(max_examples=400, deadline=None)
@given(moments(), st.times().map(lambda t: t.replace(microsecond=0)))
def test_a_time_of_day_is_always_the_next_moment_with_that_wall_time(
    zone_and_now: tuple[str, float], at: time
) -> None:
    """In any zone, at any moment: the deadline is the first moment still to come whose wall
    time is the one asked for (a skipped time: the moment the promise names)."""
    name, now = zone_and_now
    zone = ZoneInfo(name)
    today = datetime.fromtimestamp(now, zone).date()
    expected = min(
        moment
        for day in (today, today + timedelta(days=1))
        for moment in occurrences(zone, datetime.combine(day, at))
        if moment > now
    )
    with at_moment(zone, now):
        assert deadline_timestamp(at) == expected


@settings(max_examples=400, deadline=None)
@given(moments(), st.integers(0, 2 * 86400).map(lambda s: timedelta(seconds=s)))
def test_a_date_and_time_is_the_moment_with_that_wall_time(
    zone_and_now: tuple[str, float], ahead: timedelta
) -> None:
    """In any zone: a local date and time is the moment with that wall time; when the clock
    passes it twice, the one still to come."""
    name, now = zone_and_now
    zone = ZoneInfo(name)
    wall = (datetime.fromtimestamp(now, zone) + ahead).replace(tzinfo=None, microsecond=0)
    found = occurrences(zone, wall)
    later = [moment for moment in found if moment > now]
    expected = min(later) if later else max(found)
    with at_moment(zone, now):
        assert deadline_timestamp(wall) == expected
