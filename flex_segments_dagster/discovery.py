"""One discovery tick: read new reservations, record them in the ledger, and say which batches are ready."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .errors import FlexInsightsConfigError, FlexInsightsTimeBudgetError, LedgerError
from .ledger import Batch, ReservationLedger
from .sources import ReservationDiscovery, TaskRouterEventsSource

CURSOR_VERSION = 1
MIN_WATERMARK = datetime(2000, 1, 1, tzinfo=timezone.utc)
MAX_WATERMARK = datetime(9000, 1, 1, tzinfo=timezone.utc)
MIN_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class DiscoveryCursor:
    """Where the last successful tick got to: the end of the events window read, and the last batch announced."""

    watermark: datetime | None = None
    announced_seq: int = 0
    # A smaller events window than max_window, after a read did not fit in the tick's time budget.
    window: timedelta | None = None

    def serialize(self) -> str:
        """The cursor as the short JSON string Dagster stores."""
        watermark = None if self.watermark is None else self.watermark.astimezone(timezone.utc).isoformat()
        data = {"v": CURSOR_VERSION, "watermark": watermark, "announced_seq": self.announced_seq}
        if self.window is not None:
            data["window_seconds"] = self.window.total_seconds()
        return json.dumps(data)

    @classmethod
    def parse(cls, text: str | None) -> DiscoveryCursor:
        """Read a stored cursor; None or empty means a first tick."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError(f"unknown cursor version {data.get('v')!r}")
            watermark = data["watermark"]
            parsed = None if watermark is None else datetime.fromisoformat(watermark)
            if parsed is not None and parsed.tzinfo is None:
                raise ValueError("watermark has no time zone")
            announced = data["announced_seq"]
            if isinstance(announced, bool) or not isinstance(announced, int) or not 0 <= announced < 2**62:
                raise ValueError("announced_seq is not a non-negative integer")
            if parsed is not None and not MIN_WATERMARK <= parsed <= MAX_WATERMARK:
                raise ValueError(f"watermark {watermark} is out of range")
            seconds = data.get("window_seconds")
            if seconds is not None and not (isinstance(seconds, (int, float)) and 1 <= seconds <= 10**9):
                raise ValueError("window_seconds is not a number of seconds")
            return cls(parsed, announced, None if seconds is None else timedelta(seconds=seconds))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise FlexInsightsConfigError(
                f"the sensor cursor {text[:120]!r} cannot be read ({exc}); reset it in the Dagster UI "
                "(sensor page, 'Set cursor value' to empty) to start again; the ledger keeps every batch, "
                "so nothing is recorded twice"
            ) from None


@dataclass(frozen=True)
class DiscoverySettings:
    """How far back to look and how to group reservations into batches."""

    batch_size: int = 100
    max_batch_age: timedelta = timedelta(minutes=10)
    initial_lookback: timedelta = timedelta(hours=1)
    overlap: timedelta = timedelta(minutes=5)
    max_window: timedelta = timedelta(hours=1)
    max_batches_per_tick: int = 500
    # Dagster abandons a sensor tick after 60 s; stop reading (and retrying) well before that.
    read_budget: timedelta = timedelta(seconds=40)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise FlexInsightsConfigError(f"batch_size must be 1 or more, got {self.batch_size}")
        if self.max_batch_age <= timedelta(0):
            raise FlexInsightsConfigError("max_batch_age must be positive")
        if self.initial_lookback < timedelta(0) or self.overlap < timedelta(0):
            raise FlexInsightsConfigError("initial_lookback and overlap must not be negative")
        if self.max_window <= timedelta(0):
            raise FlexInsightsConfigError("max_window must be positive")
        if self.max_batches_per_tick < 1:
            raise FlexInsightsConfigError("max_batches_per_tick must be 1 or more")


@dataclass(frozen=True)
class DiscoveryTick:
    """What a tick found and did; `cursor` is to be stored only once the tick has succeeded."""

    discovery: ReservationDiscovery | None  # None when the read did not fit in the budget
    recorded: list[str]
    already_recorded: int
    ready_batches: list[Batch]
    cursor: DiscoveryCursor
    note: str | None = None


def plan_window(cursor: DiscoveryCursor, now: datetime, settings: DiscoverySettings) -> tuple[datetime, datetime]:
    """The events window to read: from the watermark (minus an overlap for late events) up to now, capped."""
    if now.tzinfo is None:
        raise FlexInsightsConfigError("now must be a tz-aware datetime")
    if cursor.watermark is None:
        origin = now - settings.initial_lookback
        start = origin
    else:
        origin = cursor.watermark
        start = origin - settings.overlap
    window = settings.max_window if cursor.window is None else min(settings.max_window, cursor.window)
    end = min(now, origin + window)
    return start, max(start, end)


def _check_ledger_matches(ledger: ReservationLedger, cursor: DiscoveryCursor) -> None:
    # A cursor ahead of the ledger means the ledger was replaced or reset: its new batches would reuse partition
    # keys already announced, and would never be announced themselves. Stop rather than lose them quietly.
    if cursor.announced_seq and not ledger.closed_batches_after(cursor.announced_seq - 1, limit=1):
        raise LedgerError(
            f"the sensor cursor says batch {cursor.announced_seq} was announced, but the ledger at "
            f"{ledger.url_for_display} (scope {ledger.scope!r}) has no such closed batch: the ledger was replaced "
            "or reset. Point FLEX_SEGMENTS_LEDGER_URL back at the ledger the sensor used; to start over on purpose, "
            "delete the old partitions and reset the sensor cursor."
        )


def run_discovery_tick(
    source: TaskRouterEventsSource,
    ledger: ReservationLedger,
    cursor: DiscoveryCursor,
    settings: DiscoverySettings,
    now: datetime | None = None,
) -> DiscoveryTick:
    """Read the next window of reservations, commit them to the ledger, and list closed batches not yet announced."""
    now = now or datetime.now(timezone.utc)
    _check_ledger_matches(ledger, cursor)
    start, end = plan_window(cursor, now, settings)
    began = time.monotonic()
    deadline = began + settings.read_budget.total_seconds()
    try:
        discovery: ReservationDiscovery | None = source.reservations_between(start, end, deadline=deadline)
    except FlexInsightsTimeBudgetError as exc:
        origin = cursor.watermark or start
        smaller = (end - origin) / 2
        if smaller < MIN_WINDOW:
            raise
        discovery = None
        note = (
            f"reading events from {start.isoformat()} to {end.isoformat()} did not fit in the "
            f"{settings.read_budget.total_seconds():g} s budget ({exc}); the next tick reads {smaller} at a time"
        )
    # Aged batches close, and closed batches are announced, even when nothing new was read.
    result = ledger.record(
        discovery.reservation_ids if discovery else [],
        batch_size=settings.batch_size,
        max_batch_age=settings.max_batch_age,
        now=now,
    )
    ready = ledger.closed_batches_after(cursor.announced_seq, limit=settings.max_batches_per_tick)
    announced = ready[-1].closed_seq if ready else cursor.announced_seq
    if discovery is None:
        next_cursor = DiscoveryCursor(cursor.watermark or start, announced, smaller)
        return DiscoveryTick(None, result.added, result.already_recorded, ready, next_cursor, note)
    window = _grown(cursor.window, settings, timedelta(seconds=time.monotonic() - began))
    next_cursor = DiscoveryCursor(_next_watermark(cursor, discovery), announced, window)
    return DiscoveryTick(discovery, result.added, result.already_recorded, ready, next_cursor)


def _next_watermark(cursor: DiscoveryCursor, discovery: ReservationDiscovery) -> datetime:
    # The next window starts where this read is known complete: Twilio's clock may be behind ours. A server
    # clock that did not move since the last tick is stuck (or a proxy's), so ours is used; and the watermark
    # never moves backwards.
    complete = discovery.complete_until or discovery.end
    if cursor.watermark is not None and complete <= cursor.watermark:
        complete = discovery.end
    return max(cursor.watermark or discovery.start, complete)


def _grown(window: timedelta | None, settings: DiscoverySettings, took: timedelta) -> timedelta | None:
    # Grow a shrunk window back slowly, and only after a read that left most of the budget unused.
    if window is None or took > settings.read_budget / 3:
        return window
    bigger = window * 1.5
    return None if bigger >= settings.max_window else bigger
