"""The ready-made code location: `dagster dev -m flex_segments_dagster.definitions`, or workspace.yaml."""

from __future__ import annotations

import os

from .dagster_adapters import build_flex_segments_definitions, reservation_ledger_resource_from_env
from .dagster_adapters.resources import MAX_MINUTES
from .errors import FlexInsightsConfigError


def _number(name: str, default: float, *, whole: bool = False, maximum: float = 10**9) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise FlexInsightsConfigError(f"{name}={raw!r} is not {kind}") from None
    if not 0 < value <= maximum:
        raise FlexInsightsConfigError(f"{name}={raw!r} must be greater than zero and at most {maximum}")
    return value


ledger = reservation_ledger_resource_from_env(
    batch_size=int(_number("FLEX_SEGMENTS_BATCH_SIZE", 100, whole=True)),
    max_batch_age_minutes=_number("FLEX_SEGMENTS_MAX_BATCH_AGE_MINUTES", 10.0, maximum=MAX_MINUTES),
)

defs = build_flex_segments_definitions(
    reservation_ledger=ledger,
    sensor_interval_seconds=int(_number("FLEX_SEGMENTS_SENSOR_INTERVAL_SECONDS", 30, whole=True)),
)
