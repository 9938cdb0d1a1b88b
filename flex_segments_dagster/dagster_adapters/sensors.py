"""The sensor that turns new TaskRouter reservations into batches, partitions and runs."""

from typing import TYPE_CHECKING

from dagster import (
    DefaultSensorStatus,
    DynamicPartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from ..discovery import DiscoveryCursor, run_discovery_tick
from .resources import ReservationLedgerResource, TaskRouterResource

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

DEFAULT_SENSOR_NAME = "flex_segments_reservations_sensor"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def build_reservations_sensor(
    job: "UnresolvedAssetJobDefinition",
    partitions_def: DynamicPartitionsDefinition,
    *,
    name: str = DEFAULT_SENSOR_NAME,
    minimum_interval_seconds: int = 30,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
) -> SensorDefinition:
    """A sensor that records new reservations in the ledger and requests one run per closed batch."""

    @sensor(
        name=name,
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Groups new TaskRouter reservations into batches; each closed batch becomes a partition.",
    )
    def reservations_sensor(
        context: SensorEvaluationContext,
        taskrouter: TaskRouterResource,
        reservation_ledger: ReservationLedgerResource,
    ) -> SensorResult:
        cursor = DiscoveryCursor.parse(context.cursor)
        settings = reservation_ledger.discovery_settings(taskrouter)
        source = taskrouter.get_source()
        ledger = reservation_ledger.get_ledger(scope=partitions_def.name)
        try:
            tick = run_discovery_tick(source, ledger, cursor, settings)
        finally:
            source.close()
            ledger.dispose()
        found = tick.discovery
        if found is None:
            context.log.warning(tick.note)
        else:
            context.log.info(
                f"events {found.start.isoformat()} to {found.end.isoformat()}: {found.events_read} read, "
                f"{len(tick.recorded)} new reservations, {tick.already_recorded} already recorded, "
                f"{_count(len(tick.ready_batches), 'batch', 'batches')} ready"
            )
            if found.invalid_values:
                context.log.warning(
                    f"skipped {len(found.invalid_values)} values that are not reservation ids: "
                    f"{', '.join(found.invalid_values[:5])}"
                )
        keys = [batch.key for batch in tick.ready_batches]
        cursor_text = tick.cursor.serialize()
        if not keys:
            return SensorResult(skip_reason=tick.note or "no batch closed since the last tick", cursor=cursor_text)
        return SensorResult(
            run_requests=[RunRequest(partition_key=key, run_key=key) for key in keys],
            dynamic_partitions_requests=[partitions_def.build_add_request(keys)],
            cursor=cursor_text,
        )

    return reservations_sensor
