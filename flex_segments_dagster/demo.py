"""The main job offline: the emulator, the real sensor and asset, a Dagster instance, and a summary."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance, Definitions, build_sensor_context

from .dagster_adapters import ReservationLedgerResource, build_flex_segments_definitions
from .dagster_adapters.assets import DEFAULT_ASSET_NAME
from .dagster_adapters.partitions import DEFAULT_PARTITIONS_NAME
from .dagster_adapters.sensors import DEFAULT_SENSOR_NAME
from .emulator import TwilioEmulator
from .errors import FlexInsightsConfigError

MARKER = ".flex_segments_demo"
INSTANCE_YAML = "telemetry:\n  enabled: false\n"
POSTGRES_INSTANCE_YAML = """\
storage:
  postgres:
    postgres_db:
      username: {env: DAGSTER_PG_USERNAME}
      password: {env: DAGSTER_PG_PASSWORD}
      hostname: {env: DAGSTER_PG_HOST}
      db_name: {env: DAGSTER_PG_DB}
      port: {env: DAGSTER_PG_PORT}
"""
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Short enough that the demo's last, partial batch closes on the second tick.
DEMO_BATCH_AGE_MINUTES = 1 / 60


@dataclass
class DemoSummary:
    """What the demo did, and whether it matches what the emulator served."""

    home: Path
    instance_storage: str
    batches: list[str] = field(default_factory=list)
    reservations: int = 0
    segments: int = 0
    expected_reservations: int = 0
    expected_segments: int = 0
    frame_paths: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every reservation and segment the emulator served was materialized once."""
        return (
            self.reservations == self.expected_reservations
            and self.segments == self.expected_segments
            and bool(self.batches)
            and all(path.exists() for path in self.frame_paths)
        )

    def render(self) -> str:
        """A short human-readable report."""
        frames_dir = self.frame_paths[0].parent if self.frame_paths else self.home
        lines = [
            "flex_segments_dagster demo (against the bundled emulator)",
            f"  instance:      {self.instance_storage} in DAGSTER_HOME={self.home}",
            f"  batches:       {len(self.batches)} partitions materialized ({', '.join(self.batches)})",
            f"  reservations:  {self.reservations} (emulator completed {self.expected_reservations})",
            f"  segments:      {self.segments} rows (emulator holds {self.expected_segments})",
            f"  frames:        {len(self.frame_paths)} pickled DataFrames in {frames_dir}",
            f"  result:        {'OK' if self.ok else 'MISMATCH'}",
        ]
        return "\n".join(lines)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _prepare_home(home: Path) -> Path:
    home = home.resolve()
    if home.exists() and not home.is_dir():
        raise FlexInsightsConfigError(f"{home} is a file; pass --home with a new or empty folder")
    if home.exists() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise FlexInsightsConfigError(
                f"{home} exists and is not a demo home; pass --home with a new or empty folder"
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("made by flex-segments-dagster demo; wiped by the next demo run\n")
    postgres = POSTGRES_INSTANCE_YAML if os.environ.get("DAGSTER_PG_HOST") else ""
    (home / "dagster.yaml").write_text(INSTANCE_YAML + postgres)
    return home


def run_demo(home: Path, reservations: int = 40, seed: int = 7, batch_size: int = 10) -> DemoSummary:
    """Discover the emulator's reservations with the sensor, materialize every batch, and summarize."""
    for name, value in (("reservations", reservations), ("batch size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise FlexInsightsConfigError(f"the demo's {name} must be a whole number of 1 or more, got {value!r}")
    home = _prepare_home(home)
    with TwilioEmulator(port=0, reservations=reservations, seed=seed) as emulator:
        env = {
            "DAGSTER_HOME": str(home),
            "TWILIO_ACCOUNT_SID": emulator.account_sid,
            "TWILIO_AUTH_TOKEN": emulator.auth_token,
            "FLEX_API_BASE_URL": emulator.base_url,
            "TASKROUTER_BASE_URL": emulator.base_url,
            "TASKROUTER_WORKSPACE_SID": emulator.workspace_sid,
        }
        with _environment(env), DagsterInstance.get() as instance:
            ledger = ReservationLedgerResource(batch_size=batch_size, max_batch_age_minutes=DEMO_BATCH_AGE_MINUTES)
            defs = build_flex_segments_definitions(reservation_ledger=ledger)
            storage = "PostgreSQL" if os.environ.get("DAGSTER_PG_HOST") else "SQLite"
            summary = DemoSummary(home=home, instance_storage=storage)
            expected = emulator.completed_reservation_ids()
            summary.expected_reservations = len(expected)
            summary.expected_segments = sum(len(emulator.segments_for(rid)) for rid in expected)
            _materialize_all(instance, defs, ledger, summary)
    return summary


def _materialize_all(
    instance: DagsterInstance, defs: Definitions, ledger: ReservationLedgerResource, summary: DemoSummary
) -> None:
    sensor = defs.resolve_sensor_def(DEFAULT_SENSOR_NAME)
    job = defs.resolve_job_def(f"{DEFAULT_ASSET_NAME}_job")
    cursor = None
    for tick in range(3):
        if tick:
            time.sleep(DEMO_BATCH_AGE_MINUTES * 60 + 0.2)
        with build_sensor_context(
            instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources, cursor=cursor
        ) as context:
            result = sensor(context)
        cursor = result.cursor
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(DEFAULT_PARTITIONS_NAME, list(request.partition_keys))
        for run_request in result.run_requests:
            key = run_request.partition_key
            run = job.execute_in_process(
                instance=instance, partition_key=key, tags={"dagster/sensor_name": sensor.name}, run_config=QUIET
            )
            metadata = run.asset_materializations_for_node(DEFAULT_ASSET_NAME)[0].metadata
            summary.batches.append(key)
            summary.reservations += metadata["reservation_count"].value
            summary.segments += metadata["dagster/row_count"].value
            summary.frame_paths.append(Path(instance.storage_directory()) / DEFAULT_ASSET_NAME / key)
        store = ledger.get_ledger(scope=DEFAULT_PARTITIONS_NAME)
        try:
            if store.open_batch() is None:
                break
        finally:
            store.dispose()
