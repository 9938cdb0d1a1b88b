"""Where reservations come from: the TaskRouter Events API (GET /v1/Workspaces/{WorkspaceSid}/Events)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import requests

from .client import RESERVATION_ID_PATTERN
from .errors import FlexInsightsAPIError, FlexInsightsConfigError
from .transport import TwilioHTTP, resolve_credentials

DEFAULT_TASKROUTER_BASE_URL = "https://taskrouter.twilio.com"
DEFAULT_EVENT_TYPE = "reservation.completed"
WORKSPACE_SID_PATTERN = re.compile(r"^WS[0-9a-fA-F]{32}\Z")


@dataclass(frozen=True)
class ReservationDiscovery:
    """What one read of the source found in a time window."""

    start: datetime
    end: datetime
    reservation_ids: list[str]
    events_read: int
    invalid_values: list[str] = field(default_factory=list)
    # How far the read is complete: `end`, or Twilio's own clock when that is behind ours.
    complete_until: datetime | None = None


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise FlexInsightsConfigError(f"time {moment!r} has no time zone; pass a tz-aware UTC datetime")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_sort_key(event: Mapping[str, Any]) -> tuple[int, str]:
    millis = event.get("event_date_ms")
    return (millis if isinstance(millis, int) else 0, str(event.get("sid") or ""))


def reservation_id_of(event: Mapping[str, Any]) -> str | None:
    """The reservation an event is about, or None when it is not about a reservation."""
    if event.get("resource_type") == "reservation" and event.get("resource_sid") is not None:
        return event["resource_sid"]
    data = event.get("event_data")
    if isinstance(data, Mapping) and data.get("reservation_sid") is not None:
        return data["reservation_sid"]
    return None


class TaskRouterEventsSource:
    """Reads reservation ids from a TaskRouter workspace's events of one type (reservation.completed by default)."""

    def __init__(
        self,
        workspace_sid: str,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        base_url: str = DEFAULT_TASKROUTER_BASE_URL,
        event_type: str = DEFAULT_EVENT_TYPE,
        page_size: int = 1000,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_retries: int = 5,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(workspace_sid, str) or not WORKSPACE_SID_PATTERN.match(workspace_sid):
            raise FlexInsightsConfigError(
                f"workspace_sid {workspace_sid!r} is not a TaskRouter Workspace SID: expected 'WS' + 32 hex digits "
                "(set TASKROUTER_WORKSPACE_SID)"
            )
        if not isinstance(event_type, str) or not event_type.strip():
            raise FlexInsightsConfigError("event_type must be a TaskRouter event type such as 'reservation.completed'")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 1000:
            raise FlexInsightsConfigError(f"page_size must be an integer from 1 to 1000, got {page_size!r}")
        self.workspace_sid = workspace_sid
        self.event_type = event_type.strip()
        self.page_size = page_size
        self._http = TwilioHTTP(
            base_url,
            resolve_credentials(account_sid, auth_token, api_key_sid, api_key_secret),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            total_timeout=total_timeout,
            max_retries=max_retries,
            session=session,
        )

    def __repr__(self) -> str:
        return (
            f"TaskRouterEventsSource(workspace_sid={self.workspace_sid!r}, event_type={self.event_type!r}, "
            f"base_url={self._http.base_url!r})"
        )

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

    def reservations_between(
        self, start: datetime, end: datetime, deadline: float | None = None
    ) -> ReservationDiscovery:
        """Reservation ids of the matching events from start to end (both inclusive), oldest first.

        `deadline` is a time.monotonic() value after which no request or retry starts.
        """
        if end < start:
            raise FlexInsightsConfigError(f"window end {end.isoformat()} is before its start {start.isoformat()}")
        params = [
            ("EventType", self.event_type),
            ("StartDate", _iso(start)),
            ("EndDate", _iso(end)),
            ("PageSize", str(self.page_size)),
        ]
        events: list[dict[str, Any]] = []
        server_time: datetime | None = None
        self._http.deadline = deadline
        try:
            for page in self._http.iter_pages(f"/v1/Workspaces/{self.workspace_sid}/Events", params, "events"):
                server_time = server_time or self._http.last_server_time
                events.extend(page)
        except FlexInsightsAPIError as exc:
            if exc.status != 404:
                raise
            hint = f"(is TASKROUTER_WORKSPACE_SID {self.workspace_sid} a workspace of this account?)"
            raise FlexInsightsAPIError(
                exc.status,
                exc.code,
                f"{exc.message or 'not found'} {hint}",
                exc.more_info,
                method=exc.method,
                url=exc.url,
            ) from None
        finally:
            self._http.deadline = None
        events.sort(key=_event_sort_key)
        found: dict[str, None] = {}
        invalid: list[str] = []
        for event in events:
            value = reservation_id_of(event)
            if value is None:
                continue
            if isinstance(value, str) and RESERVATION_ID_PATTERN.match(value):
                found.setdefault(value, None)
            else:
                invalid.append(repr(value)[:80])
        complete_until = end if server_time is None else max(start, min(end, server_time))
        return ReservationDiscovery(start, end, list(found), len(events), invalid, complete_until)
