"""The segments asset: one partition per batch, fetched from Flex Insights into a typed DataFrame."""

from collections.abc import Sequence

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DynamicPartitionsDefinition,
    Output,
    TableColumn,
    TableSchema,
    asset,
)

from .resources import FlexInsightsResource, ReservationLedgerResource

DEFAULT_ASSET_NAME = "flex_insights_segments"
DEFAULT_POOL = "twilio_flex_insights"


def _schema(frame: pd.DataFrame) -> TableSchema:
    return TableSchema(columns=[TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])


def build_segments_asset(
    partitions_def: DynamicPartitionsDefinition,
    *,
    name: str = DEFAULT_ASSET_NAME,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = "flex_insights",
    pool: str | None = DEFAULT_POOL,
    io_manager_key: str = "io_manager",
) -> AssetsDefinition:
    """The asset that materializes one batch's segments; the same partition always fetches the same ids."""

    @asset(
        name=name,
        key_prefix=key_prefix,
        partitions_def=partitions_def,
        group_name=group_name,
        pool=pool,
        io_manager_key=io_manager_key,
        kinds={"twilio", "pandas"},
        description="Twilio Flex Insights conversation segments of one batch of TaskRouter reservations.",
    )
    def flex_insights_segments(
        context: AssetExecutionContext,
        flex_insights: FlexInsightsResource,
        reservation_ledger: ReservationLedgerResource,
    ) -> Output[pd.DataFrame]:
        ledger = reservation_ledger.get_ledger(scope=partitions_def.name)
        try:
            reservation_ids = ledger.reservation_ids(context.partition_key)
        finally:
            ledger.dispose()
        context.log.info(f"batch {context.partition_key}: fetching segments of {len(reservation_ids)} reservations")
        frame = flex_insights.fetch_segments(reservation_ids=reservation_ids)
        with_segments = int(frame["reservation_id"].nunique()) if len(frame) else 0
        return Output(
            frame,
            metadata={
                "dagster/row_count": len(frame),
                "reservation_count": len(reservation_ids),
                "reservations_without_segments": len(reservation_ids) - with_segments,
                "batch": context.partition_key,
                "dagster/column_schema": _schema(frame),
            },
        )

    return flex_insights_segments
