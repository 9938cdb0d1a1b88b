"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# --- PostgreSQL ------------------------------------------------------------------------------------------
# A real PostgreSQL server for the whole session (see tests/postgres_server.py): the one named by
# FLEX_SEGMENTS_TEST_POSTGRES_URL, or a throwaway one started from the machine's binaries. Never skipped: a
# missing server fails the tests with instructions.
from postgres_server import PostgresServer, PostgresUnavailableError, provide_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server: host, port, user, password, db, url(), create_database_url()."""
    try:
        server = provide_server()
    except PostgresUnavailableError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL (postgresql+psycopg2, with the password) of the session's shared test database."""
    return postgres_server.url()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database for one test, dropped afterwards."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        try:
            postgres_server.drop_database(name)
        except Exception as exc:  # a leftover database on a throwaway server is harmless
            print(f"could not drop test database {name}: {exc}")


# --- end PostgreSQL --------------------------------------------------------------------------------------

# --- Emulator --------------------------------------------------------------------------------------------
from emulator_fixtures import emulator, emulator_now, live_emulator  # noqa: E402, F401
