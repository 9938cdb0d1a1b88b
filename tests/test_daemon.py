"""Production, end to end: the real dagster-daemon with its instance in PostgreSQL ticks the sensor against the
emulator, and the runs it launches succeed and leave their frames where README says."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from flex_segments_dagster import SEGMENT_COLUMNS
from flex_segments_dagster.emulator import TwilioEmulator
from flex_segments_dagster.ledger import ReservationLedger

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SENSOR = "flex_segments_reservations_sensor"
DEADLINE_SECONDS = 300


def _finished_runs(instance: DagsterInstance) -> list:
    return list(
        instance.get_runs(
            RunsFilter(statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED])
        )
    )


def test_the_daemon_discovers_batches_and_its_runs_leave_frames(postgres_server, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    instance_db = postgres_server.create_database("daemon_instance")
    ledger_url = postgres_server.url(postgres_server.create_database("daemon_ledger"))
    with TwilioEmulator(port=0, reservations=25, seed=11) as emu:
        env = {
            "DAGSTER_HOME": str(home),
            **postgres_server.dagster_env(instance_db),
            "TWILIO_ACCOUNT_SID": emu.account_sid,
            "TWILIO_AUTH_TOKEN": emu.auth_token,
            "FLEX_API_BASE_URL": emu.base_url,
            "TASKROUTER_BASE_URL": emu.base_url,
            "TASKROUTER_WORKSPACE_SID": emu.workspace_sid,
            "FLEX_SEGMENTS_LEDGER_URL": ledger_url,
            "FLEX_SEGMENTS_BATCH_SIZE": "10",
            "FLEX_SEGMENTS_MAX_BATCH_AGE_MINUTES": "0.1",
            "FLEX_SEGMENTS_SENSOR_INTERVAL_SECONDS": "3",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        completed = emu.completed_reservation_ids()
        segment_ids = {rid: [s["segment_id"] for s in emu.segments_for(rid)] for rid in emu.reservation_ids}
        expected_batches = -(-len(completed) // 10)

        started = subprocess.run(
            [str(BIN / "dagster"), "sensor", "start", SENSOR, "-w", "workspace.yaml"],
            cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=300,
        )
        assert started.returncode == 0, started.stdout + started.stderr
        log = (tmp_path / "daemon.log").open("w")
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=REPO, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            with DagsterInstance.get() as instance:
                assert type(instance.run_storage).__name__ == "PostgresRunStorage"
                deadline = time.monotonic() + DEADLINE_SECONDS
                while time.monotonic() < deadline:
                    if len(_finished_runs(instance)) >= expected_batches:
                        break
                    assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                    time.sleep(1)
                runs = _finished_runs(instance)
                keys = sorted(instance.get_dynamic_partitions("flex_segments_batches"))
        finally:
            # The daemon starts code servers of its own; end the whole process group, not just the daemon.
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
            time.sleep(1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGKILL)
            log.close()
        secret_free = (tmp_path / "daemon.log").read_text()
        assert emu.auth_token not in secret_free
        assert postgres_server.password not in secret_free

    daemon_log = secret_free[-3000:]
    assert len(runs) == expected_batches, daemon_log
    assert all(run.status == DagsterRunStatus.SUCCESS for run in runs), daemon_log
    assert sorted(run.tags["dagster/partition"] for run in runs) == keys

    ledger = ReservationLedger(ledger_url, scope="flex_segments_batches")
    fetched: list[str] = []
    rows = 0
    for key in keys:
        frame_path = home / "storage" / "flex_insights_segments" / key
        with frame_path.open("rb") as handle:
            frame = pickle.load(handle)
        assert isinstance(frame, pd.DataFrame)
        assert tuple(frame.columns[: len(SEGMENT_COLUMNS)]) == SEGMENT_COLUMNS
        ids = ledger.reservation_ids(key)
        expected = [(rid, sid) for rid in ids for sid in segment_ids[rid]]
        assert list(zip(frame["reservation_id"], frame["segment_id"], strict=True)) == expected
        fetched.extend(ids)
        rows += len(frame)
    ledger.dispose()
    assert sorted(fetched) == sorted(completed)
    assert rows == sum(len(segment_ids[rid]) for rid in completed)
