"""The Definitions factory that adds the segments asset, its sensor and resources to a code location."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from dagster import DefaultSensorStatus, Definitions, EnvVar, define_asset_job

from ..client import DEFAULT_BASE_URL
from ..sources import DEFAULT_TASKROUTER_BASE_URL
from .assets import DEFAULT_ASSET_NAME, DEFAULT_POOL, build_segments_asset
from .partitions import DEFAULT_PARTITIONS_NAME, batches_partitions_def
from .resources import FlexInsightsResource, ReservationLedgerResource, TaskRouterResource
from .sensors import DEFAULT_SENSOR_NAME, build_reservations_sensor


def _credential_env_vars() -> dict[str, EnvVar]:
    # Which pair is configured is decided when the code location loads; the values stay in the environment.
    if os.environ.get("TWILIO_API_KEY_SID"):
        fields = {"api_key_sid": EnvVar("TWILIO_API_KEY_SID"), "api_key_secret": EnvVar("TWILIO_API_KEY_SECRET")}
        if os.environ.get("TWILIO_ACCOUNT_SID"):
            fields["account_sid"] = EnvVar("TWILIO_ACCOUNT_SID")
        return fields
    return {"account_sid": EnvVar("TWILIO_ACCOUNT_SID"), "auth_token": EnvVar("TWILIO_AUTH_TOKEN")}


def _env_or(name: str, default: str) -> str | EnvVar:
    return EnvVar(name) if os.environ.get(name) else default


def flex_insights_resource_from_env() -> FlexInsightsResource:
    """FlexInsightsResource configured from TWILIO_* and FLEX_API_BASE_URL."""
    return FlexInsightsResource(**_credential_env_vars(), base_url=_env_or("FLEX_API_BASE_URL", DEFAULT_BASE_URL))


def taskrouter_resource_from_env() -> TaskRouterResource:
    """TaskRouterResource configured from TWILIO_*, TASKROUTER_WORKSPACE_SID and TASKROUTER_BASE_URL."""
    return TaskRouterResource(
        **_credential_env_vars(),
        workspace_sid=EnvVar("TASKROUTER_WORKSPACE_SID"),
        base_url=_env_or("TASKROUTER_BASE_URL", DEFAULT_TASKROUTER_BASE_URL),
    )


def reservation_ledger_resource_from_env(**fields: Any) -> ReservationLedgerResource:
    """ReservationLedgerResource on FLEX_SEGMENTS_LEDGER_URL, or the SQLite default; other fields as given."""
    url = EnvVar("FLEX_SEGMENTS_LEDGER_URL") if os.environ.get("FLEX_SEGMENTS_LEDGER_URL") else None
    return ReservationLedgerResource(url=url, **fields)


def build_flex_segments_definitions(
    *,
    flex_insights: FlexInsightsResource | None = None,
    taskrouter: TaskRouterResource | None = None,
    reservation_ledger: ReservationLedgerResource | None = None,
    partitions_name: str = DEFAULT_PARTITIONS_NAME,
    asset_name: str = DEFAULT_ASSET_NAME,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = "flex_insights",
    pool: str | None = DEFAULT_POOL,
    sensor_name: str = DEFAULT_SENSOR_NAME,
    sensor_interval_seconds: int = 30,
    sensor_default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
) -> Definitions:
    """Definitions for Flex Insights segments: the partitioned asset, its job, the sensor and the resources."""
    partitions_def = batches_partitions_def(partitions_name)
    segments = build_segments_asset(
        partitions_def, name=asset_name, key_prefix=key_prefix, group_name=group_name, pool=pool
    )
    job = define_asset_job(f"{asset_name}_job", selection=[segments])
    reservations_sensor = build_reservations_sensor(
        job,
        partitions_def,
        name=sensor_name,
        minimum_interval_seconds=sensor_interval_seconds,
        default_status=sensor_default_status,
    )
    return Definitions(
        assets=[segments],
        jobs=[job],
        sensors=[reservations_sensor],
        resources={
            "flex_insights": flex_insights or flex_insights_resource_from_env(),
            "taskrouter": taskrouter or taskrouter_resource_from_env(),
            "reservation_ledger": reservation_ledger or reservation_ledger_resource_from_env(),
        },
    )
