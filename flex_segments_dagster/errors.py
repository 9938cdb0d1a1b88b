"""Typed errors raised by flex_segments_dagster."""

from __future__ import annotations


class FlexInsightsError(Exception):
    """Base class for every error this package raises."""


class FlexInsightsConfigError(FlexInsightsError, ValueError):
    """Configuration that cannot work: missing credentials, a bad URL, an out-of-range knob."""


class InvalidReservationIdError(FlexInsightsError, ValueError):
    """A reservation id that is not WR followed by 32 hex digits."""

    def __init__(self, value: object, reason: str | None = None) -> None:
        self.value = value
        detail = reason or "a reservation id is 'WR' followed by 32 hexadecimal digits"
        super().__init__(f"invalid reservation id {value!r}: {detail}")


class FlexInsightsAPIError(FlexInsightsError):
    """An error response from a Twilio API, with the fields of Twilio's error body."""

    def __init__(
        self,
        status: int,
        code: int | None = None,
        message: str | None = None,
        more_info: str | None = None,
        *,
        method: str = "GET",
        url: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        self.method = method
        self.url = url
        parts = [f"HTTP {status}"]
        if code is not None:
            parts.append(f"Twilio error {code}")
        text = " ".join(parts)
        if message:
            text += f": {message}"
        if url:
            text += f" ({method} {url})"
        if more_info:
            text += f" See {more_info}"
        super().__init__(text)


class FlexInsightsAuthError(FlexInsightsAPIError):
    """Twilio refused the credentials (HTTP 401 or 403)."""


class FlexInsightsRateLimitError(FlexInsightsAPIError):
    """Twilio kept answering 429 Too Many Requests after every retry."""

    def __init__(self, *args: object, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class FlexInsightsConnectionError(FlexInsightsError):
    """The API could not be reached, or did not answer in time, after every retry."""


class FlexInsightsTimeBudgetError(FlexInsightsError):
    """A read stopped because its time budget (a sensor tick's) ran out; the next tick tries again."""


class FlexInsightsResponseError(FlexInsightsError):
    """A response that does not have the documented shape (a malformed page or field)."""


class LedgerError(FlexInsightsError):
    """The reservation ledger could not do what was asked."""


class UnknownBatchError(LedgerError, LookupError):
    """A batch (partition) key that the ledger has no record of."""
