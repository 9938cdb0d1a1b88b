"""One authenticated HTTP session to one Twilio API origin: credentials, timeouts, retries, paging, errors."""

from __future__ import annotations

import base64
import email.utils
import json
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .errors import (
    FlexInsightsAPIError,
    FlexInsightsAuthError,
    FlexInsightsConfigError,
    FlexInsightsConnectionError,
    FlexInsightsRateLimitError,
    FlexInsightsResponseError,
    FlexInsightsTimeBudgetError,
)

ACCOUNT_SID_PATTERN = re.compile(r"^AC[0-9a-fA-F]{32}\Z")
API_KEY_SID_PATTERN = re.compile(r"^SK[0-9a-fA-F]{32}\Z")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "flex-segments-dagster/0.1"

QueryParams = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Credentials:
    """The HTTP Basic username and password for Twilio: an Account SID and token, or an API key."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"


def resolve_credentials(
    account_sid: str | None = None,
    auth_token: str | None = None,
    api_key_sid: str | None = None,
    api_key_secret: str | None = None,
) -> Credentials:
    """Pick the Basic-auth pair to use, preferring an API key, and say exactly what is missing."""
    account_sid, auth_token = account_sid or None, auth_token or None
    api_key_sid, api_key_secret = api_key_sid or None, api_key_secret or None
    if api_key_sid or api_key_secret:
        if not (api_key_sid and api_key_secret):
            missing = "api_key_secret (TWILIO_API_KEY_SECRET)" if api_key_sid else "api_key_sid (TWILIO_API_KEY_SID)"
            raise FlexInsightsConfigError(f"an API key needs both its SID and its secret; {missing} is not set")
        if not API_KEY_SID_PATTERN.match(api_key_sid):
            raise FlexInsightsConfigError(
                f"api_key_sid {api_key_sid!r} is not an API key SID: expected 'SK' followed by 32 hex digits"
            )
        return Credentials(api_key_sid, api_key_secret)
    if account_sid or auth_token:
        if not (account_sid and auth_token):
            missing = "auth_token (TWILIO_AUTH_TOKEN)" if account_sid else "account_sid (TWILIO_ACCOUNT_SID)"
            raise FlexInsightsConfigError(f"Account SID authentication needs both values; {missing} is not set")
        if not ACCOUNT_SID_PATTERN.match(account_sid):
            raise FlexInsightsConfigError(
                f"account_sid {account_sid!r} is not an Account SID: expected 'AC' followed by 32 hex digits"
            )
        return Credentials(account_sid, auth_token)
    raise FlexInsightsConfigError(
        "no Twilio credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
        "or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET"
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE_URL_CHARACTERS = re.compile(r"[\\\s\x00-\x1f\x7f]")
MAX_MESSAGE_CHARS = 500


def _origin(url: str) -> tuple[str, str, int]:
    """The (scheme, host, port) a request to url really goes to; ValueError when parsers could disagree."""
    if _UNSAFE_URL_CHARACTERS.search(url):
        raise ValueError("the URL contains a backslash, white space or a control character")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    connected = parse_url(url)  # how urllib3, which opens the connection, reads the same URL
    host = (parts.hostname or "").lower()
    if (connected.host or "").lower().strip("[]") != host.strip("[]") or (connected.port or None) != port:
        raise ValueError("the URL's host is read differently by different parsers")
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError("the URL is not an absolute http(s) URL")
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def normalize_base_url(base_url: str, name: str = "base_url") -> str:
    """Check that a base URL is an absolute http(s) URL and drop any trailing slash."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise FlexInsightsConfigError(f"{name} is empty: give an absolute URL such as https://flex-api.twilio.com")
    base_url = base_url.strip().rstrip("/")
    try:
        _origin(base_url)
        parts = urlsplit(base_url)
    except (ValueError, LocationParseError) as exc:
        raise FlexInsightsConfigError(f"{name} {base_url!r} is not a usable http(s) URL: {exc}") from None
    if parts.username or parts.password:
        raise FlexInsightsConfigError(f"{name} must not carry credentials; pass them as their own settings")
    if parts.query or parts.fragment:
        raise FlexInsightsConfigError(f"{name} {base_url!r} must not have a query or fragment")
    return base_url


def _number(name: str, value: object, *, minimum: float, allow_minimum: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FlexInsightsConfigError(f"{name} must be a finite number, got {value!r}")
    if value < minimum or (value == minimum and not allow_minimum):
        bound = f"at least {minimum}" if allow_minimum else f"greater than {minimum}"
        raise FlexInsightsConfigError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def _http_date(value: str | None) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, OverflowError):
        return None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    when = _http_date(value)
    try:
        return None if when is None else max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except OverflowError:
        return None


class _DeadlineExceeded(Exception):
    """A response that kept trickling in past total_timeout."""


class TwilioHTTP:
    """A requests.Session bound to one Twilio origin that retries, times out and raises typed errors."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        max_backoff: float = 30.0,
        pool_size: int = 10,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._origin = _origin(self.base_url)
        self._credentials = credentials
        self.timeout = (
            _number("connect_timeout", connect_timeout, minimum=0, allow_minimum=False),
            _number("read_timeout", read_timeout, minimum=0, allow_minimum=False),
        )
        self.total_timeout = _number("total_timeout", total_timeout, minimum=0, allow_minimum=False)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise FlexInsightsConfigError(f"max_retries must be a whole number, 0 or more, got {max_retries!r}")
        self.max_retries = max_retries
        self.backoff_factor = _number("backoff_factor", backoff_factor, minimum=0, allow_minimum=True)
        self.max_backoff = _number("max_backoff", max_backoff, minimum=0, allow_minimum=True)
        self._sleep = sleep
        self.deadline: float | None = None  # time.monotonic() after which no request or retry starts
        self.last_server_time: datetime | None = None  # the Date header of the last response
        self._secrets = self._secret_forms(credentials)
        self.session = session or self._new_session(self.base_url)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.headers["Accept"] = "application/json"

    @staticmethod
    def _new_session(base_url: str) -> requests.Session:
        session = requests.Session()
        # Read proxy and CA bundle settings from the environment once here: requests would otherwise scan the
        # whole environment on every request, which costs more than the request itself against a fast server.
        session.proxies.update(requests.utils.get_environ_proxies(base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
        session.trust_env = False
        return session

    @staticmethod
    def _secret_forms(credentials: Credentials) -> tuple[str, ...]:
        pair = f"{credentials.username}:{credentials.password}".encode()
        return tuple(s for s in (credentials.password, base64.b64encode(pair).decode()) if s)

    def scrub(self, text: str) -> str:
        """Remove every form of the secret from text that may reach a log or an exception."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, username={self._credentials.username!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def absolute_url(self, url_or_path: str, relative_to: str | None = None) -> str:
        """Resolve a path or a URL the API gave, refusing any origin but the base URL's."""
        if url_or_path.startswith("/") and relative_to is None:
            url = self.base_url + url_or_path
        else:
            url = urljoin(relative_to or self.base_url + "/", url_or_path)
        try:
            same = _origin(url) == self._origin
        except (ValueError, LocationParseError):
            same = False
        if not same:
            raise FlexInsightsResponseError(
                f"the API pointed to {self.scrub(url)[:200]!r}, which is not on the configured base URL "
                f"{self.base_url!r}; credentials are only sent to the base URL's scheme, host and port. "
                "If the API really moved, set the base URL to the new origin."
            )
        return url

    def _backoff(self, attempt: int) -> float:
        delay = self.backoff_factor * (2**attempt)
        return min(self.max_backoff, delay * (0.5 + random.random() / 2))

    def _time_left_for(self, delay: float) -> bool:
        return self.deadline is None or time.monotonic() + delay < self.deadline

    def _out_of_time(self, url: str, what: str) -> FlexInsightsTimeBudgetError:
        return FlexInsightsTimeBudgetError(f"stopped reading {self.scrub(url)} to stay within the time budget: {what}")

    def get_json(self, url_or_path: str, params: QueryParams | None = None) -> Any:
        """GET a JSON document, retrying 429, 5xx and network failures with backoff."""
        url = self.absolute_url(url_or_path)
        attempt = 0
        while True:
            if not self._time_left_for(0):
                raise self._out_of_time(url, "the budget ran out before this request")
            try:
                status, headers, body, sent_url = self._get(url, params)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, _DeadlineExceeded) as exc:
                timeouts = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError, _DeadlineExceeded)
                kind = "timed out" if isinstance(exc, timeouts) else "failed"
                delay = self._backoff(attempt)
                if attempt < self.max_retries:
                    if not self._time_left_for(delay):
                        raise self._out_of_time(url, f"attempt {attempt + 1} {kind} ({type(exc).__name__})") from None
                    self._sleep(delay)
                    attempt += 1
                    continue
                raise FlexInsightsConnectionError(
                    f"GET {self.scrub(url)} {kind} after {attempt + 1} attempts ({type(exc).__name__}); "
                    "check the base URL and the network, or raise the timeouts"
                ) from None
            if status in RETRY_STATUSES and attempt < self.max_retries:
                retry_after = _retry_after_seconds(headers.get("Retry-After"))
                delay = self._backoff(attempt) if retry_after is None else min(retry_after, self.max_backoff)
                if not self._time_left_for(delay):
                    raise self._out_of_time(url, f"HTTP {status} asked to wait {delay:g} s") from None
                self._sleep(delay)
                attempt += 1
                continue
            if 200 <= status < 300:
                return self._decode(body, sent_url, status)
            raise self._error(status, headers, body, sent_url, attempt)

    def _get(self, url: str, params: QueryParams | None) -> tuple[int, Mapping[str, str], bytes, str]:
        """One GET whose whole answer must arrive within total_timeout, not just each read."""
        deadline = time.monotonic() + self.total_timeout
        timeout = self.timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
            left = max(0.001, self.deadline - time.monotonic())
            timeout = (min(timeout[0], left), min(timeout[1], left))
        auth = (self._credentials.username, self._credentials.password)
        with self.session.get(
            url, params=params, auth=auth, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            self.last_server_time = _http_date(response.headers.get("Date"))
            chunks = []
            while chunk := response.raw.read1(65536, decode_content=True):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _DeadlineExceeded()
            return response.status_code, response.headers, b"".join(chunks), response.request.url or url

    def _decode(self, body: bytes, url: str, status: int) -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise FlexInsightsResponseError(
                f"GET {self.scrub(url)} answered {status} with a body that is not JSON: {self._snippet(body)!r}"
            ) from None

    def _snippet(self, text: bytes | str | None) -> str:
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        text = self.scrub(text or "")
        return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "..."

    def _error(
        self, status: int, headers: Mapping[str, str], body: bytes, url: str, attempt: int = 0
    ) -> FlexInsightsAPIError:
        code = message = more_info = None
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, Mapping):
            raw_code = parsed.get("code")
            code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
            message = parsed.get("message") if isinstance(parsed.get("message"), str) else None
            more_info = parsed.get("more_info") if isinstance(parsed.get("more_info"), str) else None
        message = self._snippet(message if message is not None else body) or None
        more_info = self._snippet(more_info) if more_info else None
        if 300 <= status < 400:
            location = self._snippet(headers.get("Location"))
            message = f"unexpected redirect to {location!r}; set the base URL to the final origin"
        kwargs: dict[str, Any] = {"method": "GET", "url": self._snippet(url)}
        if status in (401, 403):
            message = (message or "") + (
                " (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)"
            )
            return FlexInsightsAuthError(status, code, message, more_info, **kwargs)
        if status == 429:
            retry_after = _retry_after_seconds(headers.get("Retry-After"))
            message = (message or "") + f" (still rate limited after {attempt} retries)"
            return FlexInsightsRateLimitError(status, code, message, more_info, retry_after=retry_after, **kwargs)
        if status in RETRY_STATUSES:
            message = (message or "") + f" (after {attempt} retries)"
        return FlexInsightsAPIError(status, code, message, more_info, **kwargs)

    def iter_pages(self, path: str, params: QueryParams, key: str) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's list under `key`, following meta.next_page_url exactly as given until null."""
        url: str | None = self.absolute_url(path)
        query: QueryParams | None = params
        seen: set[str] = set()
        while url is not None:
            page = self.get_json(url, query)
            where = self.scrub(url)
            if not isinstance(page, Mapping):
                raise FlexInsightsResponseError(f"page from {where} is a {type(page).__name__}, not a JSON object")
            items = page.get(key)
            if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
                raise FlexInsightsResponseError(
                    f"page from {where} has no list of objects under {key!r}; got {type(items).__name__}"
                )
            meta = page.get("meta")
            if not isinstance(meta, Mapping):
                raise FlexInsightsResponseError(f"page from {where} has no 'meta' object, so paging cannot go on")
            yield [dict(item) for item in items]
            next_url = meta.get("next_page_url")
            if next_url is None or next_url == "":
                return
            if not isinstance(next_url, str):
                raise FlexInsightsResponseError(f"page from {where} has a non-string next_page_url: {next_url!r}")
            if next_url in seen:
                raise FlexInsightsResponseError(f"the API sent {next_url!r} as next_page_url twice; paging stopped")
            seen.add(next_url)
            url, query = self.absolute_url(next_url, relative_to=url), None
