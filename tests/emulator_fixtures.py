"""Emulator fixtures: one with a fixed clock for exact assertions, one on real time for sensors and runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from flex_segments_dagster.emulator import TwilioEmulator

FIXED_NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def emulator_now() -> datetime:
    """The fixed time the `emulator` fixture's clock shows."""
    return FIXED_NOW


@pytest.fixture
def emulator(emulator_now: datetime) -> Iterator[TwilioEmulator]:
    """An emulator whose 30 reservations all completed in the 10 minutes before `emulator_now`."""
    spacing = timedelta(seconds=15)
    with TwilioEmulator(
        port=0, reservations=30, seed=5, anchor=emulator_now - 40 * spacing, spacing=spacing, clock=lambda: emulator_now
    ) as emu:
        yield emu


@pytest.fixture
def live_emulator() -> Iterator[TwilioEmulator]:
    """An emulator on the real clock whose 33 reservations completed in the last few minutes."""
    with TwilioEmulator(port=0, reservations=33, seed=9, spacing=timedelta(seconds=5)) as emu:
        yield emu
