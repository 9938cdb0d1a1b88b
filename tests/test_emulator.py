"""Tests for the local Twilio emulator: Flex Insights Segments and TaskRouter Events."""

from __future__ import annotations

import http.client
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from flex_segments_dagster.emulator import (
    DOCUMENTED_RESERVATION_ID,
    DOCUMENTED_SEGMENT_ID,
    EMULATOR_ACCOUNT_SID,
    EMULATOR_API_KEY_SECRET,
    EMULATOR_API_KEY_SID,
    EMULATOR_AUTH_TOKEN,
    EMULATOR_WORKSPACE_SID,
    TwilioEmulator,
)
from flex_segments_dagster.emulator import server as emulator_server

# The project's shared/reference beside the checkout is authoritative; tests/reference is its copy for clones
# that have no shared/ beside them.
_SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
REFERENCE = _SHARED if _SHARED.is_dir() else Path(__file__).resolve().parent / "reference"
PACKAGE_EMULATOR = Path(__file__).resolve().parents[1] / "flex_segments_dagster" / "emulator"
SEGMENTS_SPEC_FILE = "openapi-flex-insights-segments.json"
EVENTS_SPEC_FILE = "openapi-taskrouter-events.json"
SEGMENTS_PATH = "/v1/Insights/Segments"
EVENTS_PATH = f"/v1/Workspaces/{EMULATOR_WORKSPACE_SID}/Events"
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
SPACING = timedelta(seconds=15)


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def load_reference(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


# ---- a small OpenAPI response checker -------------------------------------------------------------


def check_value(where: str, value: Any, schema: dict[str, Any]) -> None:
    if value is None:
        assert schema.get("nullable") is True, f"{where} is null but not nullable"
        return
    kind = schema.get("type")
    if kind == "string":
        assert isinstance(value, str), f"{where} should be a string, got {value!r}"
        if "minLength" in schema:
            assert len(value) >= schema["minLength"], where
        if "maxLength" in schema:
            assert len(value) <= schema["maxLength"], where
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}={value!r} !~ {schema['pattern']}"
        if schema.get("format") == "uri":
            parts = urlsplit(value)
            assert parts.scheme in ("http", "https") and parts.netloc, f"{where}={value!r} is not a URI"
        if schema.get("format") == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where} should be an integer"
    elif kind == "boolean":
        assert isinstance(value, bool), where
    elif kind == "array":
        assert isinstance(value, list), where
    elif kind == "object":
        assert isinstance(value, dict), where
    # No type: any JSON value is allowed (media, assessment_*, event_data).


def check_list_response(body: dict[str, Any], spec_file: str, path: str, key: str) -> None:
    spec = load_reference(spec_file)
    response_schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(body) == set(response_schema["properties"])
    item_ref = response_schema["properties"][key]["items"]["$ref"].rsplit("/", 1)[-1]
    item_schema = spec["components"]["schemas"][item_ref]
    assert isinstance(body[key], list)
    for index, item in enumerate(body[key]):
        assert set(item) == set(item_schema["properties"]), f"{key}[{index}] fields differ from the schema"
        for name, field_schema in item_schema["properties"].items():
            check_value(f"{key}[{index}].{name}", item[name], field_schema)
    meta_schema = response_schema["properties"]["meta"]
    assert set(body["meta"]) == set(meta_schema["properties"])
    for name, field_schema in meta_schema["properties"].items():
        check_value(f"meta.{name}", body["meta"][name], field_schema)
    assert body["meta"]["key"] == key


# ---- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def emu():
    with TwilioEmulator(port=0, reservations=40, seed=7) as emulator:
        yield emulator


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + SPACING * 40)


@pytest.fixture
def timed_emu(clock: Clock):
    with TwilioEmulator(reservations=40, seed=7, anchor=T0, spacing=SPACING, clock=clock) as emulator:
        yield emulator


def session_for(emulator: TwilioEmulator, auth: tuple[str, str] | None = None) -> requests.Session:
    session = requests.Session()
    session.auth = auth or (emulator.account_sid, emulator.auth_token)
    return session


def get(emulator: TwilioEmulator, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
    with session_for(emulator) as session:
        return session.get(emulator.base_url + path, params=params, timeout=10, **kwargs)


def assert_twilio_error(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["code"] == code
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert isinstance(body["message"], str) and body["message"]
    return body


def follow_pages(session: requests.Session, url: str, key: str) -> tuple[list[dict], list[dict]]:
    items: list[dict] = []
    metas: list[dict] = []
    next_url: str | None = url
    while next_url:
        response = session.get(next_url, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body[key])
        metas.append(body["meta"])
        next_url = body["meta"]["next_page_url"]
    return items, metas


def documented_example(name: str) -> dict[str, Any]:
    spec = load_reference(SEGMENTS_SPEC_FILE)
    content = spec["paths"][SEGMENTS_PATH]["get"]["responses"]["200"]["content"]["application/json"]
    return content["examples"][name]["value"]


def on_emulator(emulator: TwilioEmulator, value: Any) -> Any:
    """Rewrite the documented https://flex-api.twilio.com URLs to the emulator's own base URL."""
    return json.loads(json.dumps(value).replace("https://flex-api.twilio.com", emulator.base_url))


def all_events(emulator: TwilioEmulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    with session_for(emulator) as session:
        first = session.get(emulator.base_url + EVENTS_PATH, params={"PageSize": 1000, **params}, timeout=10)
        assert first.status_code == 200, first.text
        items, _ = follow_pages(session, first.url, "events")
    return items


# ---- the documented example -------------------------------------------------------------------


def test_packaged_openapi_fragments_are_the_reference_fragments():
    for name in (SEGMENTS_SPEC_FILE, EVENTS_SPEC_FILE):
        assert json.loads((PACKAGE_EMULATOR / name).read_text()) == load_reference(name)


def test_documented_reservation_returns_exactly_the_documented_response(emu):
    response = get(emu, SEGMENTS_PATH, {"ReservationId": DOCUMENTED_RESERVATION_ID, "PageSize": 50, "Page": 0})
    assert response.status_code == 200
    assert response.json() == on_emulator(emu, documented_example("readByReservationIds"))


def test_documented_segment_id_returns_exactly_the_documented_response(emu):
    response = get(emu, SEGMENTS_PATH, {"SegmentId": DOCUMENTED_SEGMENT_ID, "PageSize": 50, "Page": 0})
    assert response.status_code == 200
    assert response.json() == on_emulator(emu, documented_example("readBySegmentId"))


def test_reservation_zero_is_the_documented_reservation_with_only_the_documented_segment(emu):
    assert emu.reservation_ids[0] == DOCUMENTED_RESERVATION_ID
    expected = on_emulator(emu, documented_example("readByReservationIds")["segments"])
    assert emu.segments_for(DOCUMENTED_RESERVATION_ID) == expected


# ---- segments ----------------------------------------------------------------------------------


def test_segments_response_conforms_to_the_openapi_fragment(emu):
    response = get(emu, SEGMENTS_PATH, {"ReservationId": emu.reservation_ids, "PageSize": 1000})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert len(body["segments"]) > 20
    check_list_response(body, SEGMENTS_SPEC_FILE, SEGMENTS_PATH, "segments")


def test_segments_have_realistic_values(emu):
    uuid_pattern = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    e164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
    segments = [segment for rid in emu.reservation_ids for segment in emu.segments_for(rid)]
    for segment in segments:
        assert uuid_pattern.match(segment["segment_id"])
        assert re.match(r"^EV[0-9a-f]{32}$", segment["external_id"])
        assert e164.match(segment["agent_phone"]) and e164.match(segment["external_contact"])
        assert e164.match(segment["customer_phone"])
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", segment["date"])
        assert segment["media"] is None or isinstance(segment["media"], (dict, list))
        assert isinstance(segment["assessment_type"], list)
        assert len(segment["assessment_type"]) == len(segment["assessment_percentage"])
        assert segment["url"] == f"{emu.base_url}/v1/Insights/Segments/{segment['segment_id']}"
    assert len({segment["segment_id"] for segment in segments}) == len(segments)
    assert any(isinstance(segment["media"], dict) for segment in segments)
    assert any(isinstance(segment["media"], list) for segment in segments)
    assert any(segment["assessment_percentage"] != [None] for segment in segments)


def test_reservations_have_zero_to_three_segments_mostly_one(emu):
    counts = [len(emu.segments_for(rid)) for rid in emu.reservation_ids]
    assert set(counts) <= {0, 1, 2, 3}
    assert counts.count(1) > len(counts) / 3
    assert 0 in counts and (2 in counts or 3 in counts)
    assert all(re.match(r"^WR[0-9a-f]{32}$", rid) for rid in emu.reservation_ids)
    assert len(set(emu.reservation_ids)) == 40


def test_several_reservation_ids_return_all_their_segments_together(emu):
    chosen = emu.reservation_ids[1:9]
    response = get(emu, SEGMENTS_PATH, {"ReservationId": chosen})
    expected = [segment for rid in chosen for segment in emu.segments_for(rid)]
    assert response.json()["segments"] == expected
    assert all("reservation_id" not in segment for segment in expected)


def test_segments_page_follows_next_page_url_until_null(emu):
    with session_for(emu) as session:
        first = session.get(
            emu.base_url + SEGMENTS_PATH, params={"ReservationId": emu.reservation_ids, "PageSize": 4}, timeout=10
        )
        segments, metas = follow_pages(session, first.url, "segments")
    expected = [segment for rid in emu.reservation_ids for segment in emu.segments_for(rid)]
    assert segments == expected
    assert len({segment["segment_id"] for segment in segments}) == len(expected)
    assert len(metas) == -(-len(expected) // 4)
    assert [meta["page"] for meta in metas] == list(range(len(metas)))
    assert all(meta["page_size"] == 4 for meta in metas)
    assert metas[0]["previous_page_url"] is None and metas[-1]["next_page_url"] is None
    for meta in metas:
        query = parse_qs(urlsplit(meta["url"]).query)
        assert query["ReservationId"] == emu.reservation_ids
        assert query["PageSize"] == ["4"]
        assert meta["url"].startswith(emu.base_url + SEGMENTS_PATH + "?")
        assert ("PageToken" in query) == (meta["page"] > 0)
        assert re.match(r"^PT[A-Za-z0-9_-]+$", query.get("PageToken", ["PTx"])[0])


def test_previous_page_url_leads_back_to_the_previous_page(emu):
    with session_for(emu) as session:
        params = {"ReservationId": emu.reservation_ids, "PageSize": 3}
        page0 = session.get(emu.base_url + SEGMENTS_PATH, params=params, timeout=10).json()
        page1 = session.get(page0["meta"]["next_page_url"], timeout=10).json()
        page2 = session.get(page1["meta"]["next_page_url"], timeout=10).json()
        back = session.get(page2["meta"]["previous_page_url"], timeout=10).json()
        first = session.get(page1["meta"]["first_page_url"], timeout=10).json()
    assert back["segments"] == page1["segments"]
    assert first["segments"] == page0["segments"]


def test_unknown_reservation_or_segment_returns_an_empty_list(emu):
    unknown = "WR" + "0" * 32
    assert get(emu, SEGMENTS_PATH, {"ReservationId": unknown}).json()["segments"] == []
    assert get(emu, SEGMENTS_PATH, {"SegmentId": "no-such-segment"}).json()["segments"] == []
    assert emu.segments_for(unknown) == []


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"ReservationId": "WR123"}, "ReservationId"),
        ({"ReservationId": "XX" + "a" * 32}, "ReservationId"),
        ({"ReservationId": "WR" + "g" * 32}, "ReservationId"),
        ({"ReservationId": [DOCUMENTED_RESERVATION_ID, "WR" + "a" * 33]}, "ReservationId"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "PageSize": "0"}, "PageSize"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "PageSize": "1001"}, "PageSize"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "PageSize": "ten"}, "PageSize"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "Page": "-1"}, "Page"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "Page": "1.5"}, "Page"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "PageToken": "garbage"}, "PageToken"),
        ({"ReservationId": DOCUMENTED_RESERVATION_ID, "PageToken": "PTbm90LWEtdG9rZW4"}, "PageToken"),
        ({"SegmentId": ""}, "SegmentId"),
    ],
)
def test_invalid_segments_parameter_gives_a_twilio_400_body(emu, params, mentions):
    body = assert_twilio_error(get(emu, SEGMENTS_PATH, params), 400, 20001)
    assert mentions in body["message"]


def test_page_token_of_another_query_is_rejected(emu):
    first = get(emu, SEGMENTS_PATH, {"ReservationId": emu.reservation_ids, "PageSize": 2}).json()
    token = parse_qs(urlsplit(first["meta"]["next_page_url"]).query)["PageToken"][0]
    other = get(emu, SEGMENTS_PATH, {"ReservationId": emu.reservation_ids[:5], "PageToken": token})
    assert "PageToken" in assert_twilio_error(other, 400, 20001)["message"]


# ---- auth, routing, transport -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "method"),
    [
        ((EMULATOR_ACCOUNT_SID, EMULATOR_AUTH_TOKEN), "auth_token"),
        ((EMULATOR_API_KEY_SID, EMULATOR_API_KEY_SECRET), "api_key"),
    ],
)
def test_account_token_and_api_key_credentials_are_both_accepted(emu, auth, method):
    with session_for(emu, auth) as session:
        response = session.get(emu.base_url + SEGMENTS_PATH, params={"ReservationId": DOCUMENTED_RESERVATION_ID})
    assert response.status_code == 200
    assert emu.requests[-1].auth_valid and emu.requests[-1].auth_method == method


@pytest.mark.parametrize(
    "auth",
    [
        None,
        (EMULATOR_ACCOUNT_SID, "wrong-token"),
        (EMULATOR_API_KEY_SID, EMULATOR_AUTH_TOKEN),
        (EMULATOR_ACCOUNT_SID, EMULATOR_API_KEY_SECRET),
    ],
)
def test_missing_or_wrong_credentials_give_401_authenticate(emu, auth):
    for path in (SEGMENTS_PATH, EVENTS_PATH):
        response = requests.get(emu.base_url + path, auth=auth, timeout=10)
        body = assert_twilio_error(response, 401, 20003)
        assert body["message"] == "Authenticate"
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert not emu.requests[-1].auth_valid


def test_unknown_path_gives_a_twilio_404_body(emu):
    assert_twilio_error(get(emu, "/v1/Insights/Nothing"), 404, 20404)
    assert_twilio_error(get(emu, "/v2/Insights/Segments"), 404, 20404)


def test_methods_other_than_get_give_405(emu):
    with session_for(emu) as session:
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            response = session.request(method, emu.base_url + SEGMENTS_PATH, data={"a": "b"}, timeout=10)
            assert_twilio_error(response, 405, 20004)
        # The connection stays usable after a refused request with a body.
        assert session.get(emu.base_url + SEGMENTS_PATH, timeout=10).status_code == 200


def test_requests_are_recorded_without_any_credentials(emu):
    emu.clear_requests()
    get(emu, SEGMENTS_PATH, {"ReservationId": emu.reservation_ids[:2], "PageSize": 5})
    (record,) = emu.requests
    assert record.method == "GET" and record.path == SEGMENTS_PATH
    assert record.query == {"ReservationId": emu.reservation_ids[:2], "PageSize": ["5"]}
    assert record.auth_valid and record.status == 200 and not record.fault
    assert EMULATOR_AUTH_TOKEN not in repr(emu.requests) and EMULATOR_AUTH_TOKEN not in repr(emu)
    emu.clear_requests()
    assert emu.requests == []


def test_one_keep_alive_connection_serves_many_requests(emu):
    parts = urlsplit(emu.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Authorization": requests.auth._basic_auth_str(emu.account_sid, emu.auth_token)}
    try:
        sockets = set()
        for _ in range(3):
            connection.request("GET", SEGMENTS_PATH + "?ReservationId=" + DOCUMENTED_RESERVATION_ID, headers=headers)
            response = connection.getresponse()
            assert response.status == 200 and response.version == 11
            assert int(response.getheader("Content-Length")) == len(response.read())
            sockets.add(id(connection.sock))
        assert len(sockets) == 1
    finally:
        connection.close()


# ---- fault injection ---------------------------------------------------------------------------


def test_injected_faults_are_served_once_each_then_normal_behaviour_resumes(emu):
    emu.inject_faults(
        SEGMENTS_PATH,
        [
            (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "2"}),
            (503, b"Service Unavailable", {"Content-Type": "text/plain"}),
            (200, b"{not json", {}),
        ],
    )
    params = {"ReservationId": DOCUMENTED_RESERVATION_ID}
    with session_for(emu) as session:
        url = emu.base_url + SEGMENTS_PATH
        throttled = session.get(url, params=params, timeout=10)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
        assert throttled.json()["code"] == 20429
        unavailable = session.get(url, params=params, timeout=10)
        assert unavailable.status_code == 503 and unavailable.text == "Service Unavailable"
        malformed = session.get(url, params=params, timeout=10)
        assert malformed.status_code == 200
        with pytest.raises(ValueError):
            malformed.json()
        normal = session.get(url, params=params, timeout=10)
    assert normal.json()["segments"][0]["segment_id"] == DOCUMENTED_SEGMENT_ID
    assert [record.fault for record in emu.requests] == [True, True, True, False]


def test_injected_faults_only_hit_matching_paths(emu):
    emu.inject_faults("/v1/Workspaces/", [(503, {"message": "down"}, {})])
    assert get(emu, SEGMENTS_PATH).status_code == 200
    assert get(emu, EVENTS_PATH).status_code == 503
    assert get(emu, EVENTS_PATH).status_code == 200


def test_an_injected_page_can_point_next_page_url_at_another_host(emu):
    page = {
        "segments": [],
        "meta": {
            "page": 0,
            "page_size": 50,
            "first_page_url": emu.base_url + SEGMENTS_PATH,
            "previous_page_url": None,
            "url": emu.base_url + SEGMENTS_PATH,
            "next_page_url": "https://attacker.example/v1/Insights/Segments?Page=1",
            "key": "segments",
        },
    }
    emu.inject_faults(SEGMENTS_PATH, [(200, page, {})])
    body = get(emu, SEGMENTS_PATH, {"ReservationId": DOCUMENTED_RESERVATION_ID}).json()
    assert body["meta"]["next_page_url"].startswith("https://attacker.example/")


# ---- events ------------------------------------------------------------------------------------


def test_events_response_conforms_to_the_openapi_fragment(timed_emu):
    response = get(timed_emu, EVENTS_PATH, {"StartDate": "2024-05-01T00:00:00Z", "PageSize": 1000})
    assert response.status_code == 200
    body = response.json()
    assert len(body["events"]) >= 40 * 3 - 5
    check_list_response(body, EVENTS_SPEC_FILE, "/v1/Workspaces/{WorkspaceSid}/Events", "events")


def test_events_are_newest_first(timed_emu):
    events = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z"})
    keys = [event["event_date_ms"] for event in events]
    assert keys == sorted(keys, reverse=True)
    assert len({event["sid"] for event in events}) == len(events)


def test_reservation_events_describe_the_reservation(timed_emu):
    rid = timed_emu.reservation_ids[3]
    events = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z", "ReservationSid": rid})
    assert [event["event_type"] for event in events] == [
        "reservation.completed",
        "reservation.accepted",
        "reservation.created",
    ]
    for event in events:
        assert event["resource_type"] == "reservation" and event["resource_sid"] == rid
        data = event["event_data"]
        assert data["reservation_sid"] == rid
        assert re.match(r"^WT[0-9a-f]{32}$", data["task_sid"])
        assert re.match(r"^WK[0-9a-f]{32}$", data["worker_sid"])
        assert re.match(r"^WQ[0-9a-f]{32}$", data["task_queue_sid"])
        assert data["worker_name"] and data["task_channel_unique_name"] in ("voice", "chat", "sms")
        assert event["url"] == f"{timed_emu.base_url}{EVENTS_PATH}/{event['sid']}"
        assert event["workspace_sid"] == EMULATOR_WORKSPACE_SID
        assert event["account_sid"] == EMULATOR_ACCOUNT_SID
    assert events[0]["event_date"] == (T0 + SPACING * 3).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_completed_events_match_completed_reservation_ids(timed_emu):
    events = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z", "EventType": "reservation.completed"})
    assert {event["event_type"] for event in events} == {"reservation.completed"}
    assert [event["resource_sid"] for event in reversed(events)] == timed_emu.completed_reservation_ids()


def test_rejected_or_timed_out_reservations_never_complete_and_have_no_segments(timed_emu):
    unfinished = [rid for rid in timed_emu.reservation_ids if rid not in timed_emu.completed_reservation_ids()]
    assert unfinished, "seed 7 should contain at least one rejected or timed-out reservation"
    for rid in unfinished:
        events = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z", "ReservationSid": rid})
        types = [event["event_type"] for event in events]
        assert "reservation.completed" not in types
        assert types[0] in ("reservation.rejected", "reservation.timeout")
        assert timed_emu.segments_for(rid) == []
        assert timed_emu.completion_time(rid) is None


def test_worker_activity_noise_events_are_present(timed_emu):
    events = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z", "EventType": "worker.activity.update"})
    assert events
    assert all(event["resource_type"] == "worker" for event in events)


def test_start_and_end_date_are_both_inclusive(timed_emu):
    moment = (T0 + SPACING * 10).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"StartDate": moment, "EndDate": moment, "EventType": "reservation.completed"}
    events = all_events(timed_emu, params)
    assert [event["resource_sid"] for event in events] == [timed_emu.reservation_ids[10]]


def test_events_filtered_by_date_window(timed_emu):
    start, end = T0 + SPACING * 5, T0 + SPACING * 12
    events = all_events(
        timed_emu,
        {"StartDate": start.isoformat(), "EndDate": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    assert events
    for event in events:
        assert start <= datetime.fromisoformat(event["event_date"].replace("Z", "+00:00")) <= end
    completed = [e["resource_sid"] for e in events if e["event_type"] == "reservation.completed"]
    expected = [rid for rid in timed_emu.reservation_ids[5:13] if rid in timed_emu.completed_reservation_ids()]
    assert completed == list(reversed(expected))


def test_events_filtered_by_worker_queue_task_channel_and_sid(timed_emu):
    everything = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z"})
    sample = next(event for event in everything if event["resource_type"] == "reservation")
    data = sample["event_data"]
    start = {"StartDate": "2024-05-01T00:00:00Z"}
    by_event_data = {
        "WorkerSid": "worker_sid",
        "TaskQueueSid": "task_queue_sid",
        "TaskSid": "task_sid",
        "WorkflowSid": "workflow_sid",
    }
    for param, key in by_event_data.items():
        got = all_events(timed_emu, {**start, param: data[key]})
        assert got == [event for event in everything if event["event_data"].get(key) == data[key]], param
    chats = all_events(timed_emu, {**start, "TaskChannel": "chat"})
    assert chats == [e for e in everything if e["event_data"].get("task_channel_unique_name") == "chat"]
    assert chats
    assert all_events(timed_emu, {**start, "Sid": sample["sid"]}) == [sample]


def test_default_event_window_is_the_last_fifteen_minutes(timed_emu, clock):
    events = all_events(timed_emu, {})
    cutoff_ms = int((clock.now - timedelta(minutes=15)).timestamp() * 1000)
    assert events and all(event["event_date_ms"] >= cutoff_ms for event in events)
    everything = all_events(timed_emu, {"StartDate": "2024-05-01T00:00:00Z"})
    assert [e for e in everything if e["event_date_ms"] >= cutoff_ms] == events
    assert all_events(timed_emu, {"Minutes": "2"}) == [
        e for e in everything if e["event_date_ms"] >= cutoff_ms + 13 * 60_000
    ]


def test_events_in_the_future_are_invisible_until_the_clock_passes_them(clock):
    clock.now = T0 - timedelta(minutes=10)
    with TwilioEmulator(reservations=10, seed=3, anchor=T0, spacing=SPACING, clock=clock) as emu:
        completed = {"StartDate": "2024-05-01T00:00:00Z", "EventType": "reservation.completed"}
        assert all_events(emu, completed) == []
        assert emu.completed_reservation_ids() == []
        clock.now = T0 + SPACING * 2
        seen = [event["resource_sid"] for event in all_events(emu, completed)]
        assert seen == list(reversed(emu.completed_reservation_ids()))
        assert set(seen) <= set(emu.reservation_ids[:3]) and seen
        clock.now = T0 + SPACING * 9
        later = [event["resource_sid"] for event in all_events(emu, completed)]
        assert later[-len(seen) :] == seen and len(later) > len(seen)
        assert all(event["event_date_ms"] <= int(clock.now.timestamp() * 1000) for event in all_events(emu, {}))


def test_completed_reservation_ids_accept_an_explicit_time(timed_emu):
    at = T0 + SPACING * 4
    assert timed_emu.completed_reservation_ids(at) == [
        rid for rid in timed_emu.reservation_ids[:5] if timed_emu.completion_time(rid) is not None
    ]
    assert timed_emu.completion_time(timed_emu.reservation_ids[4]) in (T0 + SPACING * 4, None)


def test_events_pages_keep_their_window_when_new_events_arrive(clock):
    clock.now = T0 + SPACING * 20
    with TwilioEmulator(reservations=40, seed=7, anchor=T0, spacing=SPACING, clock=clock) as emu:
        params = {"StartDate": "2024-05-01T00:00:00Z", "PageSize": 7}
        expected = all_events(emu, {"StartDate": "2024-05-01T00:00:00Z"})
        with session_for(emu) as session:
            first = session.get(emu.base_url + EVENTS_PATH, params=params, timeout=10).json()
            clock.advance(SPACING * 10)
            rest, metas = follow_pages(session, first["meta"]["next_page_url"], "events")
    assert first["events"] + rest == expected
    assert metas[-1]["next_page_url"] is None


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"StartDate": "yesterday"}, "StartDate"),
        ({"EndDate": "2024-13-01T00:00:00Z"}, "EndDate"),
        ({"Minutes": "ten"}, "Minutes"),
        ({"Minutes": "-5"}, "Minutes"),
        ({"ReservationSid": "WR123"}, "ReservationSid"),
        ({"TaskQueueSid": "WR" + "a" * 32}, "TaskQueueSid"),
        ({"TaskSid": "WT" + "z" * 32}, "TaskSid"),
        ({"WorkerSid": "WK" + "a" * 31}, "WorkerSid"),
        ({"WorkflowSid": "WWnope"}, "WorkflowSid"),
        ({"Sid": "EV" + "a" * 33}, "Sid"),
        ({"PageSize": "0"}, "PageSize"),
        ({"PageSize": "1001"}, "PageSize"),
        ({"Page": "-1"}, "Page"),
        ({"PageToken": "PT"}, "PageToken"),
        ({"EventType": ""}, "EventType"),
    ],
)
def test_invalid_events_parameter_gives_a_twilio_400_body(emu, params, mentions):
    body = assert_twilio_error(get(emu, EVENTS_PATH, params), 400, 20001)
    assert mentions in body["message"]


def test_malformed_workspace_sid_gives_400_and_unknown_workspace_gives_404(emu):
    assert "WorkspaceSid" in assert_twilio_error(get(emu, "/v1/Workspaces/WSnope/Events"), 400, 20001)["message"]
    assert_twilio_error(get(emu, f"/v1/Workspaces/WS{'a' * 32}/Events"), 404, 20404)


def test_segment_page_token_is_not_accepted_for_events(emu):
    first = get(emu, SEGMENTS_PATH, {"ReservationId": emu.reservation_ids, "PageSize": 2}).json()
    token = parse_qs(urlsplit(first["meta"]["next_page_url"]).query)["PageToken"][0]
    assert_twilio_error(get(emu, EVENTS_PATH, {"PageToken": token}), 400, 20001)


# ---- determinism and lifecycle -----------------------------------------------------------------


def served_data(emulator: TwilioEmulator) -> Any:
    segments = [emulator.segments_for(rid) for rid in emulator.reservation_ids]
    events = all_events(emulator, {"StartDate": "2024-05-01T00:00:00Z"})
    return on_port_free(emulator, {"ids": emulator.reservation_ids, "segments": segments, "events": events})


def on_port_free(emulator: TwilioEmulator, value: Any) -> Any:
    return json.loads(json.dumps(value).replace(emulator.base_url, "http://emulator"))


def test_same_seed_gives_identical_data_and_another_seed_does_not(clock):
    def build(seed: int) -> TwilioEmulator:
        return TwilioEmulator(reservations=30, seed=seed, anchor=T0, spacing=SPACING, clock=clock)

    with build(11) as first, build(11) as second, build(12) as other:
        assert served_data(first) == served_data(second)
        assert first.reservation_ids[0] == other.reservation_ids[0] == DOCUMENTED_RESERVATION_ID
        assert first.reservation_ids[1:] != other.reservation_ids[1:]


def test_default_anchor_has_every_reservation_completed_at_start():
    with TwilioEmulator(reservations=12, seed=5) as emu:
        finished = [rid for rid in emu.reservation_ids if emu.completion_time(rid) is not None]
        assert emu.completed_reservation_ids() == finished


def test_stop_releases_the_port_and_base_url_needs_a_running_emulator():
    emu = TwilioEmulator(reservations=2)
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    emu.start()
    url = emu.base_url
    assert get(emu, SEGMENTS_PATH).status_code == 200
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + SEGMENTS_PATH, timeout=2)


def test_run_emulator_prints_its_url_and_credentials(monkeypatch, capsys):
    served = []
    monkeypatch.setattr(emulator_server.TwilioEmulator, "serve_forever", lambda self: served.append(self))
    emulator_server.run_emulator(port=0, reservations=3, seed=7)
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1
    assert re.search(r"http://127\.0\.0\.1:\d+", line)
    for value in (EMULATOR_ACCOUNT_SID, EMULATOR_AUTH_TOKEN, EMULATOR_API_KEY_SID, EMULATOR_WORKSPACE_SID):
        assert value in line
    assert served and served[0].reservation_ids[0] == DOCUMENTED_RESERVATION_ID


def test_a_negative_latency_is_refused() -> None:
    with pytest.raises(ValueError, match="latency"):
        TwilioEmulator(latency=-0.1)
