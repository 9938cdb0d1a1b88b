"""The ready-made code location: `dagster dev -m flex_segments_dagster.definitions`, or workspace.yaml."""

from __future__ import annotations

import os

from .dagster_adapters import build_flex_segments_definitions, reservation_ledger_resource_from_env
from .errors import FlexInsightsConfigError


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise FlexInsightsConfigError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise FlexInsightsConfigError(f"{name}={raw!r} must be greater than zero")
    return value


ledger = reservation_ledger_resource_from_env(
    batch_size=int(_number("FLEX_SEGMENTS_BATCH_SIZE", 100)),
    max_batch_age_minutes=_number("FLEX_SEGMENTS_MAX_BATCH_AGE_MINUTES", 10.0),
)

defs = build_flex_segments_definitions(
    reservation_ledger=ledger,
    sensor_interval_seconds=int(_number("FLEX_SEGMENTS_SENSOR_INTERVAL_SECONDS", 30)),
)
