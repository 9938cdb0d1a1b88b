"""Dagster resources: configuration for the Flex Insights client, the TaskRouter source and the ledger."""

from __future__ import annotations

import math
import os
from datetime import timedelta
from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource
from pydantic import Field

from ..client import DEFAULT_BASE_URL, FlexInsightsClient
from ..discovery import DiscoverySettings
from ..errors import FlexInsightsConfigError
from ..ledger import ReservationLedger
from ..sources import DEFAULT_EVENT_TYPE, DEFAULT_TASKROUTER_BASE_URL, TaskRouterEventsSource

LEDGER_FILE_NAME = "flex_segments_ledger.sqlite"


class _TwilioResource(ConfigurableResource):
    """Credentials and HTTP behaviour shared by the two Twilio resources."""

    account_sid: str | None = Field(default=None, description="Twilio Account SID (AC...).")
    auth_token: str | None = Field(default=None, repr=False, description="Auth Token for account_sid. Secret.")
    api_key_sid: str | None = Field(default=None, description="API key SID (SK...); preferred over the token.")
    api_key_secret: str | None = Field(default=None, repr=False, description="Secret of api_key_sid. Secret.")
    connect_timeout: float = Field(default=5.0, description="Seconds to wait for a connection.")
    read_timeout: float = Field(default=30.0, description="Seconds to wait for each read of a response.")
    total_timeout: float = Field(default=120.0, description="Seconds one whole response may take to arrive.")
    max_retries: int = Field(default=5, description="Retries of a request after 429, 5xx or a network failure.")

    def _credentials(self) -> dict[str, str | None]:
        return {
            "account_sid": self.account_sid,
            "auth_token": self.auth_token,
            "api_key_sid": self.api_key_sid,
            "api_key_secret": self.api_key_secret,
        }


class FlexInsightsResource(_TwilioResource):
    """The Flex Insights Segments API as a Dagster resource; `get_client()` gives the plain client."""

    base_url: str = Field(default=DEFAULT_BASE_URL, description="Flex API origin (FLEX_API_BASE_URL).")
    page_size: int = Field(default=1000, description="Segments per page, 1 to 1000.")
    max_concurrency: int = Field(default=4, description="Reservations fetched at the same time within one run.")

    def get_client(self) -> FlexInsightsClient:
        """A new FlexInsightsClient with this configuration; close it when done (it is a context manager)."""
        return FlexInsightsClient(
            **self._credentials(),
            base_url=self.base_url,
            page_size=self.page_size,
            max_concurrency=self.max_concurrency,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_retries=self.max_retries,
        )

    def fetch_segments(self, reservation_ids: list[str] | None = None, segment_id: str | None = None) -> pd.DataFrame:
        """Fetch segments into the typed DataFrame, one row per segment with its reservation_id."""
        with self.get_client() as client:
            return client.fetch_segments(reservation_ids=reservation_ids, segment_id=segment_id)


class TaskRouterResource(_TwilioResource):
    """The TaskRouter workspace whose events announce new reservations."""

    workspace_sid: str = Field(description="TaskRouter Workspace SID, WS... (TASKROUTER_WORKSPACE_SID).")
    base_url: str = Field(default=DEFAULT_TASKROUTER_BASE_URL, description="TaskRouter origin (TASKROUTER_BASE_URL).")
    event_type: str = Field(default=DEFAULT_EVENT_TYPE, description="Event type that marks a reservation as ready.")
    page_size: int = Field(default=1000, description="Events per page, 1 to 1000.")
    initial_lookback_minutes: float = Field(default=60.0, description="How far back the first tick reads.")
    overlap_minutes: float = Field(default=5.0, description="How far each tick re-reads, for late events.")
    max_window_minutes: float = Field(default=60.0, description="Most event time one tick reads, to stay fast.")

    def get_source(self) -> TaskRouterEventsSource:
        """A new TaskRouterEventsSource with this configuration."""
        return TaskRouterEventsSource(
            self.workspace_sid,
            **self._credentials(),
            base_url=self.base_url,
            event_type=self.event_type,
            page_size=self.page_size,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_retries=self.max_retries,
        )


def default_ledger_url() -> str:
    """A SQLite file under DAGSTER_HOME (or the working directory when DAGSTER_HOME is unset)."""
    home = os.environ.get("DAGSTER_HOME") or os.getcwd()
    return f"sqlite:///{Path(home).resolve() / LEDGER_FILE_NAME}"


class ReservationLedgerResource(ConfigurableResource):
    """The durable record of which reservation belongs to which batch, and how batches are cut."""

    url: str | None = Field(
        default=None,
        repr=False,
        description="SQLAlchemy URL (FLEX_SEGMENTS_LEDGER_URL); default a SQLite file under DAGSTER_HOME.",
    )
    batch_size: int = Field(default=100, description="Reservations per batch (partition).")
    max_batch_age_minutes: float = Field(default=10.0, description="A batch closes this long after it opened.")

    def get_ledger(self, scope: str) -> ReservationLedger:
        """A ReservationLedger for one stream of batches (the partitions definition's name)."""
        return ReservationLedger(self.url or default_ledger_url(), scope=scope)

    def discovery_settings(self, taskrouter: TaskRouterResource) -> DiscoverySettings:
        """Batching and event-window settings for a discovery tick."""
        return DiscoverySettings(
            batch_size=self.batch_size,
            max_batch_age=_minutes("max_batch_age_minutes", self.max_batch_age_minutes),
            initial_lookback=_minutes("initial_lookback_minutes", taskrouter.initial_lookback_minutes, zero=True),
            overlap=_minutes("overlap_minutes", taskrouter.overlap_minutes, zero=True),
            max_window=_minutes("max_window_minutes", taskrouter.max_window_minutes),
        )


MAX_MINUTES = 60 * 24 * 365 * 5  # TaskRouter keeps events for far less; anything longer is a typo


def _minutes(name: str, value: float, zero: bool = False) -> timedelta:
    if not (math.isfinite(value) and (value >= 0 if zero else value > 0) and value <= MAX_MINUTES):
        low = "0" if zero else "more than 0"
        raise FlexInsightsConfigError(f"{name} must be a number of minutes from {low} to {MAX_MINUTES}, got {value!r}")
    return timedelta(minutes=value)
