"""TaskRouterEventsSource against the emulator's Events endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flex_segments_dagster.errors import FlexInsightsConfigError
from flex_segments_dagster.sources import TaskRouterEventsSource, reservation_id_of


def make_source(emu, **kwargs) -> TaskRouterEventsSource:
    return TaskRouterEventsSource(
        emu.workspace_sid, emu.account_sid, emu.auth_token, base_url=emu.base_url, **kwargs
    )


def test_completed_reservations_in_a_window_come_back_oldest_first(emulator, emulator_now):
    source = make_source(emulator, page_size=7)
    found = source.reservations_between(emulator_now - timedelta(days=1), emulator_now)
    assert found.reservation_ids == emulator.completed_reservation_ids()
    assert found.invalid_values == []
    assert found.events_read == len(emulator.completed_reservation_ids())


def test_another_event_type_can_be_followed(emulator, emulator_now):
    source = make_source(emulator, event_type="reservation.created")
    found = source.reservations_between(emulator_now - timedelta(days=1), emulator_now)
    assert set(emulator.completed_reservation_ids()) <= set(found.reservation_ids)
    assert len(found.reservation_ids) == len(emulator.reservation_ids)


def test_the_window_bounds_are_sent_as_utc_iso_dates(emulator, emulator_now):
    emulator.clear_requests()
    start = emulator_now - timedelta(minutes=30)
    make_source(emulator).reservations_between(start, emulator_now)
    query = emulator.requests[0].query
    assert query["StartDate"] == [start.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert query["EventType"] == ["reservation.completed"]


def test_an_event_with_a_malformed_reservation_sid_is_reported_not_recorded():
    assert reservation_id_of({"resource_type": "reservation", "resource_sid": "WRnope"}) == "WRnope"
    assert reservation_id_of({"resource_type": "worker", "resource_sid": "WK1", "event_data": {}}) is None
    assert reservation_id_of({"event_data": {"reservation_sid": "WR" + "a" * 32}}) == "WR" + "a" * 32


def test_a_bad_workspace_sid_is_refused_with_the_variable_to_set():
    with pytest.raises(FlexInsightsConfigError, match="TASKROUTER_WORKSPACE_SID"):
        TaskRouterEventsSource("WS123", "AC" + "0" * 32, "tok")


def test_an_unknown_workspace_says_which_setting_to_check(emulator, emulator_now):
    from flex_segments_dagster.errors import FlexInsightsAPIError

    source = TaskRouterEventsSource(
        "WS" + "a" * 32, emulator.account_sid, emulator.auth_token, base_url=emulator.base_url
    )
    with pytest.raises(FlexInsightsAPIError, match="is TASKROUTER_WORKSPACE_SID WSa+ a workspace") as caught:
        source.reservations_between(emulator_now - timedelta(minutes=5), emulator_now)
    assert caught.value.status == 404
