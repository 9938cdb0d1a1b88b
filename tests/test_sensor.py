"""The reservations sensor: partitions, run requests, cursor, and idempotency across ticks."""

from __future__ import annotations

import json

import pytest
from dagster import SensorResult, build_sensor_context, instance_for_test

from flex_segments_dagster import (
    FlexInsightsConfigError,
    FlexInsightsResource,
    ReservationLedgerResource,
    TaskRouterResource,
    build_flex_segments_definitions,
)
from flex_segments_dagster.ledger import ReservationLedger

SENSOR = "flex_segments_reservations_sensor"


def make_defs(emu, ledger_url: str, batch_size: int = 10, max_batch_age_minutes: float = 10.0, **taskrouter_fields):
    return build_flex_segments_definitions(
        flex_insights=FlexInsightsResource(
            account_sid=emu.account_sid, auth_token=emu.auth_token, base_url=emu.base_url
        ),
        taskrouter=TaskRouterResource(
            account_sid=emu.account_sid,
            auth_token=emu.auth_token,
            workspace_sid=emu.workspace_sid,
            base_url=emu.base_url,
            **taskrouter_fields,
        ),
        reservation_ledger=ReservationLedgerResource(
            url=ledger_url, batch_size=batch_size, max_batch_age_minutes=max_batch_age_minutes
        ),
    )


def tick(defs, instance, cursor=None) -> SensorResult:
    with build_sensor_context(
        instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources, cursor=cursor
    ) as context:
        return defs.resolve_sensor_def(SENSOR)(context)


def test_a_tick_adds_one_partition_and_one_run_per_closed_batch(live_emulator, tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    defs = make_defs(live_emulator, url, batch_size=10)
    with instance_for_test() as instance:
        result = tick(defs, instance)
    completed = live_emulator.completed_reservation_ids()
    keys = [request.partition_key for request in result.run_requests]
    assert len(keys) == len(completed) // 10
    assert [request.run_key for request in result.run_requests] == keys
    assert list(result.dynamic_partitions_requests[0].partition_keys) == keys
    assert result.dynamic_partitions_requests[0].partitions_def_name == "flex_segments_batches"
    assert json.loads(result.cursor)["announced_seq"] == len(keys)
    ledger = ReservationLedger(url, scope="flex_segments_batches")
    assert [rid for key in keys for rid in ledger.reservation_ids(key)] == completed[: 10 * len(keys)]


def test_a_repeated_tick_with_the_saved_cursor_requests_nothing_new(live_emulator, tmp_path):
    defs = make_defs(live_emulator, f"sqlite:///{tmp_path / 'ledger.sqlite'}", batch_size=10)
    with instance_for_test() as instance:
        first = tick(defs, instance)
        second = tick(defs, instance, cursor=first.cursor)
    assert first.run_requests
    assert second.run_requests == []
    assert second.dynamic_partitions_requests == []
    assert json.loads(second.cursor)["announced_seq"] == json.loads(first.cursor)["announced_seq"]


def test_a_tick_whose_cursor_was_lost_announces_the_same_keys_again(live_emulator, tmp_path):
    defs = make_defs(live_emulator, f"sqlite:///{tmp_path / 'ledger.sqlite'}", batch_size=10)
    with instance_for_test() as instance:
        first = tick(defs, instance)
        again = tick(defs, instance, cursor=None)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]


def test_partition_keys_are_short_and_url_safe(live_emulator, tmp_path):
    defs = make_defs(live_emulator, f"sqlite:///{tmp_path / 'ledger.sqlite'}", batch_size=3)
    with instance_for_test() as instance:
        result = tick(defs, instance)
    for request in result.run_requests:
        key = request.partition_key
        assert len(key) <= 20
        assert key.replace("-", "").isalnum()
        assert "..." not in key


@pytest.mark.parametrize("value", [float("nan"), 1e300, 0])
def test_impossible_batch_ages_fail_the_tick_with_the_field_named(live_emulator, tmp_path, value):
    defs = make_defs(live_emulator, f"sqlite:///{tmp_path / 'l.sqlite'}", max_batch_age_minutes=value)
    with instance_for_test() as instance, pytest.raises(FlexInsightsConfigError, match="max_batch_age_minutes"):
        tick(defs, instance)


@pytest.mark.parametrize("field", ["initial_lookback_minutes", "overlap_minutes", "max_window_minutes"])
def test_impossible_window_minutes_fail_the_tick_with_the_field_named(live_emulator, tmp_path, field):
    defs = make_defs(live_emulator, f"sqlite:///{tmp_path / 'l.sqlite'}", **{field: float("inf")})
    with instance_for_test() as instance, pytest.raises(FlexInsightsConfigError, match=field):
        tick(defs, instance)
