"""Dagster adapters: resources, partitions, the asset, the sensor and the Definitions factory."""

from .assets import build_segments_asset
from .factory import (
    build_flex_segments_definitions,
    flex_insights_resource_from_env,
    reservation_ledger_resource_from_env,
    taskrouter_resource_from_env,
)
from .partitions import batches_partitions_def
from .resources import FlexInsightsResource, ReservationLedgerResource, TaskRouterResource
from .sensors import build_reservations_sensor

__all__ = [
    "FlexInsightsResource",
    "ReservationLedgerResource",
    "TaskRouterResource",
    "batches_partitions_def",
    "build_flex_segments_definitions",
    "build_reservations_sensor",
    "build_segments_asset",
    "flex_insights_resource_from_env",
    "reservation_ledger_resource_from_env",
    "taskrouter_resource_from_env",
]
