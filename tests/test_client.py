"""FlexInsightsClient against the emulator: request plan, attribution, paging, validation, errors, retries."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from flex_segments_dagster import (
    FlexInsightsAPIError,
    FlexInsightsAuthError,
    FlexInsightsClient,
    FlexInsightsRateLimitError,
    FlexInsightsResponseError,
    InvalidReservationIdError,
)
from flex_segments_dagster.errors import FlexInsightsConfigError, FlexInsightsConnectionError

DOCUMENTED_RESERVATION = "WReeeff42d5326cfdaa0f7a1181d00f1b1"
DOCUMENTED_SEGMENT = "02dd8a65-c9e3-550b-9e98-5b11abb9b3a5"
SEGMENTS = "/v1/Insights/Segments"


def make_client(emu, **kwargs) -> FlexInsightsClient:
    kwargs.setdefault("backoff_factor", 0.0)
    return FlexInsightsClient(emu.account_sid, emu.auth_token, base_url=emu.base_url, **kwargs)


def segment_requests(emu) -> list:
    return [r for r in emu.requests if r.path == SEGMENTS]


def test_every_row_carries_the_reservation_it_was_fetched_for(emulator):
    ids = emulator.completed_reservation_ids()[:12]
    with make_client(emulator) as client:
        rows = list(client.iter_segments(reservation_ids=ids))
    expected = [(rid, seg["segment_id"]) for rid in ids for seg in emulator.segments_for(rid)]
    assert [(row["reservation_id"], row["segment_id"]) for row in rows] == expected
    assert len(expected) > 12


def test_each_reservation_is_asked_for_alone_with_the_largest_page_size(emulator):
    ids = emulator.completed_reservation_ids()[:3]
    emulator.clear_requests()
    with make_client(emulator) as client:
        list(client.iter_segments(reservation_ids=ids))
    queries = sorted((r.query["ReservationId"], r.query["PageSize"]) for r in segment_requests(emulator))
    assert queries == sorted(([rid], ["1000"]) for rid in ids)


def test_the_documented_example_segment_comes_back_with_its_reservation(emulator):
    with make_client(emulator) as client:
        rows = list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    assert len(rows) == 1
    row = rows[0]
    assert row["reservation_id"] == DOCUMENTED_RESERVATION
    assert row["segment_id"] == DOCUMENTED_SEGMENT
    assert row["external_id"] == "EV4ab3c50aeeb9dc48c96f7290cf626a37"
    assert row["customer_phone"] == "+420606078007"
    assert row["assessment_type"] == [None]


def test_a_segment_is_looked_up_by_its_segment_id(emulator):
    with make_client(emulator) as client:
        segment = client.get_segment(DOCUMENTED_SEGMENT)
        missing = client.get_segment("00000000-0000-0000-0000-000000000000")
    assert segment["segment_id"] == DOCUMENTED_SEGMENT
    assert segment["reservation_id"] is None
    assert missing is None


def test_paging_follows_next_page_url_until_null_and_loses_no_segment(emulator):
    rid = next(r for r in emulator.completed_reservation_ids() if len(emulator.segments_for(r)) >= 2)
    emulator.clear_requests()
    with make_client(emulator, page_size=1) as client:
        rows = list(client.iter_segments(reservation_ids=[rid]))
    assert [row["segment_id"] for row in rows] == [s["segment_id"] for s in emulator.segments_for(rid)]
    requests_made = segment_requests(emulator)
    assert len(requests_made) == len(rows)
    assert all("PageToken" in r.query for r in requests_made[1:])


def test_duplicate_ids_are_fetched_once(emulator):
    rid = emulator.completed_reservation_ids()[1]
    emulator.clear_requests()
    with make_client(emulator) as client:
        rows = list(client.iter_segments(reservation_ids=[rid, rid, rid]))
    assert len(segment_requests(emulator)) == 1
    assert len(rows) == len(emulator.segments_for(rid))


def test_an_empty_list_makes_no_request(emulator):
    emulator.clear_requests()
    with make_client(emulator) as client:
        assert list(client.iter_segments(reservation_ids=[])) == []
        assert len(client.fetch_segments(reservation_ids=[])) == 0
    assert emulator.requests == []


@pytest.mark.parametrize(
    "bad",
    [
        "WR123",
        "wReeeff42d5326cfdaa0f7a1181d00f1b1",
        "WReeeff42d5326cfdaa0f7a1181d00f1bZ",
        "WReeeff42d5326cfdaa0f7a1181d00f1b1\n",
        "WReeeff42d5326cfdaa0f7a1181d00f1b1&PageSize=1",
        12345,
        None,
    ],
)
def test_an_invalid_id_is_named_before_any_request(emulator, bad):
    emulator.clear_requests()
    with make_client(emulator) as client, pytest.raises(InvalidReservationIdError) as caught:
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION, bad]))
    assert repr(bad) in str(caught.value)
    assert "item 1" in str(caught.value)
    assert caught.value.value == bad
    assert isinstance(caught.value, ValueError)
    assert emulator.requests == []


def test_no_reservation_ids_and_no_segment_id_is_a_clear_error(emulator):
    with make_client(emulator) as client, pytest.raises(FlexInsightsConfigError, match="reservation_ids"):
        list(client.iter_segments())


def test_a_twilio_error_body_becomes_a_typed_exception_with_its_fields(emulator):
    body = {"code": 20001, "message": "Invalid parameter", "more_info": "https://www.twilio.com/docs/errors/20001",
            "status": 400}
    emulator.inject_faults(SEGMENTS, [(400, body, {})])
    with make_client(emulator) as client, pytest.raises(FlexInsightsAPIError) as caught:
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    error = caught.value
    assert (error.status, error.code, error.message, error.more_info) == (
        400, 20001, "Invalid parameter", "https://www.twilio.com/docs/errors/20001")
    assert not isinstance(error, FlexInsightsAuthError)


def test_bad_credentials_raise_an_auth_error_without_the_secret(emulator):
    client = FlexInsightsClient(emulator.account_sid, "wrong-token-value", base_url=emulator.base_url)
    with client, pytest.raises(FlexInsightsAuthError) as caught:
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    assert caught.value.status == 401
    assert caught.value.code == 20003
    assert "wrong-token-value" not in str(caught.value)
    assert "wrong-token-value" not in repr(client)


def test_an_api_key_authenticates(emulator):
    client = FlexInsightsClient(
        api_key_sid=emulator.api_key_sid, api_key_secret=emulator.api_key_secret, base_url=emulator.base_url
    )
    with client:
        assert len(list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))) == 1


def test_429_and_503_are_retried_honouring_retry_after(emulator):
    sleeps: list[float] = []
    emulator.inject_faults(
        SEGMENTS,
        [
            (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "0.01"}),
            (503, {"code": 20503, "message": "Service Unavailable", "status": 503}, {}),
        ],
    )
    with make_client(emulator, max_concurrency=1) as client:
        client._http._sleep = sleeps.append
        rows = list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    assert len(rows) == 1
    assert sleeps[0] == pytest.approx(0.01)
    assert len(sleeps) == 2


def test_a_rate_limit_that_outlasts_the_retries_raises_a_rate_limit_error(emulator):
    fault = (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "0"})
    emulator.inject_faults(SEGMENTS, [fault] * 3)
    with make_client(emulator, max_retries=2) as client, pytest.raises(FlexInsightsRateLimitError) as caught:
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    assert caught.value.status == 429
    assert caught.value.retry_after == 0


def test_a_body_that_is_not_json_is_a_response_error(emulator):
    emulator.inject_faults(SEGMENTS, [(200, b"<html>gateway</html>", {"Content-Type": "text/html"})])
    with make_client(emulator) as client, pytest.raises(FlexInsightsResponseError, match="not JSON"):
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))


@pytest.mark.parametrize(
    "page",
    [
        [],
        {"meta": {"next_page_url": None}},
        {"segments": {"a": 1}, "meta": {"next_page_url": None}},
        {"segments": ["not an object"], "meta": {"next_page_url": None}},
        {"segments": []},
    ],
)
def test_a_malformed_page_is_a_response_error(emulator, page):
    emulator.inject_faults(SEGMENTS, [(200, page, {})])
    with make_client(emulator) as client, pytest.raises(FlexInsightsResponseError):
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))


def test_credentials_are_never_sent_to_another_origin(emulator):
    seen: list[bytes] = []
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    other.settimeout(2)

    def accept() -> None:
        try:
            conn, _ = other.accept()
            seen.append(conn.recv(4096))
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    evil = f"http://127.0.0.1:{other.getsockname()[1]}/v1/Insights/Segments?PageToken=x"
    page = {"segments": [], "meta": {"next_page_url": evil}}
    emulator.inject_faults(SEGMENTS, [(200, page, {})])
    with make_client(emulator) as client, pytest.raises(FlexInsightsResponseError, match="not on the configured"):
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    other.close()
    thread.join(3)
    assert seen == []


def test_a_server_that_never_answers_times_out_with_a_connection_error():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    client = FlexInsightsClient(
        "AC00000000000000000000000000000001", "token-xyz", base_url=url, read_timeout=0.2, max_retries=1,
        backoff_factor=0.0,
    )
    with client, pytest.raises(FlexInsightsConnectionError, match="timed out after 2 attempts"):
        list(client.iter_segments(reservation_ids=[DOCUMENTED_RESERVATION]))
    silent.close()


def test_fetch_segments_returns_the_typed_frame(emulator):
    from flex_segments_dagster import SEGMENT_COLUMNS

    ids = emulator.completed_reservation_ids()[:5]
    with make_client(emulator) as client:
        frame = client.fetch_segments(reservation_ids=ids)
    assert tuple(frame.columns[: len(SEGMENT_COLUMNS)]) == SEGMENT_COLUMNS
    assert len(frame) == sum(len(emulator.segments_for(rid)) for rid in ids)
    assert str(frame["date"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"base_url": "ftp://example.com"}, "http"),
        ({"base_url": "https://user:pw@flex-api.twilio.com"}, "credentials"),
        ({"read_timeout": 0}, "read_timeout"),
    ],
)
def test_bad_settings_are_refused_with_what_to_change(kwargs, message):
    with pytest.raises(FlexInsightsConfigError, match=message):
        FlexInsightsClient("AC00000000000000000000000000000001", "token", **kwargs)


def test_concurrent_fetching_keeps_input_order(emulator):
    ids = emulator.completed_reservation_ids()
    with make_client(emulator, max_concurrency=8) as client:
        rows = list(client.iter_segments(reservation_ids=ids))
    order = list(dict.fromkeys(row["reservation_id"] for row in rows))
    assert order == [rid for rid in ids if emulator.segments_for(rid)]


def test_segments_of_a_failing_reservation_stop_the_whole_fetch(emulator):
    body = json.dumps({"code": 20500, "message": "Internal", "status": 500}).encode()
    emulator.inject_faults(SEGMENTS, [(500, body, {"Content-Type": "application/json"})] * 10)
    with make_client(emulator, max_retries=1) as client, pytest.raises(FlexInsightsAPIError) as caught:
        list(client.iter_segments(reservation_ids=emulator.completed_reservation_ids()[:4]))
    assert caught.value.status == 500
