"""FlexInsightsClient: segments of TaskRouter reservations from GET /v1/Insights/Segments, without Dagster."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import requests

from .errors import FlexInsightsConfigError, InvalidReservationIdError
from .transport import QueryParams, TwilioHTTP, resolve_credentials

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_BASE_URL = "https://flex-api.twilio.com"
SEGMENTS_PATH = "/v1/Insights/Segments"
RESERVATION_ID_PATTERN = re.compile(r"^WR[0-9a-fA-F]{32}\Z")
MAX_PAGE_SIZE = 1000


def validate_reservation_ids(reservation_ids: Iterable[str] | str) -> list[str]:
    """Check every id against ^WR[0-9a-fA-F]{32}$ and return them once each, in first-seen order."""
    if isinstance(reservation_ids, str):
        reservation_ids = [reservation_ids]
    try:
        items = iter(reservation_ids)
    except TypeError:
        raise InvalidReservationIdError(
            reservation_ids, "reservation_ids must be a list (or other iterable) of reservation id strings"
        ) from None
    unique: dict[str, None] = {}
    for position, value in enumerate(items):
        if not isinstance(value, str):
            raise InvalidReservationIdError(
                value, f"item {position} is a {type(value).__name__}; reservation ids are strings like 'WR' + 32 hex"
            )
        if not RESERVATION_ID_PATTERN.match(value):
            raise InvalidReservationIdError(value, f"item {position} is not 'WR' followed by 32 hexadecimal digits")
        unique.setdefault(value, None)
    return list(unique)


class FlexInsightsClient:
    """A client for Flex Insights segments that attributes every segment to the reservation it was fetched for."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        api_key_sid: str | None = None,
        api_key_secret: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        page_size: int = MAX_PAGE_SIZE,
        max_concurrency: int = 4,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        max_backoff: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise FlexInsightsConfigError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise FlexInsightsConfigError(f"max_concurrency must be an integer of 1 or more, got {max_concurrency!r}")
        credentials = resolve_credentials(account_sid, auth_token, api_key_sid, api_key_secret)
        self.page_size = page_size
        self.max_concurrency = max_concurrency
        self._http = TwilioHTTP(
            base_url,
            credentials,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            total_timeout=total_timeout,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            pool_size=max_concurrency,
            session=session,
        )

    @property
    def base_url(self) -> str:
        """The origin (and optional path prefix) every request goes to."""
        return self._http.base_url

    def __repr__(self) -> str:
        return f"FlexInsightsClient(base_url={self.base_url!r}, page_size={self.page_size})"

    def __enter__(self) -> FlexInsightsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

    def _segments(self, params: QueryParams) -> list[dict[str, Any]]:
        segments: list[dict[str, Any]] = []
        for page in self._http.iter_pages(SEGMENTS_PATH, params, "segments"):
            segments.extend(page)
        return segments

    def _params(self, reservation_id: str | None, segment_id: str | None) -> list[tuple[str, str]]:
        params = []
        if reservation_id is not None:
            params.append(("ReservationId", reservation_id))
        if segment_id is not None:
            params.append(("SegmentId", segment_id))
        params.append(("PageSize", str(self.page_size)))
        return params

    def iter_segments(
        self, reservation_ids: Iterable[str] | None = None, segment_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield segment dicts, each with `reservation_id` set to the reservation it was fetched for."""
        if segment_id is not None and (not isinstance(segment_id, str) or not segment_id.strip()):
            raise FlexInsightsConfigError(f"segment_id must be a non-empty string, got {segment_id!r}")
        if reservation_ids is None:
            if segment_id is None:
                raise FlexInsightsConfigError("pass reservation_ids=[...] or segment_id=..., or both")
            for segment in self._segments(self._params(None, segment_id)):
                segment["reservation_id"] = None
                yield segment
            return
        ids = validate_reservation_ids(reservation_ids)
        if not ids:
            return
        # One request chain per reservation: segments carry no reservation id, so a request for several
        # reservations at once could not say which row belongs to which.
        yield from self._fetch_each(ids, segment_id)

    def _fetch_each(self, ids: list[str], segment_id: str | None) -> Iterator[dict[str, Any]]:
        def fetch(reservation_id: str) -> list[dict[str, Any]]:
            segments = self._segments(self._params(reservation_id, segment_id))
            for segment in segments:
                segment["reservation_id"] = reservation_id
            return segments

        if self.max_concurrency == 1 or len(ids) == 1:
            for reservation_id in ids:
                yield from fetch(reservation_id)
            return
        executor = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="flex-insights")
        pending: deque[Future[list[dict[str, Any]]]] = deque()
        remaining = iter(ids)
        try:
            for reservation_id in remaining:
                pending.append(executor.submit(fetch, reservation_id))
                if len(pending) >= 2 * self.max_concurrency:
                    break
            while pending:
                segments = pending.popleft().result()
                for reservation_id in remaining:
                    pending.append(executor.submit(fetch, reservation_id))
                    break
                yield from segments
        finally:
            for future in pending:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)

    def get_segment(self, segment_id: str) -> dict[str, Any] | None:
        """Return the one segment with this SegmentId, or None when there is none."""
        segments = list(self.iter_segments(segment_id=segment_id))
        return segments[0] if segments else None

    def fetch_segments(
        self, reservation_ids: Iterable[str] | None = None, segment_id: str | None = None
    ) -> pd.DataFrame:
        """Fetch segments into a DataFrame with the columns of SEGMENT_COLUMNS."""
        from .frame import segments_to_frame

        return segments_to_frame(self.iter_segments(reservation_ids=reservation_ids, segment_id=segment_id))
