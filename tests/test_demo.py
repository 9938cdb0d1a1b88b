"""The main job: the demo materializes every reservation the emulator served, once."""

from __future__ import annotations

import pickle

import pytest

from flex_segments_dagster.cli import main
from flex_segments_dagster.demo import run_demo
from flex_segments_dagster.errors import FlexInsightsConfigError


def test_the_demo_materializes_every_completed_reservation_once(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    summary = run_demo(tmp_path / "home", reservations=20, seed=3, batch_size=5)
    assert summary.ok, summary.render()
    assert summary.reservations == summary.expected_reservations > 0
    assert summary.segments == summary.expected_segments > 0
    assert len(summary.batches) == -(-summary.expected_reservations // 5)
    for path in summary.frame_paths:
        with path.open("rb") as handle:
            assert len(pickle.load(handle).columns) >= 23


def test_the_demo_command_prints_a_summary_and_can_run_twice(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    home = tmp_path / "demo"
    assert main(["demo", "--home", str(home), "--reservations", "12", "--batch-size", "4"]) == 0
    assert main(["demo", "--home", str(home), "--reservations", "12", "--batch-size", "4"]) == 0
    out = capsys.readouterr().out
    assert out.count("result:        OK") == 2
    assert "storage/flex_insights_segments" in out


def test_the_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FlexInsightsConfigError, match="not a demo home"):
        run_demo(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"
