"""Deterministic, realistic reservations, segments and TaskRouter events for the emulator."""

from __future__ import annotations

import json
import random
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .spec import EVENT_SCHEMA, EVENTS_FRAGMENT, SEGMENT_SCHEMA, SEGMENTS_FRAGMENT, schema_fields

EMULATOR_ACCOUNT_SID = "AC00000000000000000000000000000001"
EMULATOR_AUTH_TOKEN = "emulator-auth-token"
EMULATOR_API_KEY_SID = "SK00000000000000000000000000000001"
EMULATOR_API_KEY_SECRET = "emulator-api-key-secret"
EMULATOR_WORKSPACE_SID = "WS00000000000000000000000000000001"

DEFAULT_RESERVATIONS = 40
DEFAULT_SEED = 7
DEFAULT_SPACING = timedelta(seconds=15)

DOCUMENTED_RESERVATION_ID = "WReeeff42d5326cfdaa0f7a1181d00f1b1"
DOCUMENTED_SEGMENT_ID = "02dd8a65-c9e3-550b-9e98-5b11abb9b3a5"

SEGMENT_FIELDS = schema_fields(SEGMENTS_FRAGMENT, SEGMENT_SCHEMA)
EVENT_FIELDS = schema_fields(EVENTS_FRAGMENT, EVENT_SCHEMA)

# Fields whose stored value is a path on the emulator; the server prefixes its base URL.
SEGMENT_URL_FIELDS = ("url",)
EVENT_URL_FIELDS = ("actor_url", "resource_url", "url")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_WORKSPACE_NAME = "Flex Task Assignment"
_WORKFLOW_NAME = "Assign to Anyone"
_FIRST_NAMES = ("Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jakub")
_LAST_NAMES = ("Novak", "Okafor", "Rossi", "Schmidt", "Tanaka", "Varga", "Walsh", "Young", "Zeman", "Lopez")
_CUSTOMER_NAMES = ("Jana Dvorakova", "Tom Baker", "Maria Garcia", "Lukas Weber", "Aiko Sato", "Sam Patel")
_TEAMS = (
    ("Everyone", "Everyone"),
    ("Sales", "Everyone > Sales"),
    ("Tier 1", "Everyone > Support > Tier 1"),
    ("Tier 2", "Everyone > Support > Tier 2"),
)
_QUEUES = ("Everyone", "Sales", "Support", "Billing")
_CHANNELS = (("voice", 0.6), ("chat", 0.3), ("sms", 0.1))
_ACTIVITIES = ("Available", "Unavailable", "Break", "Offline")
_RESERVATION_STATUS = {
    "created": "pending",
    "accepted": "accepted",
    "completed": "completed",
    "rejected": "rejected",
    "timeout": "timeout",
}
_TASK_STATUS = {
    "created": "reserved",
    "accepted": "assigned",
    "completed": "completed",
    "rejected": "pending",
    "timeout": "pending",
}


def to_ms(moment: datetime) -> int:
    """Return milliseconds since the Unix epoch for a datetime (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """Return the aware UTC datetime for milliseconds since the Unix epoch."""
    return _EPOCH + timedelta(milliseconds=ms)


def iso_z(ms: int) -> str:
    """Format epoch milliseconds the way Twilio does: ISO 8601 to the second, with Z."""
    return from_ms(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Agent:
    """A Flex agent, who is also a TaskRouter worker."""

    worker_sid: str
    name: str
    agent_id: str
    phone: str
    team: str
    team_in_hierarchy: str


@dataclass(frozen=True)
class Queue:
    """A TaskRouter task queue."""

    sid: str
    name: str


@dataclass
class Reservation:
    """One offer of a task to a worker, with its timeline and its Flex Insights segments."""

    index: int
    sid: str
    task_sid: str
    agent: Agent
    queue: Queue
    channel: str
    customer_phone: str
    customer_name: str
    outcome: str  # "completed", "rejected" or "timeout"
    created_ms: int
    accepted_ms: int | None
    ended_ms: int
    segments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class StoredEvent:
    """A TaskRouter event with the keys the Events API filters on."""

    ms: int
    seq: int
    payload: dict[str, Any]
    event_type: str
    reservation_sid: str | None
    task_sid: str | None
    task_queue_sid: str | None
    worker_sid: str | None
    workflow_sid: str | None
    task_channel: str | None
    task_channel_sid: str | None
    sid: str


def normalize_sid(sid: str) -> str:
    """Return a SID with its two-letter prefix upper case and its hex digits lower case."""
    return sid[:2].upper() + sid[2:].lower()


class EmulatorData:
    """Everything the emulator serves, computed once from a seed and indexed for O(page) reads."""

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        reservations: int = DEFAULT_RESERVATIONS,
        anchor: datetime,
        spacing: timedelta = DEFAULT_SPACING,
        account_sid: str = EMULATOR_ACCOUNT_SID,
        workspace_sid: str = EMULATOR_WORKSPACE_SID,
    ) -> None:
        if reservations < 0:
            raise ValueError("reservations must be >= 0")
        if spacing < timedelta(0):
            raise ValueError("spacing must not be negative")
        self.seed = seed
        self.account_sid = account_sid
        self.workspace_sid = workspace_sid
        self.anchor_ms = to_ms(anchor)
        self.spacing_ms = spacing // timedelta(milliseconds=1)
        self._rng = random.Random(f"flex-segments-dagster-emulator/{seed}")
        rng = self._rng

        self.account_id = self._uuid()
        self.workflow_sid = self._sid("WW")
        self.channel_sids = {name: self._sid("TC") for name, _ in _CHANNELS}
        self.activity_sids = {name: self._sid("WA") for name in _ACTIVITIES}
        self.contact_numbers = [self._us_number() for _ in range(3)]
        self.queues = [Queue(self._sid("WQ"), name) for name in _QUEUES]
        self.agents = []
        for first, last in zip(rng.sample(_FIRST_NAMES, 8), rng.sample(_LAST_NAMES, 8), strict=True):
            team, hierarchy = rng.choice(_TEAMS)
            self.agents.append(
                Agent(self._sid("WK"), f"{first} {last}", self._uuid(), self._us_number(), team, hierarchy)
            )
        self.documented_agent = Agent(
            self._sid("WK"),
            "Flex Insights",
            "0e4a8059-18a3-5e48-9efb-29ae3213e7fe",
            "+13051515226",
            "Everyone",
            "Everyone",
        )

        self.reservations: list[Reservation] = []
        self._by_reservation: dict[str, Reservation] = {}
        self._segments_by_id: dict[str, dict[str, Any]] = {}
        self._segment_owner: dict[str, str] = {}
        events: list[StoredEvent] = []
        for index in range(reservations):
            reservation = self._make_reservation(index)
            self.reservations.append(reservation)
            self._by_reservation[normalize_sid(reservation.sid)] = reservation
            for segment in reservation.segments:
                self._segments_by_id[segment["segment_id"]] = segment
                self._segment_owner[segment["segment_id"]] = reservation.sid
            events.extend(self._make_events(reservation, seq_base=len(events)))

        events.sort(key=lambda event: (event.ms, event.seq))
        self.events = events
        self._event_ms = [event.ms for event in events]
        self._events_by_reservation: dict[str, list[StoredEvent]] = {}
        for event in events:
            if event.reservation_sid:
                self._events_by_reservation.setdefault(event.reservation_sid, []).append(event)

    # ---- random building blocks -------------------------------------------------------------

    def _hex(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"

    def _sid(self, prefix: str) -> str:
        return prefix + self._hex()

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=5))

    def _us_number(self) -> str:
        rng = self._rng
        area = rng.choice(("305", "415", "646", "312", "206", "512"))
        return f"+1{area}{rng.randint(2, 9)}{rng.randint(0, 999999):06d}"

    def _customer_number(self) -> str:
        rng = self._rng
        country = rng.choice(("cz", "uk", "de", "us", "us"))
        if country == "cz":
            return f"+4206{rng.randint(0, 99999999):08d}"
        if country == "uk":
            return f"+447{rng.randint(0, 999999999):09d}"
        if country == "de":
            return f"+4915{rng.randint(0, 999999999):09d}"
        return self._us_number()

    # ---- reservations and segments ----------------------------------------------------------

    def _make_reservation(self, index: int) -> Reservation:
        rng = self._rng
        ended_ms = self.anchor_ms + index * self.spacing_ms
        duration_ms = rng.randint(20_000, 240_000)
        created_ms = ended_ms - duration_ms
        accepted_ms: int | None = created_ms + rng.randint(1_000, min(12_000, duration_ms - 1_000))
        task_sid = self._sid("WT")
        if index == 0:
            reservation = Reservation(
                index=0,
                sid=DOCUMENTED_RESERVATION_ID,
                task_sid=task_sid,
                agent=self.documented_agent,
                queue=self.queues[0],
                channel="voice",
                customer_phone="+420606078007",
                customer_name="+420606078007",
                outcome="completed",
                created_ms=created_ms,
                accepted_ms=accepted_ms,
                ended_ms=ended_ms,
            )
            reservation.segments.append(documented_segment())
            return reservation

        sid = self._sid("WR")
        while normalize_sid(sid) in self._by_reservation or sid == DOCUMENTED_RESERVATION_ID:
            sid = self._sid("WR")
        roll = rng.random()
        outcome = "rejected" if roll < 0.05 else "timeout" if roll < 0.09 else "completed"
        if outcome != "completed":
            accepted_ms = None
        channel = rng.choices([name for name, _ in _CHANNELS], [weight for _, weight in _CHANNELS])[0]
        customer_phone = self._customer_number()
        customer_name = customer_phone if channel == "voice" else rng.choice(_CUSTOMER_NAMES)
        reservation = Reservation(
            index=index,
            sid=sid,
            task_sid=task_sid,
            agent=rng.choice(self.agents),
            queue=rng.choice(self.queues),
            channel=channel,
            customer_phone=customer_phone,
            customer_name=customer_name,
            outcome=outcome,
            created_ms=created_ms,
            accepted_ms=accepted_ms,
            ended_ms=ended_ms,
        )
        if outcome == "completed":
            count = rng.choices((0, 1, 2, 3), (0.1, 0.65, 0.18, 0.07))[0]
            offset_s = 0
            for position in range(count):
                agent = reservation.agent if position == 0 else rng.choice(self.agents)
                reservation.segments.append(self._make_segment(reservation, agent, position, offset_s))
                offset_s += rng.randint(30, 400)
        return reservation

    def _make_segment(self, reservation: Reservation, agent: Agent, position: int, offset_s: int) -> dict:
        rng = self._rng
        segment_id = self._uuid()
        start_ms = (reservation.accepted_ms or reservation.created_ms) + offset_s * 1000
        media: Any = None
        link = link_id = None
        if reservation.channel == "voice" and rng.random() < 0.7:
            recording_sid = self._sid("RE")
            media = {"type": "recording", "recording_sid": recording_sid}
            link_id = self._uuid()
            link = f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"
        elif reservation.channel == "chat":
            media = [{"type": "transcript", "conversation_sid": self._sid("CH")}]
        roll = rng.random()
        if roll < 0.7:
            assessment_type: list[Any] = [None]
            assessment_percentage: list[Any] = [None]
        elif roll < 0.9:
            assessment_type, assessment_percentage = ["Quality"], [round(rng.uniform(55, 100) * 2) / 2]
        else:
            assessment_type = ["Quality", "Compliance"]
            assessment_percentage = [round(rng.uniform(55, 100) * 2) / 2, 100.0]
        values: dict[str, Any] = {
            "segment_id": segment_id,
            "external_id": self._sid("EV"),
            "queue": reservation.queue.name,
            "external_contact": rng.choice(self.contact_numbers),
            "external_segment_link_id": link_id,
            "date": iso_z(start_ms),
            "account_id": self.account_id,
            "external_segment_link": link,
            "agent_id": agent.agent_id,
            "agent_phone": agent.phone,
            "agent_name": agent.name,
            "agent_team_name": agent.team,
            "agent_team_name_in_hierarchy": agent.team_in_hierarchy,
            "agent_link": None,
            "customer_phone": reservation.customer_phone,
            "customer_name": reservation.customer_name,
            "customer_link": None,
            "segment_recording_offset": str(offset_s) if position and reservation.channel == "voice" else None,
            "media": media,
            "assessment_type": assessment_type,
            "assessment_percentage": assessment_percentage,
            "url": f"/v1/Insights/Segments/{segment_id}",
        }
        return {name: values[name] for name in SEGMENT_FIELDS}

    # ---- events -----------------------------------------------------------------------------

    def _make_events(self, reservation: Reservation, seq_base: int) -> list[StoredEvent]:
        rng = self._rng
        events: list[StoredEvent] = []
        if rng.random() < 0.35:
            agent = rng.choice(self.agents)
            moment = reservation.created_ms - rng.randint(1_000, 30_000)
            events.append(self._activity_event(agent, moment, seq_base))
        timeline: list[tuple[str, int]] = [("created", reservation.created_ms)]
        if reservation.accepted_ms is not None:
            timeline.append(("accepted", reservation.accepted_ms))
        timeline.append((reservation.outcome, reservation.ended_ms))
        for step, moment in timeline:
            events.append(self._reservation_event(reservation, step, moment, seq_base + len(events)))
        return events

    def _activity_event(self, agent: Agent, ms: int, seq: int) -> StoredEvent:
        rng = self._rng
        activity = rng.choice(_ACTIVITIES)
        previous_ms = rng.randint(5_000, 3_600_000)
        ws = self.workspace_sid
        worker_path = f"/v1/Workspaces/{ws}/Workers/{agent.worker_sid}"
        event_data = {
            "worker_activity_name": activity,
            "worker_activity_sid": self.activity_sids[activity],
            "worker_attributes": json.dumps({"full_name": agent.name, "contact_uri": f"client:{agent.agent_id}"}),
            "worker_name": agent.name,
            "worker_sid": agent.worker_sid,
            "worker_time_in_previous_activity": str(previous_ms // 1000),
            "worker_time_in_previous_activity_ms": str(previous_ms),
            "workspace_name": _WORKSPACE_NAME,
            "workspace_sid": ws,
        }
        sid = self._sid("EV")
        payload = self._event_payload(
            sid=sid,
            ms=ms,
            event_type="worker.activity.update",
            description=f"Worker {agent.name} updated to {activity} Activity",
            actor=("worker", agent.worker_sid, worker_path),
            resource=("worker", agent.worker_sid, worker_path),
            event_data=event_data,
        )
        return StoredEvent(
            ms=ms,
            seq=seq,
            payload=payload,
            event_type="worker.activity.update",
            reservation_sid=None,
            task_sid=None,
            task_queue_sid=None,
            worker_sid=agent.worker_sid,
            workflow_sid=None,
            task_channel=None,
            task_channel_sid=None,
            sid=sid,
        )

    def _reservation_event(self, reservation: Reservation, step: str, ms: int, seq: int) -> StoredEvent:
        ws = self.workspace_sid
        agent = reservation.agent
        worker_path = f"/v1/Workspaces/{ws}/Workers/{agent.worker_sid}"
        resource_path = f"/v1/Workspaces/{ws}/Tasks/{reservation.task_sid}/Reservations/{reservation.sid}"
        if step == "created":
            actor = ("workflow", self.workflow_sid, f"/v1/Workspaces/{ws}/Workflows/{self.workflow_sid}")
            description = f"Reservation {reservation.sid} created for Worker {agent.name}"
        elif step == "timeout":
            actor = ("workspace", ws, f"/v1/Workspaces/{ws}")
            description = f"Reservation {reservation.sid} timed out for Worker {agent.name}"
        else:
            actor = ("worker", agent.worker_sid, worker_path)
            description = f"Reservation {reservation.sid} {step} by Worker {agent.name}"
        attributes = {
            "from": reservation.customer_phone,
            "to": self.contact_numbers[0],
            "name": reservation.customer_name,
            "channelType": reservation.channel,
            "direction": "inbound",
        }
        channel_sid = self.channel_sids[reservation.channel]
        event_data = {
            "reservation_sid": reservation.sid,
            "reservation_status": _RESERVATION_STATUS[step],
            "reservation_timeout": "120",
            "task_age": str((ms - reservation.created_ms) // 1000),
            "task_assignment_status": _TASK_STATUS[step],
            "task_attributes": json.dumps(attributes),
            "task_channel_sid": channel_sid,
            "task_channel_unique_name": reservation.channel,
            "task_date_created": str(reservation.created_ms // 1000),
            "task_priority": "0",
            "task_queue_name": reservation.queue.name,
            "task_queue_sid": reservation.queue.sid,
            "task_queue_target_expression": "1==1",
            "task_sid": reservation.task_sid,
            "task_version": str(1 + list(_RESERVATION_STATUS).index(step)),
            "worker_attributes": json.dumps({"full_name": agent.name, "contact_uri": f"client:{agent.agent_id}"}),
            "worker_name": agent.name,
            "worker_sid": agent.worker_sid,
            "workflow_name": _WORKFLOW_NAME,
            "workflow_sid": self.workflow_sid,
            "workspace_name": _WORKSPACE_NAME,
            "workspace_sid": ws,
        }
        sid = self._sid("EV")
        event_type = f"reservation.{step}"
        payload = self._event_payload(
            sid=sid,
            ms=ms,
            event_type=event_type,
            description=description,
            actor=actor,
            resource=("reservation", reservation.sid, resource_path),
            event_data=event_data,
        )
        return StoredEvent(
            ms=ms,
            seq=seq,
            payload=payload,
            event_type=event_type,
            reservation_sid=normalize_sid(reservation.sid),
            task_sid=reservation.task_sid,
            task_queue_sid=reservation.queue.sid,
            worker_sid=agent.worker_sid,
            workflow_sid=self.workflow_sid,
            task_channel=reservation.channel,
            task_channel_sid=channel_sid,
            sid=sid,
        )

    def _event_payload(
        self,
        *,
        sid: str,
        ms: int,
        event_type: str,
        description: str,
        actor: tuple[str, str, str],
        resource: tuple[str, str, str],
        event_data: dict[str, Any],
    ) -> dict[str, Any]:
        values = {
            "account_sid": self.account_sid,
            "actor_sid": actor[1],
            "actor_type": actor[0],
            "actor_url": actor[2],
            "description": description,
            "event_data": event_data,
            "event_date": iso_z(ms),
            "event_date_ms": ms,
            "event_type": event_type,
            "resource_sid": resource[1],
            "resource_type": resource[0],
            "resource_url": resource[2],
            "sid": sid,
            "source": "twilio",
            "source_ip_address": "127.0.0.1",
            "url": f"/v1/Workspaces/{self.workspace_sid}/Events/{sid}",
            "workspace_sid": self.workspace_sid,
        }
        return {name: values[name] for name in EVENT_FIELDS}

    # ---- reads ------------------------------------------------------------------------------

    def reservation(self, reservation_id: str) -> Reservation | None:
        """Return the reservation with this SID, or None."""
        return self._by_reservation.get(normalize_sid(reservation_id))

    def segments_for(self, reservation_id: str) -> list[dict[str, Any]]:
        """Return the stored segments of one reservation (empty when unknown)."""
        reservation = self.reservation(reservation_id)
        return reservation.segments if reservation else []

    def segment(self, segment_id: str) -> dict[str, Any] | None:
        """Return the stored segment with this id, or None."""
        return self._segments_by_id.get(segment_id)

    def reservation_of_segment(self, segment_id: str) -> str | None:
        """Return the SID of the reservation a segment belongs to, or None."""
        return self._segment_owner.get(segment_id)

    def iter_events_newest_first(
        self,
        start_ms: int,
        end_ms: int,
        reservation_sid: str | None = None,
        predicate: Callable[[StoredEvent], bool] | None = None,
        skip: int = 0,
    ) -> Iterator[StoredEvent]:
        """Yield the events with start_ms <= ms <= end_ms, newest first, that pass the predicate.

        The first `skip` matching events are left out; without filters that costs nothing.
        """
        if reservation_sid is not None:
            pool = self._events_by_reservation.get(normalize_sid(reservation_sid), [])
            candidates: Iterator[StoredEvent] = (event for event in reversed(pool) if start_ms <= event.ms <= end_ms)
        else:
            low = bisect_left(self._event_ms, start_ms)
            high = bisect_right(self._event_ms, end_ms)
            if predicate is None:
                high, skip = max(low, high - skip), 0
            candidates = (self.events[position] for position in range(high - 1, low - 1, -1))
        for event in candidates:
            if predicate is None or predicate(event):
                if skip:
                    skip -= 1
                    continue
                yield event


def documented_segment() -> dict[str, Any]:
    """Return the segment documented on the Flex Insights Segments API page (url as a path)."""
    values: dict[str, Any] = {
        "segment_id": DOCUMENTED_SEGMENT_ID,
        "external_id": "EV4ab3c50aeeb9dc48c96f7290cf626a37",
        "queue": "Everyone",
        "external_contact": "+13051515226",
        "external_segment_link_id": None,
        "date": "2022-02-08T08:00:00Z",
        "account_id": "76e4c1c3-6f93-5d08-ae66-aad4b9092f2d",
        "external_segment_link": None,
        "agent_id": "0e4a8059-18a3-5e48-9efb-29ae3213e7fe",
        "agent_phone": "+13051515226",
        "agent_name": "Flex Insights",
        "agent_team_name": "Everyone",
        "agent_team_name_in_hierarchy": "Everyone",
        "agent_link": None,
        "customer_phone": "+420606078007",
        "customer_name": "+420606078007",
        "customer_link": None,
        "segment_recording_offset": None,
        "media": None,
        "assessment_type": [None],
        "assessment_percentage": [None],
        "url": f"/v1/Insights/Segments/{DOCUMENTED_SEGMENT_ID}",
    }
    return {name: values[name] for name in SEGMENT_FIELDS}
