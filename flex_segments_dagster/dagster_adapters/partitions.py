"""The dynamic partitions: one per closed batch of reservations."""

from __future__ import annotations

from dagster import DynamicPartitionsDefinition

DEFAULT_PARTITIONS_NAME = "flex_segments_batches"


def batches_partitions_def(name: str = DEFAULT_PARTITIONS_NAME) -> DynamicPartitionsDefinition:
    """The dynamic partitions definition whose keys are the ledger's batch keys."""
    return DynamicPartitionsDefinition(name=name)
