"""Tests for the reservation ledger, each run against a SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import multiprocessing
import random
import re
import socket
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from postgres_server import PostgresServer

from flex_segments_dagster.errors import FlexInsightsConfigError, LedgerError, UnknownBatchError
from flex_segments_dagster.ledger import Batch, RecordResult, ReservationLedger

T0 = datetime(2026, 12, 3, 9, 0, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


def rid(n: int) -> str:
    """A well-formed TaskRouter reservation id numbered n."""
    return f"WR{n:032x}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty ledger database: a SQLite file in a not-yet-existing directory, or a new PG database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'not-yet' / 'ledger.db'}"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def make_ledger(ledger_url: str) -> Iterator[Callable[..., ReservationLedger]]:
    """A factory of ledgers on ledger_url, disposed after the test."""
    made: list[ReservationLedger] = []

    def make(scope: str = "default") -> ReservationLedger:
        ledger = ReservationLedger(ledger_url, scope=scope)
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        ledger.dispose()


@pytest.fixture
def ledger(make_ledger: Callable[..., ReservationLedger]) -> ReservationLedger:
    """A ledger with the default scope on an empty database."""
    return make_ledger()


def closed(key: str, size: int, opened_at: datetime, closed_at: datetime, reason: str, seq: int) -> Batch:
    """The expected value of a closed batch in the default scope."""
    return Batch(
        key=key,
        scope="default",
        size=size,
        opened_at=opened_at,
        closed_at=closed_at,
        close_reason=reason,
        closed_seq=seq,
    )


def opened(key: str, size: int, opened_at: datetime) -> Batch:
    """The expected value of an open batch in the default scope."""
    return Batch(
        key=key, scope="default", size=size, opened_at=opened_at, closed_at=None, close_reason=None, closed_seq=None
    )


# --- batching -------------------------------------------------------------------------------------------


def test_reservations_fill_batches_of_batch_size_in_the_order_given(ledger: ReservationLedger) -> None:
    ids = [rid(n) for n in range(1, 8)]

    result = ledger.record(ids, batch_size=3, max_batch_age=HOUR, now=T0)

    assert result == RecordResult(
        added=ids,
        already_recorded=0,
        closed=[
            closed("20261203-000001", 3, T0, T0, "full", 1),
            closed("20261203-000002", 3, T0, T0, "full", 2),
        ],
    )
    assert ledger.open_batch() == opened("20261203-000003", 1, T0)
    assert ledger.reservation_ids("20261203-000001") == [rid(1), rid(2), rid(3)]
    assert ledger.reservation_ids("20261203-000002") == [rid(4), rid(5), rid(6)]


def test_a_batch_closes_as_full_the_moment_it_reaches_batch_size_over_several_calls(
    ledger: ReservationLedger,
) -> None:
    first = ledger.record([rid(1), rid(2)], batch_size=3, max_batch_age=HOUR, now=T0)
    second = ledger.record([rid(3)], batch_size=3, max_batch_age=HOUR, now=T0 + timedelta(minutes=1))

    assert first == RecordResult(added=[rid(1), rid(2)], already_recorded=0, closed=[])
    assert second == RecordResult(
        added=[rid(3)],
        already_recorded=0,
        closed=[closed("20261203-000001", 3, T0, T0 + timedelta(minutes=1), "full", 1)],
    )
    assert ledger.open_batch() is None


def test_a_batch_closes_by_age_exactly_when_max_batch_age_has_passed(ledger: ReservationLedger) -> None:
    age = timedelta(minutes=5)
    ledger.record([rid(1)], batch_size=10, max_batch_age=age, now=T0)

    too_early = ledger.record([], batch_size=10, max_batch_age=age, now=T0 + timedelta(minutes=4, seconds=59))
    on_time = ledger.record([], batch_size=10, max_batch_age=age, now=T0 + age)

    assert too_early == RecordResult(added=[], already_recorded=0, closed=[])
    assert on_time == RecordResult(
        added=[], already_recorded=0, closed=[closed("20261203-000001", 1, T0, T0 + age, "age", 1)]
    )
    assert ledger.open_batch() is None
    assert ledger.reservation_ids("20261203-000001") == [rid(1)]


def test_an_aged_batch_closes_before_new_ids_are_appended(ledger: ReservationLedger) -> None:
    later = T0 + timedelta(minutes=10)
    ledger.record([rid(1), rid(2)], batch_size=10, max_batch_age=timedelta(minutes=5), now=T0)

    result = ledger.record([rid(3)], batch_size=10, max_batch_age=timedelta(minutes=5), now=later)

    assert result == RecordResult(
        added=[rid(3)], already_recorded=0, closed=[closed("20261203-000001", 2, T0, later, "age", 1)]
    )
    assert ledger.open_batch() == opened("20261203-000002", 1, later)
    assert ledger.reservation_ids("20261203-000001") == [rid(1), rid(2)]


def test_an_empty_tick_neither_opens_nor_closes_a_batch(ledger: ReservationLedger) -> None:
    result = ledger.record([], batch_size=1, max_batch_age=timedelta(0), now=T0)

    assert result == RecordResult(added=[], already_recorded=0, closed=[])
    assert ledger.open_batch() is None
    assert ledger.closed_batches_after(0) == []


def test_a_full_and_an_aged_close_in_one_call_get_consecutive_closed_seqs(ledger: ReservationLedger) -> None:
    later = T0 + HOUR
    ledger.record([rid(1)], batch_size=2, max_batch_age=timedelta(minutes=30), now=T0)

    result = ledger.record([rid(2), rid(3), rid(4)], batch_size=2, max_batch_age=timedelta(minutes=30), now=later)

    assert result.closed == [
        closed("20261203-000001", 1, T0, later, "age", 1),
        closed("20261203-000002", 2, later, later, "full", 2),
    ]
    assert ledger.open_batch() == opened("20261203-000003", 1, later)


def test_lowering_batch_size_closes_an_open_batch_already_that_big_as_full(ledger: ReservationLedger) -> None:
    ledger.record([rid(1), rid(2), rid(3)], batch_size=10, max_batch_age=HOUR, now=T0)

    result = ledger.record([rid(4)], batch_size=2, max_batch_age=HOUR, now=T0 + timedelta(minutes=1))

    assert result.closed == [closed("20261203-000001", 3, T0, T0 + timedelta(minutes=1), "full", 1)]
    assert ledger.open_batch() == opened("20261203-000002", 1, T0 + timedelta(minutes=1))


# --- re-recording and failures --------------------------------------------------------------------------


def test_a_reservation_recorded_twice_lands_in_one_batch(ledger: ReservationLedger) -> None:
    ledger.record([rid(1), rid(2)], batch_size=2, max_batch_age=HOUR, now=T0)

    again = ledger.record([rid(2), rid(3), rid(1), rid(4)], batch_size=2, max_batch_age=HOUR, now=T0)

    assert again == RecordResult(
        added=[rid(3), rid(4)], already_recorded=2, closed=[closed("20261203-000002", 2, T0, T0, "full", 2)]
    )
    assert ledger.reservation_ids("20261203-000001") == [rid(1), rid(2)]
    assert ledger.reservation_ids("20261203-000002") == [rid(3), rid(4)]


def test_an_id_repeated_within_one_call_is_recorded_once(ledger: ReservationLedger) -> None:
    result = ledger.record([rid(1), rid(2), rid(1), rid(1), rid(3)], batch_size=3, max_batch_age=HOUR, now=T0)

    assert result == RecordResult(
        added=[rid(1), rid(2), rid(3)], already_recorded=0, closed=[closed("20261203-000001", 3, T0, T0, "full", 1)]
    )
    assert ledger.reservation_ids("20261203-000001") == [rid(1), rid(2), rid(3)]


def test_a_call_that_fails_midway_commits_nothing(ledger: ReservationLedger) -> None:
    ledger.record([rid(1), rid(2), rid(3)], batch_size=2, max_batch_age=HOUR, now=T0)
    before = (ledger.closed_batches_after(0), ledger.open_batch())

    # Fail on the last statement of the transaction, after batches and reservations were written.
    def fail_on_counter_update(
        conn: object, cursor: object, statement: str, params: object, context: object, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("UPDATE FLEX_SEGMENTS_SCOPES"):
            raise RuntimeError("simulated crash at the end of the transaction")

    engine = ledger._engine
    sa.event.listen(engine, "before_cursor_execute", fail_on_counter_update)
    try:
        with pytest.raises(RuntimeError, match="simulated crash"):
            ledger.record([rid(4), rid(5), rid(6)], batch_size=2, max_batch_age=HOUR, now=T0 + timedelta(minutes=1))
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_on_counter_update)

    assert (ledger.closed_batches_after(0), ledger.open_batch()) == before
    retried = ledger.record([rid(4), rid(5), rid(6)], batch_size=2, max_batch_age=HOUR, now=T0 + timedelta(minutes=1))
    assert retried == RecordResult(
        added=[rid(4), rid(5), rid(6)],
        already_recorded=0,
        closed=[
            closed("20261203-000002", 2, T0, T0 + timedelta(minutes=1), "full", 2),
            closed("20261203-000003", 2, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1), "full", 3),
        ],
    )
    assert ledger.open_batch() is None


def test_an_iterator_that_fails_records_nothing(ledger: ReservationLedger) -> None:
    def ids() -> Iterator[str]:
        yield rid(1)
        raise ValueError("the source broke")

    with pytest.raises(ValueError, match="the source broke"):
        ledger.record(ids(), batch_size=5, max_batch_age=HOUR, now=T0)

    assert ledger.open_batch() is None


def test_batches_survive_a_new_ledger_on_the_same_database(make_ledger: Callable[..., ReservationLedger]) -> None:
    make_ledger().record([rid(1), rid(2)], batch_size=2, max_batch_age=HOUR, now=T0)

    reopened = make_ledger()

    assert reopened.closed_batches_after(0) == [closed("20261203-000001", 2, T0, T0, "full", 1)]
    assert reopened.record([rid(2)], batch_size=2, max_batch_age=HOUR, now=T0).already_recorded == 1


def test_scopes_are_independent(make_ledger: Callable[..., ReservationLedger]) -> None:
    a, b = make_ledger("a"), make_ledger("b")

    result_a = a.record([rid(1), rid(2)], batch_size=2, max_batch_age=HOUR, now=T0)
    result_b = b.record([rid(2), rid(3)], batch_size=5, max_batch_age=HOUR, now=T0)

    assert result_a.added == [rid(1), rid(2)]
    assert [batch.key for batch in result_a.closed] == ["20261203-000001"]
    assert result_b == RecordResult(added=[rid(2), rid(3)], already_recorded=0, closed=[])
    assert b.open_batch() == Batch("20261203-000001", "b", 2, T0, None, None, None)
    assert b.closed_batches_after(0) == []
    assert a.reservation_ids("20261203-000001") == [rid(1), rid(2)]


# --- reading --------------------------------------------------------------------------------------------


def test_closed_batches_after_lists_later_batches_by_closed_seq(ledger: ReservationLedger) -> None:
    ledger.record([rid(n) for n in range(1, 10)], batch_size=2, max_batch_age=HOUR, now=T0)

    assert [b.closed_seq for b in ledger.closed_batches_after(0)] == [1, 2, 3, 4]
    assert [b.key for b in ledger.closed_batches_after(2)] == ["20261203-000003", "20261203-000004"]
    assert [b.key for b in ledger.closed_batches_after(1, limit=2)] == ["20261203-000002", "20261203-000003"]
    assert ledger.closed_batches_after(4) == []
    assert ledger.closed_batches_after(0, limit=0) == []


def test_batch_returns_a_batch_by_its_key(ledger: ReservationLedger) -> None:
    ledger.record([rid(1), rid(2), rid(3)], batch_size=2, max_batch_age=HOUR, now=T0)

    assert ledger.batch("20261203-000001") == closed("20261203-000001", 2, T0, T0, "full", 1)
    assert ledger.batch("20261203-000002") == opened("20261203-000002", 1, T0)
    with pytest.raises(UnknownBatchError):
        ledger.batch("20261203-000003")


def test_reservation_ids_keep_the_order_they_were_added_across_calls(ledger: ReservationLedger) -> None:
    ids = [rid(n) for n in (9, 3, 7, 1, 8, 2)]
    ledger.record(ids[:2], batch_size=6, max_batch_age=HOUR, now=T0)
    ledger.record(ids[2:5], batch_size=6, max_batch_age=HOUR, now=T0)
    ledger.record(ids[5:], batch_size=6, max_batch_age=HOUR, now=T0)

    assert ledger.reservation_ids("20261203-000001") == [rid(9), rid(3), rid(7), rid(1), rid(8), rid(2)]


def test_reservation_ids_of_an_unknown_key_name_the_key_scope_and_ledger(
    make_ledger: Callable[..., ReservationLedger],
) -> None:
    ledger = make_ledger("emea")

    with pytest.raises(UnknownBatchError) as caught:
        ledger.reservation_ids("20261203-000042")

    message = str(caught.value)
    assert isinstance(caught.value, LookupError)
    assert "'20261203-000042'" in message
    assert "'emea'" in message
    assert ledger.url_for_display in message
    assert "FLEX_SEGMENTS_LEDGER_URL" in message


def test_reservation_ids_of_an_open_batch_are_refused(ledger: ReservationLedger) -> None:
    ledger.record([rid(1)], batch_size=2, max_batch_age=HOUR, now=T0)

    with pytest.raises(LedgerError, match="still open") as caught:
        ledger.reservation_ids("20261203-000001")
    assert not isinstance(caught.value, UnknownBatchError)


def test_timestamps_read_back_as_utc(ledger: ReservationLedger) -> None:
    plus_two = timezone(timedelta(hours=2))
    ledger.record([rid(1)], batch_size=1, max_batch_age=HOUR, now=datetime(2026, 12, 3, 11, 0, tzinfo=plus_two))

    batch = ledger.batch("20261203-000001")

    assert batch.opened_at == datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    assert batch.opened_at.tzinfo == timezone.utc
    assert batch.closed_at is not None and batch.closed_at.tzinfo == timezone.utc


# --- keys -----------------------------------------------------------------------------------------------


def test_keys_are_url_safe_and_carry_the_utc_date_the_batch_opened(ledger: ReservationLedger) -> None:
    # 01:30 on Dec 3 at UTC+05:00 is still Dec 2 in UTC.
    now = datetime(2026, 12, 3, 1, 30, tzinfo=timezone(timedelta(hours=5)))

    result = ledger.record([rid(n) for n in range(12)], batch_size=1, max_batch_age=HOUR, now=now)

    keys = [batch.key for batch in result.closed]
    assert keys[0] == "20261202-000001"
    assert keys[-1] == "20261202-000012"
    assert len(set(keys)) == 12
    for key in keys:
        assert KEY_PATTERN.match(key), key
        assert "..." not in key


# --- configuration --------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [0, -1])
def test_a_batch_size_below_one_is_a_config_error(ledger: ReservationLedger, batch_size: int) -> None:
    with pytest.raises(FlexInsightsConfigError, match="batch_size"):
        ledger.record([rid(1)], batch_size=batch_size, max_batch_age=HOUR, now=T0)
    assert ledger.open_batch() is None


def test_a_naive_now_is_a_config_error(ledger: ReservationLedger) -> None:
    with pytest.raises(FlexInsightsConfigError, match="tz-aware"):
        ledger.record([rid(1)], batch_size=1, max_batch_age=HOUR, now=datetime(2026, 12, 3, 9, 0))


def test_a_single_string_instead_of_a_list_of_ids_is_refused(ledger: ReservationLedger) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        ledger.record(rid(1), batch_size=1, max_batch_age=HOUR, now=T0)
    assert ledger.open_batch() is None


def test_now_defaults_to_the_current_utc_time(ledger: ReservationLedger) -> None:
    before = datetime.now(timezone.utc)
    ledger.record([rid(1)], batch_size=5, max_batch_age=HOUR)
    after = datetime.now(timezone.utc)

    batch = ledger.open_batch()
    assert batch is not None
    assert before <= batch.opened_at <= after


def test_a_sqlite_file_in_a_missing_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ledger.db"
    ledger = ReservationLedger(f"sqlite:///{path}")
    try:
        ledger.record([rid(1)], batch_size=1, max_batch_age=HOUR, now=T0)
    finally:
        ledger.dispose()
    assert path.is_file()


def test_an_invalid_url_is_a_config_error() -> None:
    with pytest.raises(FlexInsightsConfigError, match="not a valid SQLAlchemy URL"):
        ReservationLedger("not a url with s3cret")


# --- secrets --------------------------------------------------------------------------------------------


def test_repr_and_url_for_display_mask_the_password(postgres_server: PostgresServer, fresh_postgres_url: str) -> None:
    ledger = ReservationLedger(fresh_postgres_url, scope="emea")
    try:
        assert postgres_server.password not in repr(ledger)
        assert postgres_server.password not in ledger.url_for_display
        assert ledger.url_for_display == (
            f"postgresql+psycopg2://{postgres_server.user}:***@{postgres_server.host}:{postgres_server.port}/"
            + fresh_postgres_url.rsplit("/", 1)[1]
        )
        assert repr(ledger) == f"ReservationLedger(url={ledger.url_for_display!r}, scope='emea')"
    finally:
        ledger.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def test_an_unreachable_server_gives_a_ledger_error_without_the_password() -> None:
    password = "Sup3r-s3cret-pw"
    port = _free_port()

    with pytest.raises(LedgerError) as caught:
        ReservationLedger(f"postgresql+psycopg2://flex:{password}@127.0.0.1:{port}/ledger")

    message = str(caught.value)
    assert f"postgresql+psycopg2://flex:***@127.0.0.1:{port}/ledger" in message
    assert caught.value.__cause__ is not None
    assert password not in _full_text(caught.value)


def test_a_wrong_password_gives_a_ledger_error_without_either_password(postgres_server: PostgresServer) -> None:
    wrong = "Wr0ng-" + postgres_server.password[::-1]
    url = postgres_server.url().replace(postgres_server.password, wrong)

    with pytest.raises(LedgerError, match="password authentication failed") as caught:
        ReservationLedger(url)

    text = _full_text(caught.value)
    assert wrong not in text
    assert postgres_server.password not in text
    assert ":***@" in str(caught.value)


# --- concurrency ----------------------------------------------------------------------------------------

CONCURRENT_BATCH_SIZE = 7
CONCURRENT_AGE = timedelta(minutes=2)


def _hammer(url: str, scope: str, seed: int, calls: int, start: threading.Barrier | None) -> list[list[str]]:
    """Record random overlapping slices of ids 0..199 with wandering clocks; return what each call added."""
    rng = random.Random(seed)
    ledger = ReservationLedger(url, scope=scope)
    try:
        if start is not None:
            start.wait()
        added: list[list[str]] = []
        for _ in range(calls):
            first = rng.randrange(0, 200)
            ids = [rid(n % 200) for n in range(first, first + rng.randrange(0, 25))]
            now = T0 + timedelta(seconds=rng.randrange(0, 900))
            result = ledger.record(ids, batch_size=CONCURRENT_BATCH_SIZE, max_batch_age=CONCURRENT_AGE, now=now)
            added.append(result.added)
        # A final pass, so that every id in 0..199 has been given at least once.
        result = ledger.record(
            [rid(n) for n in range(200)], batch_size=CONCURRENT_BATCH_SIZE, max_batch_age=CONCURRENT_AGE, now=T0
        )
        added.append(result.added)
        return added
    finally:
        ledger.dispose()


def _process_worker(
    url: str, scope: str, seed: int, calls: int, start: threading.Barrier, results: multiprocessing.Queue
) -> None:
    """Entry point of a spawned process: run _hammer and report its result or its error."""
    try:
        results.put((seed, _hammer(url, scope, seed, calls, start)))
    except BaseException as exc:
        results.put((seed, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def assert_ledger_invariants(url: str, scope: str, added_per_call: list[list[str]]) -> None:
    """Check every invariant of the scope exactly, reading the tables directly."""
    everything = {rid(n) for n in range(200)}
    flat = [r for call in added_per_call for r in call]
    assert Counter(flat) == Counter(everything), "each id must be added by exactly one call"

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            batches = conn.execute(
                sa.text(
                    "SELECT number, key, size, closed_at, close_reason, closed_seq FROM flex_segments_batches"
                    " WHERE scope = :scope ORDER BY number"
                ),
                {"scope": scope},
            ).all()
            rows = conn.execute(
                sa.text(
                    "SELECT reservation_id, batch_number, position FROM flex_segments_reservations WHERE scope = :scope"
                ),
                {"scope": scope},
            ).all()
    finally:
        engine.dispose()

    recorded = [row.reservation_id for row in rows]
    assert len(recorded) == len(set(recorded)) == 200
    assert set(recorded) == everything

    numbers = [b.number for b in batches]
    assert numbers == list(range(1, len(batches) + 1))
    assert len({b.key for b in batches}) == len(batches)
    assert all(KEY_PATTERN.match(b.key) for b in batches)

    per_batch = Counter(row.batch_number for row in rows)
    for b in batches:
        assert per_batch[b.number] == b.size, b
        assert 1 <= b.size <= CONCURRENT_BATCH_SIZE, b
        if b.close_reason == "full":
            assert b.size == CONCURRENT_BATCH_SIZE, b
    positions: dict[int, list[int]] = {}
    for row in rows:
        positions.setdefault(row.batch_number, []).append(row.position)
    for number, found in positions.items():
        assert sorted(found) == list(range(per_batch[number]))

    closed_seqs = sorted(b.closed_seq for b in batches if b.closed_seq is not None)
    assert closed_seqs == list(range(1, len(closed_seqs) + 1))
    assert sum(1 for b in batches if b.closed_at is None) <= 1


def test_threads_recording_overlapping_ids_at_once_keep_every_invariant(ledger_url: str) -> None:
    threads_count = 6
    start = threading.Barrier(threads_count)
    results: dict[int, list[list[str]]] = {}
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            results[seed] = _hammer(ledger_url, "threads", seed, 25, start)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors
    assert len(results) == threads_count
    assert_ledger_invariants(ledger_url, "threads", [call for seed in results for call in results[seed]])


def test_threads_sharing_one_ledger_keep_every_invariant(ledger_url: str) -> None:
    ledger = ReservationLedger(ledger_url, scope="shared")
    added: list[list[str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(30):
                first = rng.randrange(0, 200)
                ids = [rid(n % 200) for n in range(first, first + rng.randrange(0, 25))]
                now = T0 + timedelta(seconds=rng.randrange(0, 900))
                result = ledger.record(ids, batch_size=CONCURRENT_BATCH_SIZE, max_batch_age=CONCURRENT_AGE, now=now)
                with lock:
                    added.append(result.added)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        final = ledger.record(
            [rid(n) for n in range(200)], batch_size=CONCURRENT_BATCH_SIZE, max_batch_age=CONCURRENT_AGE, now=T0
        )
        added.append(final.added)
    finally:
        ledger.dispose()

    assert not errors, errors
    assert_ledger_invariants(ledger_url, "shared", added)


def test_processes_recording_overlapping_ids_at_once_keep_every_invariant(ledger_url: str) -> None:
    processes_count = 4
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes_count)
    results = context.Queue()
    processes = [
        context.Process(target=_process_worker, args=(ledger_url, "processes", seed, 25, start, results))
        for seed in range(processes_count)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = dict(results.get(timeout=300) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()

    failures = {seed: outcome for seed, outcome in outcomes.items() if isinstance(outcome, str)}
    assert not failures, failures
    assert all(process.exitcode == 0 for process in processes)
    assert_ledger_invariants(ledger_url, "processes", [call for seed in outcomes for call in outcomes[seed]])


def test_ledgers_created_at_once_on_an_empty_database_all_work(ledger_url: str) -> None:
    count = 6
    start = threading.Barrier(count)
    ledgers: list[ReservationLedger] = []
    errors: list[BaseException] = []

    def create(index: int) -> None:
        start.wait()
        try:
            ledgers.append(ReservationLedger(ledger_url, scope=f"s{index}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not errors, errors
        for ledger in ledgers:
            assert ledger.record([rid(1)], batch_size=1, max_batch_age=HOUR, now=T0).added == [rid(1)]
    finally:
        for ledger in ledgers:
            ledger.dispose()


def test_a_password_given_as_a_query_parameter_never_shows() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"postgresql+psycopg2://flex@127.0.0.1:{closed_port}/ledger?connect_timeout=2&password=Pa55wordSecret"
    with pytest.raises(LedgerError) as caught:
        ReservationLedger(url)
    assert "Pa55wordSecret" not in str(caught.value)
    assert "password=***" in str(caught.value)


def test_an_invalid_reservation_id_never_enters_a_batch(ledger: ReservationLedger) -> None:
    from flex_segments_dagster import InvalidReservationIdError

    for bad in ("WRnope", "WR" + "0" * 31 + "\x00", "WR\ud800" + "0" * 31):
        with pytest.raises(InvalidReservationIdError):
            ledger.record([rid(1), bad], batch_size=1, max_batch_age=HOUR, now=T0)
    assert ledger.open_batch() is None
    assert ledger.closed_batches_after(0) == []


def test_a_malformed_url_does_not_carry_its_password_in_the_error_chain() -> None:
    with pytest.raises(FlexInsightsConfigError) as caught:
        ReservationLedger("postgresql+psycopg2://flex:Hunter2Secret@host:notaport/ledger")
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    assert [type(e).__name__ for e in chain] == ["FlexInsightsConfigError"]
    assert "Hunter2Secret" not in str(caught.value)
