"""A discovery tick without Dagster: windows, cursors, and no loss or double when ticks fail or repeat."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from flex_segments_dagster.discovery import DiscoveryCursor, DiscoverySettings, plan_window, run_discovery_tick
from flex_segments_dagster.errors import FlexInsightsConfigError
from flex_segments_dagster.ledger import ReservationLedger
from flex_segments_dagster.sources import TaskRouterEventsSource

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def test_the_first_tick_reads_the_initial_lookback():
    settings = DiscoverySettings(initial_lookback=timedelta(minutes=30))
    assert plan_window(DiscoveryCursor(), NOW, settings) == (NOW - timedelta(minutes=30), NOW)


def test_later_ticks_reread_an_overlap_before_the_watermark():
    settings = DiscoverySettings(overlap=timedelta(minutes=5))
    cursor = DiscoveryCursor(watermark=NOW - timedelta(minutes=1), announced_seq=3)
    assert plan_window(cursor, NOW, settings) == (NOW - timedelta(minutes=6), NOW)


def test_a_long_gap_is_read_in_capped_windows():
    settings = DiscoverySettings(max_window=timedelta(hours=1), overlap=timedelta(minutes=5))
    cursor = DiscoveryCursor(watermark=NOW - timedelta(days=2))
    start, end = plan_window(cursor, NOW, settings)
    assert (start, end) == (NOW - timedelta(days=2, minutes=5), NOW - timedelta(days=2) + timedelta(hours=1))


def test_a_cursor_survives_a_round_trip():
    cursor = DiscoveryCursor(watermark=NOW, announced_seq=7)
    assert DiscoveryCursor.parse(cursor.serialize()) == cursor
    assert DiscoveryCursor.parse(None) == DiscoveryCursor()


@pytest.mark.parametrize("text", ["not json", '{"v": 9}', '{"v": 1, "watermark": "2026-12-03T12:00:00", '
                                  '"announced_seq": 1}', '{"v": 1, "watermark": null, "announced_seq": -1}'])
def test_an_unreadable_cursor_says_how_to_reset_it(text):
    with pytest.raises(FlexInsightsConfigError, match="Set cursor value"):
        DiscoveryCursor.parse(text)


def make_parts(emu, tmp_path):
    source = TaskRouterEventsSource(emu.workspace_sid, emu.account_sid, emu.auth_token, base_url=emu.base_url)
    ledger = ReservationLedger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", scope="test")
    return source, ledger


def test_a_tick_batches_every_completed_reservation_and_announces_full_batches(live_emulator, tmp_path):
    source, ledger = make_parts(live_emulator, tmp_path)
    settings = DiscoverySettings(batch_size=10, max_batch_age=timedelta(minutes=10))
    now = datetime.now(timezone.utc)
    tick = run_discovery_tick(source, ledger, DiscoveryCursor(), settings, now=now)
    completed = live_emulator.completed_reservation_ids()
    assert tick.recorded == completed
    full = len(completed) // 10
    assert [b.size for b in tick.ready_batches] == [10] * full
    assert tick.cursor.announced_seq == full
    # The watermark is where the read is known complete: here the emulator's Date header, whole seconds.
    assert now - timedelta(seconds=2) <= tick.cursor.watermark <= now

    later = now + timedelta(minutes=11)
    second = run_discovery_tick(source, ledger, tick.cursor, settings, now=later)
    assert second.recorded == []
    assert second.already_recorded == len(completed)
    assert [b.close_reason for b in second.ready_batches] == ["age"]
    batches = tick.ready_batches + second.ready_batches
    everything = [rid for b in batches for rid in ledger.reservation_ids(b.key)]
    assert everything == completed


def test_a_tick_that_fails_after_the_ledger_commit_loses_and_doubles_nothing(live_emulator, tmp_path):
    source, ledger = make_parts(live_emulator, tmp_path)
    settings = DiscoverySettings(batch_size=10)
    now = datetime.now(timezone.utc)
    lost = run_discovery_tick(source, ledger, DiscoveryCursor(), settings, now=now)
    # Dagster keeps the old cursor when a tick fails, so the next tick starts from it again.
    retried = run_discovery_tick(source, ledger, DiscoveryCursor(), settings, now=now + timedelta(seconds=30))
    assert retried.recorded == []
    assert [b.key for b in retried.ready_batches] == [b.key for b in lost.ready_batches]
    keys = [b.key for b in retried.ready_batches]
    ids = [rid for key in keys for rid in ledger.reservation_ids(key)]
    assert len(ids) == len(set(ids)) == 10 * len(keys)


def test_a_cursor_ahead_of_a_replaced_ledger_stops_the_tick_instead_of_losing_batches(live_emulator, tmp_path):
    from flex_segments_dagster.errors import LedgerError

    source, ledger = make_parts(live_emulator, tmp_path)
    settings = DiscoverySettings(batch_size=10)
    cursor = DiscoveryCursor(watermark=datetime.now(timezone.utc), announced_seq=5)
    with pytest.raises(LedgerError, match="the ledger was replaced or reset"):
        run_discovery_tick(source, ledger, cursor, settings)
    assert ledger.closed_batches_after(0) == []


@pytest.mark.parametrize("watermark", ["9999-12-31T23:30:00+00:00", "0001-01-01T00:01:00+00:00"])
def test_a_cursor_with_an_impossible_watermark_is_a_typed_error(watermark):
    text = json.dumps({"v": 1, "watermark": watermark, "announced_seq": 0})
    with pytest.raises(FlexInsightsConfigError, match="out of range"):
        DiscoveryCursor.parse(text)


def test_a_twilio_clock_behind_ours_moves_the_watermark_only_as_far_as_twilio_has_seen(tmp_path):
    from flex_segments_dagster.emulator import TwilioEmulator

    twilio_now = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    ours = twilio_now + timedelta(minutes=10)
    with TwilioEmulator(port=0, reservations=5, seed=2, clock=lambda: twilio_now) as emu:
        source, ledger = make_parts(emu, tmp_path)
        tick = run_discovery_tick(source, ledger, DiscoveryCursor(), DiscoverySettings(batch_size=10), now=ours)
    assert tick.discovery.end == ours
    assert tick.cursor.watermark == twilio_now


def test_a_read_that_does_not_fit_the_budget_halves_the_next_window_and_loses_nothing(emulator, tmp_path):
    source, ledger = make_parts(emulator, tmp_path)
    slept: list[float] = []
    source._http._sleep = slept.append
    fault = (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "30"})
    emulator.inject_faults("/v1/Workspaces", [fault])
    settings = DiscoverySettings(read_budget=timedelta(seconds=20), initial_lookback=timedelta(hours=1))
    now = emulator.now()
    tick = run_discovery_tick(source, ledger, DiscoveryCursor(), settings, now=now)
    assert slept == []  # a 30 s wait would not fit in the budget, so none was started
    assert tick.discovery is None
    assert "did not fit in the 20 s budget" in tick.note and "HTTP 429 asked to wait 30 s" in tick.note
    assert tick.cursor == DiscoveryCursor(watermark=now - timedelta(hours=1), announced_seq=0,
                                          window=timedelta(minutes=30))
    # The next tick reads the first half hour from where the failed one started, then the window grows back.
    second = run_discovery_tick(source, ledger, tick.cursor, settings, now=now)
    assert second.discovery.start == now - timedelta(hours=1, minutes=5)
    assert second.discovery.end == now - timedelta(minutes=30)
    assert second.cursor.window == timedelta(minutes=45)  # grows back by half after a quick read
    third = run_discovery_tick(source, ledger, second.cursor, settings, now=now)
    assert third.cursor.window is None
    recorded = second.recorded + third.recorded
    assert sorted(recorded) == sorted(emulator.completed_reservation_ids())


def test_a_window_that_cannot_shrink_further_raises_the_budget_error(emulator, tmp_path):
    from flex_segments_dagster.errors import FlexInsightsTimeBudgetError

    source, ledger = make_parts(emulator, tmp_path)
    fault = (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "30"})
    emulator.inject_faults("/v1/Workspaces", [fault])
    cursor = DiscoveryCursor(watermark=emulator.now() - timedelta(minutes=1), window=timedelta(minutes=1))
    with pytest.raises(FlexInsightsTimeBudgetError, match="HTTP 429 asked to wait 30 s"):
        run_discovery_tick(source, ledger, cursor, DiscoverySettings(read_budget=timedelta(seconds=20)),
                           now=emulator.now())


def test_a_server_clock_that_does_not_advance_is_not_trusted():
    from flex_segments_dagster.discovery import _next_watermark
    from flex_segments_dagster.sources import ReservationDiscovery

    cursor = DiscoveryCursor(watermark=NOW - timedelta(minutes=1))
    stuck = ReservationDiscovery(NOW - timedelta(minutes=6), NOW, [], 0, [], complete_until=NOW - timedelta(hours=3))
    assert _next_watermark(cursor, stuck) == NOW
    behind = ReservationDiscovery(
        NOW - timedelta(minutes=6), NOW, [], 0, [], complete_until=NOW - timedelta(seconds=20)
    )
    assert _next_watermark(cursor, behind) == NOW - timedelta(seconds=20)


def test_a_twilio_clock_behind_the_last_watermark_never_moves_it_backwards_or_freezes_it(tmp_path):
    from flex_segments_dagster.emulator import TwilioEmulator

    twilio_now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # two days behind the cursor
    cursor = DiscoveryCursor(watermark=datetime(2026, 12, 3, 11, 59, tzinfo=timezone.utc))
    with TwilioEmulator(port=0, reservations=3, seed=2, clock=lambda: twilio_now) as emu:
        source, ledger = make_parts(emu, tmp_path)
        tick = run_discovery_tick(source, ledger, cursor, DiscoverySettings(), now=NOW)
    assert tick.cursor.watermark == NOW
