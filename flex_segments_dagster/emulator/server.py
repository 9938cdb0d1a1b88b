"""A local HTTP stand-in for Twilio's Flex Insights Segments and TaskRouter Events list endpoints."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
import socket
import socketserver
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .data import (
    DEFAULT_RESERVATIONS,
    DEFAULT_SEED,
    DEFAULT_SPACING,
    EMULATOR_ACCOUNT_SID,
    EMULATOR_API_KEY_SECRET,
    EMULATOR_API_KEY_SID,
    EMULATOR_AUTH_TOKEN,
    EMULATOR_WORKSPACE_SID,
    EVENT_URL_FIELDS,
    SEGMENT_URL_FIELDS,
    EmulatorData,
    StoredEvent,
    from_ms,
    normalize_sid,
    to_ms,
)
from .spec import (
    EVENTS_FRAGMENT,
    EVENTS_PATH,
    SEGMENTS_FRAGMENT,
    SEGMENTS_PATH,
    ParameterError,
    check_value,
    operation_parameters,
    parse_query,
    path_parameter_schema,
)

DEFAULT_PAGE_SIZE = 50
DEFAULT_EVENT_MINUTES = 15
_EVENTS_ROUTE = re.compile(r"^/v1/Workspaces/([^/]+)/Events$")
_EVENT_FILTERS = (
    "EventType",
    "ReservationSid",
    "TaskQueueSid",
    "TaskSid",
    "WorkerSid",
    "WorkflowSid",
    "TaskChannel",
    "Sid",
)
_SID_FILTERS = {"ReservationSid", "TaskQueueSid", "TaskSid", "WorkerSid", "WorkflowSid", "Sid"}
_TOKEN_SIGNATURE_BYTES = 8
_JSON = "application/json; charset=utf-8"

FaultBody = bytes | str | dict | list | None
Fault = tuple[int, FaultBody, dict[str, str]] | tuple[int, FaultBody]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received. The Authorization header itself is never kept."""

    method: str
    path: str
    query: dict[str, list[str]]
    auth_valid: bool
    auth_method: str | None  # "auth_token", "api_key" or None
    status: int
    fault: bool


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    headers: dict[str, str]


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def twilio_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> _Response:
    """Build an error response with Twilio's error body."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return _Response(status, _json_bytes(body), {"Content-Type": _JSON, **(headers or {})})


def _fault_response(fault: Fault) -> _Response:
    status, body = fault[0], fault[1]
    headers = dict(fault[2]) if len(fault) > 2 else {}  # type: ignore[misc]
    if isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode("utf-8")
    elif body is None:
        raw = b""
    else:
        raw = _json_bytes(body)
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = _JSON
    return _Response(status, raw, headers)


class _Handler(BaseHTTPRequestHandler):
    """Serves every request through TwilioEmulator.respond, writing each response in one send."""

    protocol_version = "HTTP/1.1"
    server_version = "TwilioEmulator"
    timeout = 120  # idle keep-alive connections are dropped eventually
    server: _Server

    def do_GET(self) -> None:
        self._serve(include_body=True)

    def do_HEAD(self) -> None:
        self._serve(include_body=False)

    def __getattr__(self, name: str) -> Any:
        # Any other method (POST, DELETE, even unknown ones) gets Twilio's 405 instead of http.server's 501.
        if name.startswith("do_"):
            return lambda: self._serve(include_body=True)
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep the emulator quiet; requests are recorded on the emulator instead."""

    def _drain_body(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            return
        length = self.headers.get("Content-Length")
        if length:
            try:
                remaining = int(length)
            except ValueError:
                self.close_connection = True
                return
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)

    def _serve(self, include_body: bool) -> None:
        self._drain_body()
        response = self.server.emulator.respond(self.command, self.path, self.headers.get("Authorization"))
        if self.server.emulator.latency:
            time.sleep(self.server.emulator.latency)
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Date: {formatdate(self.server.emulator.now().timestamp(), usegmt=True)}",  # the emulator's clock
            f"Server: {self.server_version}",
        ]
        for name, value in response.headers.items():
            lowered = name.lower()
            if lowered in ("content-length", "transfer-encoding", "date", "server"):
                continue
            if lowered == "connection":
                if value.lower() == "close":
                    self.close_connection = True
                continue
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write: separate header and body writes stall on Nagle + delayed ACK.
        self.wfile.write(head + response.body if include_body else head)


class _Server(ThreadingHTTPServer):
    """A threading HTTP server with TCP_NODELAY, no reverse DNS, and closable keep-alive connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], emulator: TwilioEmulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can hang without a network.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every open keep-alive connection so handler threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class TwilioEmulator:
    """Local stand-in for GET /v1/Insights/Segments and GET /v1/Workspaces/{sid}/Events, on one port."""

    def __init__(
        self,
        port: int = 0,
        reservations: int = DEFAULT_RESERVATIONS,
        seed: int = DEFAULT_SEED,
        *,
        host: str = "127.0.0.1",
        anchor: datetime | None = None,
        spacing: timedelta = DEFAULT_SPACING,
        clock: Callable[[], datetime] | None = None,
        account_sid: str = EMULATOR_ACCOUNT_SID,
        auth_token: str = EMULATOR_AUTH_TOKEN,
        api_key_sid: str = EMULATOR_API_KEY_SID,
        api_key_secret: str = EMULATOR_API_KEY_SECRET,
        workspace_sid: str = EMULATOR_WORKSPACE_SID,
        latency: float = 0.0,
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must be 0 or more seconds, got {latency!r}")
        self.latency = latency  # seconds added to every response, to stand in for a network; 0 by default
        self.host = host
        self.port = port
        self.seed = seed
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_key_sid = api_key_sid
        self.api_key_secret = api_key_secret
        self.workspace_sid = workspace_sid
        self.spacing = spacing
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        if anchor is None:
            start = self._clock().astimezone(timezone.utc).replace(microsecond=0)
            anchor = start - spacing * reservations
        self.anchor = anchor if anchor.tzinfo else anchor.replace(tzinfo=timezone.utc)
        self.data = EmulatorData(
            seed=seed,
            reservations=reservations,
            anchor=self.anchor,
            spacing=spacing,
            account_sid=account_sid,
            workspace_sid=workspace_sid,
        )
        self._token_key = hashlib.sha256(f"emulator-page-token/{seed}".encode()).digest()
        self._segment_params = operation_parameters(SEGMENTS_FRAGMENT, SEGMENTS_PATH)
        self._event_params = operation_parameters(EVENTS_FRAGMENT, EVENTS_PATH)
        self._workspace_schema = path_parameter_schema(self._event_params, "WorkspaceSid")
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[tuple[str, deque[Fault]]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._server else "not started"
        return f"TwilioEmulator({where}, reservations={len(self.data.reservations)}, seed={self.seed})"

    # ---- lifecycle --------------------------------------------------------------------------

    def _bind(self) -> _Server:
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self.port = self._server.server_port
        return self._server

    def start(self) -> TwilioEmulator:
        """Start serving in a daemon thread (port 0 picks a free port); return self."""
        if self._thread is not None:
            return self
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="twilio-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        server = self._bind()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.close_connections()
            server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving and close the listening socket and any open connections."""
        server, thread = self._server, self._thread
        if server is None:
            return
        if thread is not None:
            server.shutdown()
            thread.join(timeout=5)
        server.close_connections()
        server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> TwilioEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- test helpers -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The emulator's root URL, e.g. http://127.0.0.1:54321 (for both FLEX_API and TASKROUTER)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started; call start() or use it as a context manager")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    @property
    def reservation_ids(self) -> list[str]:
        """Every reservation SID, in the order the reservations end (complete, reject or time out)."""
        return [reservation.sid for reservation in self.data.reservations]

    def now(self) -> datetime:
        """The emulator's current time, from its clock."""
        moment = self._clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    def completed_reservation_ids(self, at: datetime | None = None) -> list[str]:
        """SIDs of reservations whose reservation.completed event happened at or before `at` (default now)."""
        limit = to_ms(at if at is not None else self.now())
        return [
            reservation.sid
            for reservation in self.data.reservations
            if reservation.outcome == "completed" and reservation.ended_ms <= limit
        ]

    def completion_time(self, reservation_id: str) -> datetime | None:
        """When a reservation completes, or None if it is unknown or never completes."""
        reservation = self.data.reservation(reservation_id)
        if reservation is None or reservation.outcome != "completed":
            return None
        return from_ms(reservation.ended_ms)

    def segments_for(self, reservation_id: str) -> list[dict[str, Any]]:
        """The segments the API returns for one reservation, exactly as served (empty when none)."""
        return [self._render(segment, SEGMENT_URL_FIELDS) for segment in self.data.segments_for(reservation_id)]

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def inject_faults(self, path_prefix: str, responses: Iterable[Fault]) -> None:
        """Serve these (status, body, headers) responses, one per request whose path starts with the prefix.

        A body may be bytes (sent as is), str, or JSON-able data. Normal behaviour resumes once
        the list is used up.
        """
        with self._lock:
            self._faults.append((path_prefix, deque(responses)))

    def _take_fault(self, path: str) -> _Response | None:
        with self._lock:
            for prefix, queue in self._faults:
                if queue and path.startswith(prefix):
                    return _fault_response(queue.popleft())
            self._faults = [(prefix, queue) for prefix, queue in self._faults if queue]
        return None

    # ---- request handling -------------------------------------------------------------------

    def respond(self, method: str, target: str, authorization: str | None) -> _Response:
        """Answer one request; used by the HTTP handler."""
        parts = urlsplit(target)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        auth_method = self._authenticate(authorization)
        response = self._take_fault(path)
        fault = response is not None
        if response is None:
            try:
                response = self._route(method, path, query, auth_method)
            except ParameterError as exc:
                response = twilio_error(400, 20001, str(exc))
            except Exception:  # a bug becomes a Twilio-style 500 rather than a dropped connection
                response = twilio_error(500, 20500, "Internal Server Error")
        response.headers.setdefault("Twilio-Request-Id", "RQ" + uuid.uuid4().hex)
        record = RecordedRequest(
            method=method,
            path=path,
            query=query,
            auth_valid=auth_method is not None,
            auth_method=auth_method,
            status=response.status,
            fault=fault,
        )
        with self._lock:
            self._requests.append(record)
        return response

    def _authenticate(self, authorization: str | None) -> str | None:
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        username, separator, password = decoded.partition(b":")
        if not separator:
            return None
        if _same(username, self.account_sid) and _same(password, self.auth_token):
            return "auth_token"
        if _same(username, self.api_key_sid) and _same(password, self.api_key_secret):
            return "api_key"
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], auth_method: str | None) -> _Response:
        if auth_method is None:
            return twilio_error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        workspace: str | None = None
        if path != SEGMENTS_PATH:
            match = _EVENTS_ROUTE.match(path)
            if match is None:
                return twilio_error(404, 20404, f"The requested resource {path} was not found")
            workspace = unquote(match.group(1))
        if method not in ("GET", "HEAD"):
            return twilio_error(405, 20004, "Method not allowed", {"Allow": "GET"})
        if workspace is None:
            return self._list_segments(path, query)
        return self._list_events(path, workspace, query)

    def _render(self, stored: dict[str, Any], url_fields: tuple[str, ...]) -> dict[str, Any]:
        rendered = dict(stored)
        base = self.base_url
        for name in url_fields:
            if rendered.get(name) is not None:
                rendered[name] = base + rendered[name]
        return rendered

    # ---- page tokens ------------------------------------------------------------------------

    def _encode_token(self, state: dict[str, Any]) -> str:
        raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode("utf-8")
        signature = hmac.new(self._token_key, raw, hashlib.sha256).digest()[:_TOKEN_SIGNATURE_BYTES]
        return "PT" + base64.urlsafe_b64encode(raw + signature).decode("ascii").rstrip("=")

    def _decode_token(self, token: str, kind: str, fingerprint: str) -> dict[str, Any]:
        invalid = ParameterError(f"Invalid PageToken: {token!r} was not issued for this query")
        if not token.startswith("PT") or len(token) < 4:
            raise invalid
        encoded = token[2:]
        try:
            blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise invalid from None
        raw, signature = blob[:-_TOKEN_SIGNATURE_BYTES], blob[-_TOKEN_SIGNATURE_BYTES:]
        expected = hmac.new(self._token_key, raw, hashlib.sha256).digest()[:_TOKEN_SIGNATURE_BYTES]
        if not hmac.compare_digest(signature, expected):
            raise invalid
        state = json.loads(raw)
        if state.get("k") != kind or state.get("f") != fingerprint:
            raise invalid
        return state

    def _meta(
        self,
        *,
        path: str,
        key: str,
        pairs: list[tuple[str, str]],
        page: int,
        page_size: int,
        offset: int,
        token: str | None,
        has_next: bool,
        state: dict[str, Any],
    ) -> dict[str, Any]:
        def link(page_index: int, page_token: str | None) -> str:
            query = [*pairs, ("PageSize", str(page_size)), ("Page", str(page_index))]
            if page_token:
                query.append(("PageToken", page_token))
            return f"{self.base_url}{path}?{urlencode(query)}"

        next_url = None
        if has_next:
            next_url = link(page + 1, self._encode_token({**state, "o": offset + page_size}))
        previous_url = None
        if offset > 0:
            previous_offset = max(0, offset - page_size)
            previous_token = self._encode_token({**state, "o": previous_offset}) if previous_offset else None
            previous_url = link(max(0, page - 1), previous_token)
        return {
            "page": page,
            "page_size": page_size,
            "first_page_url": link(0, None),
            "previous_page_url": previous_url,
            "url": link(page, token),
            "next_page_url": next_url,
            "key": key,
        }

    # ---- endpoints --------------------------------------------------------------------------

    def _list_segments(self, path: str, query: dict[str, list[str]]) -> _Response:
        params = parse_query(self._segment_params, query)
        page_size = params.get("PageSize", DEFAULT_PAGE_SIZE)
        page = params.get("Page", 0)
        segment_id: str | None = params.get("SegmentId")
        given_ids: list[str] = params.get("ReservationId", [])
        reservation_ids = list(dict.fromkeys(normalize_sid(value) for value in given_ids))
        fingerprint = _fingerprint({"SegmentId": segment_id, "ReservationId": reservation_ids})
        token = params.get("PageToken")
        offset = self._decode_token(token, "segments", fingerprint)["o"] if token else 0

        matches: list[dict[str, Any]]
        if segment_id is not None:
            segment = self.data.segment(segment_id)
            owner = self.data.reservation_of_segment(segment_id)
            wanted = segment is not None and (not reservation_ids or normalize_sid(owner or "") in reservation_ids)
            matches = [segment] if wanted and segment is not None else []
        else:
            matches = [segment for rid in reservation_ids for segment in self.data.segments_for(rid)]
        chunk = matches[offset : offset + page_size]

        pairs = [("SegmentId", segment_id)] if segment_id is not None else []
        pairs += [("ReservationId", value) for value in given_ids]
        meta = self._meta(
            path=path,
            key="segments",
            pairs=pairs,
            page=page,
            page_size=page_size,
            offset=offset,
            token=token,
            has_next=offset + page_size < len(matches),
            state={"k": "segments", "f": fingerprint},
        )
        body = {"segments": [self._render(segment, SEGMENT_URL_FIELDS) for segment in chunk], "meta": meta}
        return _Response(200, _json_bytes(body), {"Content-Type": _JSON, "Access-Control-Allow-Origin": "*"})

    def _list_events(self, path: str, workspace: str, query: dict[str, list[str]]) -> _Response:
        check_value("WorkspaceSid", workspace, self._workspace_schema)
        if normalize_sid(workspace) != normalize_sid(self.workspace_sid):
            return twilio_error(404, 20404, f"The requested resource {path} was not found")
        params = parse_query(self._event_params, query)
        minutes = params.get("Minutes")
        if minutes is not None and minutes < 0:
            raise ParameterError(f"Invalid Minutes: {minutes} must not be negative")
        page_size = params.get("PageSize", DEFAULT_PAGE_SIZE)
        page = params.get("Page", 0)
        filters = {
            name: (normalize_sid(params[name]) if name in _SID_FILTERS else params[name])
            for name in _EVENT_FILTERS
            if name in params
        }
        window_params = {name: query[name][-1] for name in ("StartDate", "EndDate", "Minutes") if name in params}
        fingerprint = _fingerprint({**filters, **window_params})
        token = params.get("PageToken")
        if token:
            state = self._decode_token(token, "events", fingerprint)
            offset, start_ms, end_ms = state["o"], state["s"], state["e"]
        else:
            offset = 0
            now_ms = to_ms(self.now())
            end_ms = min(to_ms(params["EndDate"]), now_ms) if "EndDate" in params else now_ms
            if "StartDate" in params:
                start_ms = to_ms(params["StartDate"])
            else:
                start_ms = now_ms - 60_000 * (minutes if minutes is not None else DEFAULT_EVENT_MINUTES)

        events = self.data.iter_events_newest_first(
            start_ms,
            end_ms,
            reservation_sid=filters.get("ReservationSid"),
            predicate=_event_predicate(filters),
            skip=offset,
        )
        chunk = list(islice(events, page_size + 1))
        has_next = len(chunk) > page_size
        pairs = [(p["name"], query[p["name"]][-1]) for p in self._event_params if p["name"] in params]
        pairs = [(name, value) for name, value in pairs if name not in ("PageSize", "Page", "PageToken")]
        meta = self._meta(
            path=path,
            key="events",
            pairs=pairs,
            page=page,
            page_size=page_size,
            offset=offset,
            token=token,
            has_next=has_next,
            state={"k": "events", "f": fingerprint, "s": start_ms, "e": end_ms},
        )
        body = {
            "events": [self._render(event.payload, EVENT_URL_FIELDS) for event in chunk[:page_size]],
            "meta": meta,
        }
        return _Response(200, _json_bytes(body), {"Content-Type": _JSON, "Access-Control-Allow-Origin": "*"})


def _same(given: bytes, expected: str) -> bool:
    return hmac.compare_digest(given, expected.encode("utf-8"))


def _fingerprint(filters: dict[str, Any]) -> str:
    text = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _event_predicate(filters: dict[str, str]) -> Callable[[StoredEvent], bool] | None:
    checks: list[Callable[[StoredEvent], bool]] = []
    if "EventType" in filters:
        checks.append(lambda event, value=filters["EventType"]: event.event_type == value)
    if "TaskQueueSid" in filters:
        checks.append(lambda event, value=filters["TaskQueueSid"]: event.task_queue_sid == value)
    if "TaskSid" in filters:
        checks.append(lambda event, value=filters["TaskSid"]: event.task_sid == value)
    if "WorkerSid" in filters:
        checks.append(lambda event, value=filters["WorkerSid"]: event.worker_sid == value)
    if "WorkflowSid" in filters:
        checks.append(lambda event, value=filters["WorkflowSid"]: event.workflow_sid == value)
    if "Sid" in filters:
        checks.append(lambda event, value=filters["Sid"]: event.sid == value)
    if "TaskChannel" in filters:
        channel = filters["TaskChannel"]
        checks.append(
            lambda event: (
                event.task_channel == channel
                or (event.task_channel_sid is not None and event.task_channel_sid.lower() == channel.lower())
            )
        )
    if not checks:
        return None
    return lambda event: all(check(event) for check in checks)


def run_emulator(
    host: str = "127.0.0.1",
    port: int = 8787,
    reservations: int = DEFAULT_RESERVATIONS,
    seed: int = DEFAULT_SEED,
    *,
    spacing: timedelta = DEFAULT_SPACING,
    anchor: datetime | None = None,
    account_sid: str = EMULATOR_ACCOUNT_SID,
    auth_token: str = EMULATOR_AUTH_TOKEN,
    api_key_sid: str = EMULATOR_API_KEY_SID,
    api_key_secret: str = EMULATOR_API_KEY_SECRET,
    workspace_sid: str = EMULATOR_WORKSPACE_SID,
    latency: float = 0.0,
) -> None:
    """Serve the emulator in the foreground until Ctrl-C, after printing its URL and credentials."""
    emulator = TwilioEmulator(
        port,
        reservations,
        seed,
        host=host,
        anchor=anchor,
        spacing=spacing,
        account_sid=account_sid,
        auth_token=auth_token,
        api_key_sid=api_key_sid,
        api_key_secret=api_key_secret,
        workspace_sid=workspace_sid,
        latency=latency,
    )
    emulator._bind()
    print(
        f"Twilio emulator on {emulator.base_url} (Flex Insights Segments and TaskRouter Events): "
        f"account SID {account_sid}, auth token {auth_token}, API key {api_key_sid} / {api_key_secret}, "
        f"workspace {workspace_sid}, {reservations} reservations, seed {seed}",
        flush=True,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
