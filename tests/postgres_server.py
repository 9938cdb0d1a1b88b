"""A throwaway PostgreSQL server for the tests, started from the machine's own PostgreSQL binaries.

Used by tests/conftest.py. Set FLEX_SEGMENTS_TEST_POSTGRES_URL to use an existing server instead; its user
needs the CREATEDB privilege, because tests create a fresh database each.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import URL, make_url

ENV_URL = "FLEX_SEGMENTS_TEST_POSTGRES_URL"
SERVER_OS_USER = "postgres"

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin or on PATH. "
    "The ledger's PostgreSQL tests need a real server. Install one, e.g. "
    "`apt-get install postgresql` (Debian/Ubuntu), `dnf install postgresql-server` (Fedora), "
    "`brew install postgresql` (macOS), or point the tests at an existing server with "
    f"{ENV_URL}=postgresql+psycopg2://user:password@host:5432/dbname (the user needs CREATEDB)."
)


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server could be provided to the tests."""


@dataclass
class PostgresServer:
    """Connection parts of a PostgreSQL server for tests, and a way to create fresh databases on it."""

    host: str
    port: int
    user: str
    password: str
    db: str
    _created: list[str] = field(default_factory=list, repr=False)
    _owned_dir: Path | None = field(default=None, repr=False)
    _bin_dir: Path | None = field(default=None, repr=False)
    _as_os_user: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"PostgresServer(host={self.host!r}, port={self.port}, user={self.user!r}, db={self.db!r})"

    def url(self, database: str | None = None) -> str:
        """A SQLAlchemy URL (with the password) for a database on this server; the main one by default."""
        return URL.create(
            "postgresql+psycopg2",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=database or self.db,
        ).render_as_string(hide_password=False)

    def dagster_env(self, database: str | None = None) -> dict[str, str]:
        """The DAGSTER_PG_* environment variables pointing a Dagster instance at a database on this server."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": database or self.db,
        }

    def create_database(self, prefix: str = "flex_test") -> str:
        """Create a new empty database with a unique name and return its name."""
        name = f"{_safe_identifier(prefix)}_{secrets.token_hex(6)}"
        with contextlib.closing(self._connect()) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self._created.append(name)
        return name

    def create_database_url(self, prefix: str = "flex_test") -> str:
        """Create a new empty database and return its SQLAlchemy URL."""
        return self.url(self.create_database(prefix))

    def drop_database(self, name: str) -> None:
        """Drop a database created by create_database(), closing any connection still open to it."""
        with contextlib.closing(self._connect()) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        with contextlib.suppress(ValueError):
            self._created.remove(name)

    def stop(self) -> None:
        """Drop the created databases (external server) or stop the server and delete its files (own server)."""
        if self._owned_dir is None:
            for name in list(self._created):
                with contextlib.suppress(psycopg2.Error):
                    self.drop_database(name)
            return
        directory, self._owned_dir = self._owned_dir, None
        try:
            if (directory / "data" / "postmaster.pid").exists():
                _run(
                    [str(self._bin_tool("pg_ctl")), "stop", "-D", str(directory / "data"), "-m", "fast", "-w"],
                    self._as_os_user,
                    cwd=directory,
                    check=False,
                )
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def _connect(self) -> psycopg2.extensions.connection:
        return self._connect_to(self.db)

    def _connect_to(self, database: str) -> psycopg2.extensions.connection:
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database,
            connect_timeout=10,
        )

    def _bin_tool(self, name: str) -> Path:
        assert self._bin_dir is not None
        return self._bin_dir / name


def provide_server() -> PostgresServer:
    """The server named by FLEX_SEGMENTS_TEST_POSTGRES_URL, or a freshly started throwaway one."""
    external = os.environ.get(ENV_URL)
    if external:
        return _external_server(external)
    return start_throwaway_server()


def _external_server(raw_url: str) -> PostgresServer:
    url = make_url(raw_url)
    if url.get_backend_name() != "postgresql":
        raise PostgresUnavailableError(f"{ENV_URL} must be a postgresql:// URL")
    return PostgresServer(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password if isinstance(url.password, str) else "",
        db=url.database or "postgres",
    )


def find_bin_dir() -> Path:
    """The bin directory of the newest PostgreSQL installed, holding initdb and pg_ctl."""
    candidates: list[tuple[tuple[int, ...], Path]] = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        bin_dir = Path(path)
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            version = tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name))
            candidates.append((version, bin_dir))
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    if initdb:
        bin_dir = Path(initdb).resolve().parent
        if (bin_dir / "pg_ctl").exists():
            return bin_dir
    raise PostgresUnavailableError(INSTALL_HINT)


def start_throwaway_server(attempts: int = 3) -> PostgresServer:
    """initdb a temporary cluster, start it on 127.0.0.1 with password auth, and create a database."""
    bin_dir = find_bin_dir()
    as_os_user = _ensure_server_os_user() if os.geteuid() == 0 else None
    last_error: Exception | None = None
    for _ in range(attempts):
        try:
            return _start_once(bin_dir, as_os_user)
        except PostgresUnavailableError as exc:
            # Most likely another process took the free port between choosing it and binding it.
            last_error = exc
    assert last_error is not None
    raise last_error


def _start_once(bin_dir: Path, as_os_user: str | None) -> PostgresServer:
    # Directly under /tmp (world-traversable) so the postgres OS user can reach it when we run as root.
    directory = Path(tempfile.mkdtemp(prefix="flex-segments-pg-", dir="/tmp"))
    server = PostgresServer(
        host="127.0.0.1",
        port=_free_port(),
        user="flex_test",
        # Random, so a test can search any text for it; URL-safe, so every consumer can embed it as is.
        password=f"flex-pw-{secrets.token_hex(10)}",
        db="flex_segments_test",
        _owned_dir=directory,
        _bin_dir=bin_dir,
        _as_os_user=as_os_user,
    )
    atexit.register(server.stop)
    try:
        data_dir = directory / "data"
        socket_dir = directory / "socket"
        socket_dir.mkdir()
        pwfile = directory / "pwfile"
        pwfile.write_text(server.password + "\n")
        if as_os_user is not None:
            entry = pwd.getpwnam(as_os_user)
            for path in (directory, socket_dir, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                server.user,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            as_os_user,
            cwd=directory,
        )
        pwfile.unlink()
        with open(data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# flex_segments_dagster test server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {server.port}\n"
                f"unix_socket_directories = '{socket_dir}'\n"
                "max_connections = 300\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
                "password_encryption = 'scram-sha-256'\n"
            )
        result = _run(
            [
                str(bin_dir / "pg_ctl"),
                "start",
                "-D",
                str(data_dir),
                "-l",
                str(directory / "server.log"),
                "-w",
                "-t",
                "60",
            ],
            as_os_user,
            cwd=directory,
            check=False,
        )
        if result.returncode != 0:
            log = (directory / "server.log").read_text(errors="replace")[-4000:]
            raise PostgresUnavailableError(
                f"pg_ctl start failed ({result.returncode}): {result.stdout}{result.stderr}\n{log}"
            )
        _wait_until_accepting(server)
        with contextlib.closing(server._connect_to("postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.db)))
        return server
    except BaseException:
        server.stop()
        raise


def _wait_until_accepting(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            server._connect_to("postgres").close()
            return
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresUnavailableError(f"the test PostgreSQL server did not accept: {exc}") from exc
            time.sleep(0.2)


def _ensure_server_os_user() -> str:
    """The unprivileged OS user that runs the server when the tests run as root (PostgreSQL refuses root)."""
    try:
        pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_OS_USER],
            check=True,
            capture_output=True,
            text=True,
        )
    return SERVER_OS_USER


def _run(
    command: list[str], as_os_user: str | None, *, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if as_os_user is not None:
        command = ["runuser", "-u", as_os_user, "--", *command]
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    env.pop("PGDATA", None)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise PostgresUnavailableError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _safe_identifier(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]", "_", text.lower())[:40]
    return cleaned or "flex_test"
