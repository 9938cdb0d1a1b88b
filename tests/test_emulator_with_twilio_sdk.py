"""The official twilio-python SDK, unchanged, reads segments and events from the emulator."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from flex_segments_dagster.emulator import (
    DOCUMENTED_RESERVATION_ID,
    DOCUMENTED_SEGMENT_ID,
    TwilioEmulator,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
SPACING = timedelta(seconds=15)
TWILIO_HOSTS = ("https://flex-api.twilio.com", "https://taskrouter.twilio.com")


class EmulatorHttpClient(TwilioHttpClient):
    """A TwilioHttpClient that sends the SDK's Flex and TaskRouter requests to the emulator."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        for host in TWILIO_HOSTS:
            if url.startswith(host):
                url = self.base_url + url[len(host) :]
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def emu():
    clock = lambda: T0 + SPACING * 40  # noqa: E731
    with TwilioEmulator(reservations=40, seed=7, anchor=T0, spacing=SPACING, clock=clock) as emulator:
        yield emulator


def sdk_client(emulator: TwilioEmulator, *, api_key: bool = False, password: str | None = None) -> Client:
    http_client = EmulatorHttpClient(emulator.base_url)
    if api_key:
        return Client(emulator.api_key_sid, emulator.api_key_secret, emulator.account_sid, http_client=http_client)
    return Client(emulator.account_sid, password or emulator.auth_token, http_client=http_client)


def test_sdk_lists_segments_of_several_reservations_across_pages(emu):
    wanted = emu.reservation_ids[:15]
    expected = [segment for rid in wanted for segment in emu.segments_for(rid)]
    emu.clear_requests()

    segments = sdk_client(emu).flex_api.v1.insights_segments.list(reservation_id=wanted, page_size=4)

    assert [segment.segment_id for segment in segments] == [segment["segment_id"] for segment in expected]
    first = segments[0]
    assert (first.agent_name, first.queue, first.url) == (
        expected[0]["agent_name"],
        expected[0]["queue"],
        expected[0]["url"],
    )
    pages = [record for record in emu.requests if record.path == "/v1/Insights/Segments"]
    assert len(pages) == -(-len(expected) // 4)
    assert pages[0].query["ReservationId"] == wanted
    assert all(record.status == 200 and record.auth_method == "auth_token" for record in pages)


def test_sdk_reads_the_documented_segment_by_segment_id(emu):
    (segment,) = sdk_client(emu).flex_api.v1.insights_segments.list(segment_id=DOCUMENTED_SEGMENT_ID)
    assert segment.agent_name == "Flex Insights"
    assert segment.customer_phone == "+420606078007"
    assert segment.assessment_type == [None]
    assert segment.url == f"{emu.base_url}/v1/Insights/Segments/{DOCUMENTED_SEGMENT_ID}"


def test_sdk_authenticates_with_an_api_key(emu):
    segments = sdk_client(emu, api_key=True).flex_api.v1.insights_segments.list(
        reservation_id=[DOCUMENTED_RESERVATION_ID]
    )
    assert [segment.segment_id for segment in segments] == [DOCUMENTED_SEGMENT_ID]
    assert emu.requests[-1].auth_method == "api_key"


def test_sdk_lists_taskrouter_events_across_pages(emu):
    events = (
        sdk_client(emu)
        .taskrouter.v1.workspaces(emu.workspace_sid)
        .events.list(
            event_type="reservation.completed",
            start_date=T0 - timedelta(minutes=5),
            end_date=T0 + SPACING * 40,
            page_size=7,
        )
    )
    assert [event.resource_sid for event in events] == list(reversed(emu.completed_reservation_ids()))
    assert all(event.event_date.tzinfo is not None for event in events)
    assert events[0].event_data["reservation_sid"] == events[0].resource_sid
    event_pages = [record for record in emu.requests if record.path.endswith("/Events")]
    assert len(event_pages) > 1


def test_sdk_filters_events_by_reservation_sid(emu):
    rid = emu.reservation_ids[2]
    events = (
        sdk_client(emu)
        .taskrouter.v1.workspaces(emu.workspace_sid)
        .events.list(reservation_sid=rid, start_date=T0 - timedelta(minutes=10))
    )
    assert {event.resource_sid for event in events} == {rid}
    assert events[0].event_type == "reservation.completed"


def test_sdk_refuses_the_page_when_credentials_are_wrong(emu):
    # For list calls the SDK raises a plain TwilioException carrying the HTTP response.
    with pytest.raises(TwilioException) as caught:
        sdk_client(emu, password="wrong").flex_api.v1.insights_segments.list(reservation_id=[DOCUMENTED_RESERVATION_ID])
    response = caught.value.args[1]
    assert response.status_code == 401
    assert json.loads(response.text)["code"] == 20003
