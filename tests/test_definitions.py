"""The ready-made code location: loads through workspace.yaml, and takes secrets only from the environment."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import EnvVar

import flex_segments_dagster
from flex_segments_dagster.errors import FlexInsightsConfigError

REPO = Path(__file__).resolve().parents[1]
SECRET = "tok-never-shown-0123"


def load_definitions(monkeypatch, **env: str):
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import flex_segments_dagster.definitions as module

    return importlib.reload(module).defs


def test_the_code_location_loads_through_workspace_yaml(tmp_path):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
        "TWILIO_AUTH_TOKEN": SECRET,
        "TASKROUTER_WORKSPACE_SID": "WS00000000000000000000000000000001",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "flex_segments" in done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_definitions_hold_the_asset_job_sensor_and_resources(monkeypatch):
    defs = load_definitions(monkeypatch, TWILIO_ACCOUNT_SID="AC00000000000000000000000000000001")
    assert defs.resolve_assets_def("flex_insights_segments").partitions_def.name == "flex_segments_batches"
    assert defs.resolve_job_def("flex_insights_segments_job") is not None
    assert defs.resolve_sensor_def("flex_segments_reservations_sensor").minimum_interval_seconds == 30
    assert set(defs.resources) == {"flex_insights", "taskrouter", "reservation_ledger"}


def test_secrets_are_environment_variables_not_literals(monkeypatch):
    defs = load_definitions(monkeypatch, TWILIO_ACCOUNT_SID="AC00000000000000000000000000000001",
                            TWILIO_AUTH_TOKEN=SECRET)
    for key in ("flex_insights", "taskrouter"):
        resource = defs.resources[key]
        assert isinstance(resource.auth_token, EnvVar)
        assert resource.auth_token.env_var_name == "TWILIO_AUTH_TOKEN"
        assert SECRET not in repr(resource)


def test_an_api_key_in_the_environment_is_used_instead_of_the_token(monkeypatch):
    defs = load_definitions(monkeypatch, TWILIO_API_KEY_SID="SK00000000000000000000000000000001",
                            TWILIO_API_KEY_SECRET=SECRET)
    resource = defs.resources["flex_insights"]
    assert resource.api_key_secret.env_var_name == "TWILIO_API_KEY_SECRET"
    assert resource.auth_token is None


def test_batching_knobs_come_from_the_environment_and_are_checked(monkeypatch):
    defs = load_definitions(monkeypatch, FLEX_SEGMENTS_BATCH_SIZE="25", FLEX_SEGMENTS_MAX_BATCH_AGE_MINUTES="2.5",
                            FLEX_SEGMENTS_SENSOR_INTERVAL_SECONDS="5")
    ledger = defs.resources["reservation_ledger"]
    assert (ledger.batch_size, ledger.max_batch_age_minutes) == (25, 2.5)
    assert defs.resolve_sensor_def("flex_segments_reservations_sensor").minimum_interval_seconds == 5
    with pytest.raises(FlexInsightsConfigError, match="FLEX_SEGMENTS_BATCH_SIZE='many' is not a whole number"):
        load_definitions(monkeypatch, FLEX_SEGMENTS_BATCH_SIZE="many")
    with pytest.raises(FlexInsightsConfigError, match="FLEX_SEGMENTS_BATCH_SIZE='0.5' is not a whole number"):
        load_definitions(monkeypatch, FLEX_SEGMENTS_BATCH_SIZE="0.5")
    monkeypatch.delenv("FLEX_SEGMENTS_BATCH_SIZE")
    with pytest.raises(FlexInsightsConfigError, match="must be greater than zero"):
        load_definitions(monkeypatch, FLEX_SEGMENTS_MAX_BATCH_AGE_MINUTES="nan")


def test_the_public_names_are_exported_explicitly():
    for name in ("FlexInsightsClient", "FlexInsightsResource", "segments_to_frame", "SEGMENT_COLUMNS",
                 "FlexInsightsError", "FlexInsightsAPIError", "FlexInsightsAuthError", "FlexInsightsRateLimitError",
                 "InvalidReservationIdError", "build_flex_segments_definitions"):
        assert name in flex_segments_dagster.__all__
        assert getattr(flex_segments_dagster, name) is not None
    assert issubclass(flex_segments_dagster.InvalidReservationIdError, ValueError)
