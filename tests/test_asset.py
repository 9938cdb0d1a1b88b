"""The segments asset: a partition materialized into a PostgreSQL-backed instance, and replayed."""

from __future__ import annotations

import pandas as pd
import pytest
from dagster import DagsterInstance, instance_for_test
from test_sensor import make_defs, tick

from flex_segments_dagster import SEGMENT_COLUMNS, UnknownBatchError
from flex_segments_dagster.ledger import ReservationLedger

JOB = "flex_insights_segments_job"


def materialize(defs, instance: DagsterInstance, key: str):
    return defs.resolve_job_def(JOB).execute_in_process(instance=instance, partition_key=key, raise_on_error=False)


def test_a_partition_is_materialized_into_a_postgres_instance_and_replays_exactly(
    live_emulator, fresh_postgres_url, tmp_path
):
    ledger_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    defs = make_defs(live_emulator, ledger_url, batch_size=5)
    storage = {"storage": {"postgres": {"postgres_url": fresh_postgres_url}}}
    with instance_for_test(overrides=storage) as instance:
        assert "Postgres" in type(instance.run_storage).__name__
        result = tick(defs, instance)
        key = result.run_requests[0].partition_key
        instance.add_dynamic_partitions("flex_segments_batches", [key])
        first = materialize(defs, instance, key)
        second = materialize(defs, instance, key)
        assert first.success and second.success
        frame_one = first.output_for_node("flex_insights_segments")
        frame_two = second.output_for_node("flex_insights_segments")
        metadata = first.asset_materializations_for_node("flex_insights_segments")[0].metadata
    ids = ReservationLedger(ledger_url, scope="flex_segments_batches").reservation_ids(key)
    expected = [(rid, s["segment_id"]) for rid in ids for s in live_emulator.segments_for(rid)]
    assert list(zip(frame_one["reservation_id"], frame_one["segment_id"], strict=True)) == expected
    pd.testing.assert_frame_equal(frame_one, frame_two)
    assert tuple(frame_one.columns[: len(SEGMENT_COLUMNS)]) == SEGMENT_COLUMNS
    assert metadata["dagster/row_count"].value == len(expected)
    assert metadata["reservation_count"].value == 5
    assert metadata["batch"].value == key


def test_a_partition_the_ledger_does_not_know_fails_with_a_clear_error(live_emulator, tmp_path):
    defs = make_defs(live_emulator, f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("flex_segments_batches", ["20990101-000001"])
        with pytest.raises(UnknownBatchError, match="20990101-000001"):
            defs.resolve_job_def(JOB).execute_in_process(instance=instance, partition_key="20990101-000001")
