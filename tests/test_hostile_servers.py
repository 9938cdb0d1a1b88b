"""Regressions from attacking the client: hostile or broken servers never get secrets, hang it, or crash it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from flex_segments_dagster import FlexInsightsAPIError, FlexInsightsClient, FlexInsightsResponseError
from flex_segments_dagster.errors import (
    FlexInsightsConfigError,
    FlexInsightsConnectionError,
    InvalidReservationIdError,
)

SEGMENTS = "/v1/Insights/Segments"
RID = "WReeeff42d5326cfdaa0f7a1181d00f1b1"
TOKEN = "SuperSecretToken_0123456789"
ACCOUNT = "AC00000000000000000000000000000001"


@contextmanager
def raw_server(reply) -> Iterator[tuple[str, list[bytes]]]:
    """A one-connection-at-a-time TCP server that records what it receives and answers with reply(conn)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    received.append(conn.recv(65536))
                    reply(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        stop.set()
        thread.join(3)
        listener.close()


def test_a_backslash_in_next_page_url_cannot_send_credentials_elsewhere(emulator):
    with raw_server(lambda conn: None) as (other, received):
        other_port = other.rsplit(":", 1)[1]
        good = emulator.base_url.split("//", 1)[1]
        sneaky = f"http://127.0.0.1:{other_port}\\@{good}{SEGMENTS}?Page=1"
        emulator.inject_faults(SEGMENTS, [(200, {"segments": [], "meta": {"next_page_url": sneaky}}, {})])
        client = FlexInsightsClient(emulator.account_sid, emulator.auth_token, base_url=emulator.base_url)
        with client, pytest.raises(FlexInsightsResponseError, match="not on the configured base URL"):
            list(client.iter_segments(reservation_ids=[RID]))
        time.sleep(0.3)
    assert received == []


@pytest.mark.parametrize("port", ["99999", "4a3"])
def test_a_next_page_url_with_an_impossible_port_is_refused(emulator, port):
    host = emulator.base_url.split("//", 1)[1].split(":")[0]
    page = {"segments": [], "meta": {"next_page_url": f"http://{host}:{port}{SEGMENTS}?Page=1"}}
    emulator.inject_faults(SEGMENTS, [(200, page, {})])
    client = FlexInsightsClient(emulator.account_sid, emulator.auth_token, base_url=emulator.base_url)
    with client, pytest.raises(FlexInsightsResponseError, match="not on the configured base URL"):
        list(client.iter_segments(reservation_ids=[RID]))


def test_a_relative_next_page_url_is_resolved_against_the_page_it_came_from(emulator):
    rid = next(r for r in emulator.completed_reservation_ids() if len(emulator.segments_for(r)) >= 2)
    first = {"segments": [], "meta": {"next_page_url": f"Segments?ReservationId={rid}&PageSize=1000"}}
    emulator.inject_faults(SEGMENTS, [(200, first, {})])
    emulator.clear_requests()
    client = FlexInsightsClient(emulator.account_sid, emulator.auth_token, base_url=emulator.base_url)
    with client:
        rows = list(client.iter_segments(reservation_ids=[rid]))
    assert [r.path for r in emulator.requests] == [SEGMENTS, SEGMENTS]
    assert len(rows) == len(emulator.segments_for(rid))


def test_server_supplied_text_is_scrubbed_of_the_secret_everywhere(emulator):
    body = {"code": 20500, "message": "x" * 495 + TOKEN, "more_info": f"https://x/?auth={TOKEN}", "status": 500}
    emulator.inject_faults(SEGMENTS, [(500, body, {})])
    client = FlexInsightsClient(emulator.account_sid, TOKEN, base_url=emulator.base_url, max_retries=0)
    # The emulator refuses this token, but the injected fault answers before the auth check.
    with client, pytest.raises(FlexInsightsAPIError) as caught:
        list(client.iter_segments(reservation_ids=[RID]))
    assert "SuperSecr" not in str(caught.value)
    assert caught.value.more_info == "https://x/?auth=***"


def test_a_redirect_location_is_scrubbed_and_not_followed(emulator):
    emulator.inject_faults(SEGMENTS, [(302, b"", {"Location": f"https://evil.example/?t={TOKEN}"})])
    client = FlexInsightsClient(emulator.account_sid, TOKEN, base_url=emulator.base_url, max_retries=0)
    with client, pytest.raises(FlexInsightsAPIError) as caught:
        list(client.iter_segments(reservation_ids=[RID]))
    assert caught.value.status == 302
    assert TOKEN not in str(caught.value)
    assert "https://evil.example/?t=***" in str(caught.value)


def test_a_huge_error_message_is_cut_to_a_readable_length(emulator):
    emulator.inject_faults(SEGMENTS, [(400, {"code": 20001, "message": "y" * 5_000_000, "status": 400}, {})])
    client = FlexInsightsClient(emulator.account_sid, emulator.auth_token, base_url=emulator.base_url)
    with client, pytest.raises(FlexInsightsAPIError) as caught:
        list(client.iter_segments(reservation_ids=[RID]))
    assert len(str(caught.value)) < 1000


def test_a_page_cut_short_is_retried_then_reported_as_a_connection_error():
    def short_body(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"segm")

    with raw_server(short_body) as (url, received):
        client = FlexInsightsClient(ACCOUNT, TOKEN, base_url=url, max_retries=2, backoff_factor=0.0)
        with client, pytest.raises(FlexInsightsConnectionError, match="after 3 attempts"):
            list(client.iter_segments(reservation_ids=[RID]))
    assert len(received) == 3


def test_a_body_that_trickles_in_forever_hits_the_total_timeout():
    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100):
            conn.sendall(b" ")
            time.sleep(0.05)

    with raw_server(trickle) as (url, _):
        client = FlexInsightsClient(ACCOUNT, TOKEN, base_url=url, read_timeout=1, total_timeout=0.3, max_retries=0)
        with client, pytest.raises(FlexInsightsConnectionError, match="timed out after 1 attempts"):
            list(client.iter_segments(reservation_ids=[RID]))


def test_deeply_nested_json_is_a_response_error_not_a_recursion_error(emulator):
    emulator.inject_faults(SEGMENTS, [(200, b"[" * 100_000 + b"]" * 100_000, {})])
    client = FlexInsightsClient(emulator.account_sid, emulator.auth_token, base_url=emulator.base_url)
    with client, pytest.raises(FlexInsightsResponseError, match="not JSON"):
        list(client.iter_segments(reservation_ids=[RID]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"read_timeout": "5"}, "read_timeout must be a finite number"),
        ({"read_timeout": float("nan")}, "read_timeout must be a finite number"),
        ({"backoff_factor": float("nan")}, "backoff_factor must be a finite number"),
        ({"max_retries": "3"}, "max_retries must be a whole number"),
        ({"max_retries": 1.5}, "max_retries must be a whole number"),
        ({"max_retries": None}, "max_retries must be a whole number"),
        ({"base_url": "https://[zz]"}, "not a usable http"),
        ({"base_url": "https://flex-api.twilio.com:99999"}, "not a usable http"),
        ({"base_url": "https://flex-api.twilio.com:abc"}, "not a usable http"),
    ],
)
def test_settings_of_the_wrong_type_are_config_errors(kwargs, message):
    with pytest.raises(FlexInsightsConfigError, match=message):
        FlexInsightsClient(ACCOUNT, TOKEN, **kwargs)


def test_reservation_ids_that_are_not_iterable_are_an_invalid_id_error():
    with FlexInsightsClient(ACCOUNT, TOKEN) as client, pytest.raises(InvalidReservationIdError, match="a list"):
        list(client.iter_segments(reservation_ids=5))


def test_an_absurd_date_header_is_ignored_not_an_untyped_crash():
    def absurd_date(conn: socket.socket) -> None:
        body = b'{"segments": [], "meta": {"next_page_url": null}}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 99999999999999999999 00:00:00 GMT\r\n"
            b"Retry-After: Thu, 01 Jan 99999999999999999999 00:00:00 GMT\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )

    with raw_server(absurd_date) as (url, _):
        client = FlexInsightsClient(ACCOUNT, TOKEN, base_url=url)
        with client:
            assert list(client.iter_segments(reservation_ids=[RID])) == []
            assert client._http.last_server_time is None
