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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "batch size must be a whole number of 1 or more, got 0"),
        (["--reservations", "-1"], "reservations must be a whole number of 1 or more, got -1"),
    ],
)
def test_bad_demo_arguments_are_refused_before_anything_is_wiped(tmp_path, capsys, args, message):
    home = tmp_path / "demo"
    home.mkdir()
    (home / ".flex_segments_demo").write_text("marker")
    (home / "earlier-result").write_text("still here")
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--home", str(home), *args])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err
    assert (home / "earlier-result").read_text() == "still here"


def test_a_demo_home_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(SystemExit):
        main(["demo", "--home", str(target)])
    assert "is a file" in capsys.readouterr().err
