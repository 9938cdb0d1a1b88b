"""One authenticated HTTP session to one Twilio API origin: credentials, timeouts, retries, paging, errors."""

from __future__ import annotations

import base64
import email.utils
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from .errors import (
    FlexInsightsAPIError,
    FlexInsightsAuthError,
    FlexInsightsConfigError,
    FlexInsightsConnectionError,
    FlexInsightsRateLimitError,
    FlexInsightsResponseError,
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


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def normalize_base_url(base_url: str, name: str = "base_url") -> str:
    """Check that a base URL is an absolute http(s) URL and drop any trailing slash."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise FlexInsightsConfigError(f"{name} is empty: give an absolute URL such as https://flex-api.twilio.com")
    base_url = base_url.strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FlexInsightsConfigError(f"{name} {base_url!r} is not an absolute http(s) URL")
    if parts.username or parts.password:
        raise FlexInsightsConfigError(f"{name} must not carry credentials; pass them as their own settings")
    if parts.query or parts.fragment:
        raise FlexInsightsConfigError(f"{name} {base_url!r} must not have a query or fragment")
    return base_url


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class TwilioHTTP:
    """A requests.Session bound to one Twilio origin that retries, times out and raises typed errors."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
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
        for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
            if not value or value <= 0:
                raise FlexInsightsConfigError(f"{name} must be a positive number of seconds, got {value!r}")
        if max_retries < 0:
            raise FlexInsightsConfigError(f"max_retries must be 0 or more, got {max_retries!r}")
        if backoff_factor < 0 or max_backoff < 0:
            raise FlexInsightsConfigError("backoff_factor and max_backoff must not be negative")
        self.timeout = (float(connect_timeout), float(read_timeout))
        self.max_retries = int(max_retries)
        self.backoff_factor = float(backoff_factor)
        self.max_backoff = float(max_backoff)
        self._sleep = sleep
        self._secrets = self._secret_forms(credentials)
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.headers["Accept"] = "application/json"

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

    def absolute_url(self, url_or_path: str) -> str:
        """Resolve a path or a URL the API gave against the base URL, refusing other origins."""
        if url_or_path.startswith("/"):
            url = self.base_url + url_or_path
        else:
            url = urljoin(self.base_url + "/", url_or_path)
        if _origin(url) != self._origin:
            raise FlexInsightsResponseError(
                f"the API pointed to {url!r}, which is not on the configured base URL {self.base_url!r}; "
                "credentials are only sent to the base URL's scheme, host and port. "
                "If the API really moved, set the base URL to the new origin."
            )
        return url

    def _backoff(self, attempt: int) -> float:
        delay = self.backoff_factor * (2**attempt)
        return min(self.max_backoff, delay * (0.5 + random.random() / 2))

    def get_json(self, url_or_path: str, params: QueryParams | None = None) -> Any:
        """GET a JSON document, retrying 429, 5xx and network failures with backoff."""
        url = self.absolute_url(url_or_path)
        auth = (self._credentials.username, self._credentials.password)
        attempt = 0
        while True:
            try:
                response = self.session.get(url, params=params, auth=auth, timeout=self.timeout, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < self.max_retries:
                    self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
                raise FlexInsightsConnectionError(
                    f"GET {url} {kind} after {attempt + 1} attempts ({type(exc).__name__}); "
                    "check the base URL and the network, or raise the timeouts"
                ) from None
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                delay = self._backoff(attempt) if retry_after is None else min(retry_after, self.max_backoff)
                response.close()
                self._sleep(delay)
                attempt += 1
                continue
            return self._decode(response)

    def _decode(self, response: requests.Response) -> Any:
        url = response.request.url or response.url
        status = response.status_code
        if 200 <= status < 300:
            try:
                return response.json()
            except ValueError:
                raise FlexInsightsResponseError(
                    f"GET {url} answered {status} with a body that is not JSON: {self._snippet(response)!r}"
                ) from None
        raise self._error(response, url)

    def _snippet(self, response: requests.Response) -> str:
        return self.scrub(response.text[:200])

    def _error(self, response: requests.Response, url: str) -> FlexInsightsAPIError:
        status = response.status_code
        code = message = more_info = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, Mapping):
            raw_code = body.get("code")
            code = raw_code if isinstance(raw_code, int) else None
            message = body.get("message") if isinstance(body.get("message"), str) else None
            more_info = body.get("more_info") if isinstance(body.get("more_info"), str) else None
        if message is None:
            message = self._snippet(response) or response.reason or None
        elif message:
            message = self.scrub(message)
        if 300 <= status < 400:
            message = (
                f"unexpected redirect to {response.headers.get('Location')!r}; set the base URL to the final origin"
            )
        kwargs: dict[str, Any] = {"method": "GET", "url": url}
        if status in (401, 403):
            message = (message or "") + (
                " (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)"
            )
            return FlexInsightsAuthError(status, code, message, more_info, **kwargs)
        if status == 429:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            message = (message or "") + f" (still rate limited after {self.max_retries} retries)"
            return FlexInsightsRateLimitError(status, code, message, more_info, retry_after=retry_after, **kwargs)
        return FlexInsightsAPIError(status, code, message, more_info, **kwargs)

    def iter_pages(self, path: str, params: QueryParams, key: str) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's list under `key`, following meta.next_page_url exactly as given until null."""
        url: str | None = path
        query: QueryParams | None = params
        seen: set[str] = set()
        while url is not None:
            page = self.get_json(url, query)
            where = self.absolute_url(url) if query is None else f"{self.base_url}{path}"
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
            url, query = next_url, None
