"""Twilio Flex Insights conversation segments as partitioned Dagster assets."""

from .client import FlexInsightsClient
from .dagster_adapters import (
    FlexInsightsResource,
    ReservationLedgerResource,
    TaskRouterResource,
    build_flex_segments_definitions,
)
from .errors import (
    FlexInsightsAPIError,
    FlexInsightsAuthError,
    FlexInsightsConfigError,
    FlexInsightsConnectionError,
    FlexInsightsError,
    FlexInsightsRateLimitError,
    FlexInsightsResponseError,
    FlexInsightsTimeBudgetError,
    InvalidReservationIdError,
    LedgerError,
    UnknownBatchError,
)
from .frame import SEGMENT_COLUMNS, segments_to_frame

__version__ = "0.1.0"

__all__ = [
    "SEGMENT_COLUMNS",
    "FlexInsightsAPIError",
    "FlexInsightsAuthError",
    "FlexInsightsClient",
    "FlexInsightsConfigError",
    "FlexInsightsConnectionError",
    "FlexInsightsError",
    "FlexInsightsRateLimitError",
    "FlexInsightsResource",
    "FlexInsightsResponseError",
    "FlexInsightsTimeBudgetError",
    "InvalidReservationIdError",
    "LedgerError",
    "ReservationLedgerResource",
    "TaskRouterResource",
    "UnknownBatchError",
    "build_flex_segments_definitions",
    "segments_to_frame",
]
