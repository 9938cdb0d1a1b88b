"""Tests for turning segment dicts into a DataFrame (flex_segments_dagster.frame)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from flex_segments_dagster.errors import FlexInsightsResponseError
from flex_segments_dagster.frame import (
    DATE_COLUMN,
    OBJECT_COLUMNS,
    SEGMENT_COLUMNS,
    TEXT_COLUMNS,
    empty_segments_frame,
    segments_to_frame,
)

RESERVATION_ID = "WReeeff42d5326cfdaa0f7a1181d00f1b1"

# The example segment from the API page, plus the reservation_id the client adds.
EXAMPLE_SEGMENT: dict[str, Any] = {
    "url": "https://flex-api.twilio.com/v1/Insights/Segments/02dd8a65-c9e3-550b-9e98-5b11abb9b3a5",
    "date": "2022-02-08T08:00:00Z",
    "media": None,
    "queue": "Everyone",
    "agent_id": "0e4a8059-18a3-5e48-9efb-29ae3213e7fe",
    "account_id": "76e4c1c3-6f93-5d08-ae66-aad4b9092f2d",
    "agent_link": None,
    "agent_name": "Flex Insights",
    "segment_id": "02dd8a65-c9e3-550b-9e98-5b11abb9b3a5",
    "agent_phone": "+13051515226",
    "external_id": "EV4ab3c50aeeb9dc48c96f7290cf626a37",
    "customer_link": None,
    "customer_name": "+420606078007",
    "customer_phone": "+420606078007",
    "agent_team_name": "Everyone",
    "assessment_type": [None],
    "external_contact": "+13051515226",
    "assessment_percentage": [None],
    "external_segment_link": None,
    "external_segment_link_id": None,
    "segment_recording_offset": None,
    "agent_team_name_in_hierarchy": "Everyone",
    "reservation_id": RESERVATION_ID,
}

EXPECTED_ORDER = (
    "reservation_id",
    "segment_id",
    "external_id",
    "queue",
    "external_contact",
    "date",
    "account_id",
    "agent_id",
    "agent_phone",
    "agent_name",
    "agent_team_name",
    "agent_team_name_in_hierarchy",
    "agent_link",
    "customer_phone",
    "customer_name",
    "customer_link",
    "segment_recording_offset",
    "media",
    "assessment_type",
    "assessment_percentage",
    "external_segment_link",
    "external_segment_link_id",
    "url",
)

TEXT = pd.StringDtype("python")
UTC = pd.DatetimeTZDtype(unit="ns", tz="UTC")
EXPECTED_DTYPES = pd.Series(
    {name: (UTC if name == "date" else object if name in OBJECT_COLUMNS else TEXT) for name in EXPECTED_ORDER},
    dtype=object,
)


def segment(**fields: Any) -> dict[str, Any]:
    """Build a segment dict like EXAMPLE_SEGMENT with some fields replaced."""
    return {**EXAMPLE_SEGMENT, **fields}


def assert_segment_schema(frame: pd.DataFrame) -> None:
    """Check the known columns come first, in order, with their fixed dtypes."""
    known = frame.iloc[:, : len(EXPECTED_ORDER)]
    assert tuple(known.columns) == EXPECTED_ORDER
    pd.testing.assert_series_equal(known.dtypes, EXPECTED_DTYPES, check_names=False)


def test_segment_columns_are_in_the_documented_order() -> None:
    assert SEGMENT_COLUMNS == EXPECTED_ORDER


def test_column_groups_split_the_segment_columns() -> None:
    assert DATE_COLUMN == "date"
    assert OBJECT_COLUMNS == ("media", "assessment_type", "assessment_percentage")
    assert set(TEXT_COLUMNS) == set(EXPECTED_ORDER) - {"date", *OBJECT_COLUMNS}
    assert len(TEXT_COLUMNS) == 19


def test_a_normal_input_has_the_segment_columns_and_dtypes() -> None:
    frame = segments_to_frame([segment(), segment(segment_id="s2", queue="Support")])

    assert_segment_schema(frame)
    assert frame.shape == (2, 23)
    assert list(frame["segment_id"]) == ["02dd8a65-c9e3-550b-9e98-5b11abb9b3a5", "s2"]


def test_text_columns_use_the_python_string_storage() -> None:
    frame = segments_to_frame([segment()])

    for name in TEXT_COLUMNS:
        assert frame[name].dtype == pd.StringDtype("python"), name
        assert frame[name].dtype.storage == "python", name


def test_text_dtype_does_not_follow_the_default_string_storage_option() -> None:
    with pd.option_context("mode.string_storage", "pyarrow"):
        frame = segments_to_frame([segment()])

    assert_segment_schema(frame)


def test_an_empty_input_gives_zero_rows_with_the_full_schema() -> None:
    frame = segments_to_frame([])

    assert len(frame) == 0
    assert_segment_schema(frame)
    assert frame.shape == (0, 23)
    assert isinstance(frame.index, pd.RangeIndex)


def test_empty_segments_frame_is_the_frame_of_an_empty_input() -> None:
    pd.testing.assert_frame_equal(empty_segments_frame(), segments_to_frame([]))


def test_all_null_text_columns_keep_the_string_dtype_and_hold_na() -> None:
    frame = segments_to_frame([{"date": None}, {"reservation_id": None, "queue": None}])

    assert_segment_schema(frame)
    for name in TEXT_COLUMNS:
        assert frame[name].isna().all(), name
        assert frame[name].iloc[0] is pd.NA, name


def test_the_documented_example_segment_converts_to_the_expected_row() -> None:
    frame = segments_to_frame([EXAMPLE_SEGMENT])

    row = frame.iloc[0]
    assert row["reservation_id"] == "WReeeff42d5326cfdaa0f7a1181d00f1b1"
    assert row["segment_id"] == "02dd8a65-c9e3-550b-9e98-5b11abb9b3a5"
    assert row["external_id"] == "EV4ab3c50aeeb9dc48c96f7290cf626a37"
    assert row["queue"] == "Everyone"
    assert row["external_contact"] == "+13051515226"
    assert row["date"] == pd.Timestamp("2022-02-08 08:00:00", tz="UTC")
    assert row["account_id"] == "76e4c1c3-6f93-5d08-ae66-aad4b9092f2d"
    assert row["agent_id"] == "0e4a8059-18a3-5e48-9efb-29ae3213e7fe"
    assert row["agent_phone"] == "+13051515226"
    assert row["agent_name"] == "Flex Insights"
    assert row["agent_team_name"] == "Everyone"
    assert row["agent_team_name_in_hierarchy"] == "Everyone"
    assert row["agent_link"] is pd.NA
    assert row["customer_phone"] == "+420606078007"
    assert row["customer_name"] == "+420606078007"
    assert row["customer_link"] is pd.NA
    assert row["segment_recording_offset"] is pd.NA
    assert row["media"] is None
    assert row["assessment_type"] == [None]
    assert row["assessment_percentage"] == [None]
    assert row["external_segment_link"] is pd.NA
    assert row["external_segment_link_id"] is pd.NA
    assert row["url"] == "https://flex-api.twilio.com/v1/Insights/Segments/02dd8a65-c9e3-550b-9e98-5b11abb9b3a5"
    assert_segment_schema(frame)
    assert frame.shape == (1, 23)


def test_dates_with_z_and_offsets_are_converted_to_utc() -> None:
    frame = segments_to_frame(
        [
            segment(date="2022-02-08T08:00:00Z"),
            segment(date="2022-02-08T10:00:00+02:00"),
            segment(date="2022-02-08T02:30:00-05:30"),
            segment(date="2022-02-08T08:00:00.250Z"),
        ]
    )

    assert list(frame["date"]) == [
        pd.Timestamp("2022-02-08 08:00:00", tz="UTC"),
        pd.Timestamp("2022-02-08 08:00:00", tz="UTC"),
        pd.Timestamp("2022-02-08 08:00:00", tz="UTC"),
        pd.Timestamp("2022-02-08 08:00:00.250", tz="UTC"),
    ]
    assert frame["date"].dtype == UTC


def test_a_null_or_missing_date_becomes_nat() -> None:
    without_date = {k: v for k, v in EXAMPLE_SEGMENT.items() if k != "date"}
    frame = segments_to_frame([segment(date=None), without_date, segment()])

    assert frame["date"].iloc[0] is pd.NaT
    assert frame["date"].iloc[1] is pd.NaT
    assert frame["date"].iloc[2] == pd.Timestamp("2022-02-08 08:00:00", tz="UTC")
    assert frame["date"].dtype == UTC


def test_an_all_null_date_column_is_still_utc_datetime() -> None:
    frame = segments_to_frame([segment(date=None)])

    assert frame["date"].dtype == UTC
    assert frame["date"].isna().all()


def test_object_columns_keep_none_lists_and_dicts_as_sent() -> None:
    media = [{"type": "recording", "url": "https://example.com/r.wav"}]
    assessment = {"form": "Quality", "scores": [1, None]}
    frame = segments_to_frame(
        [
            segment(media=None, assessment_type=None, assessment_percentage=None),
            segment(media=media, assessment_type=assessment, assessment_percentage=[87.5, None]),
            segment(media="plain text", assessment_type=3, assessment_percentage=True),
        ]
    )

    assert frame["media"].iloc[0] is None
    assert frame["assessment_type"].iloc[0] is None
    assert frame["assessment_percentage"].iloc[0] is None
    assert frame["media"].iloc[1] is media
    assert frame["media"].iloc[1] == [{"type": "recording", "url": "https://example.com/r.wav"}]
    assert frame["assessment_type"].iloc[1] is assessment
    assert frame["assessment_type"].iloc[1] == {"form": "Quality", "scores": [1, None]}
    assert frame["assessment_percentage"].iloc[1] == [87.5, None]
    assert frame["media"].iloc[2] == "plain text"
    assert frame["assessment_type"].iloc[2] == 3
    assert frame["assessment_percentage"].iloc[2] is True
    for name in OBJECT_COLUMNS:
        assert frame[name].dtype == object, name


def test_object_columns_of_equal_length_lists_stay_one_list_per_row() -> None:
    frame = segments_to_frame([segment(media=[1, 2]), segment(media=[3, 4])])

    assert frame["media"].iloc[0] == [1, 2]
    assert frame["media"].iloc[1] == [3, 4]


def test_a_missing_known_field_is_null() -> None:
    frame = segments_to_frame([{"reservation_id": RESERVATION_ID, "segment_id": "s1"}])

    row = frame.iloc[0]
    assert row["reservation_id"] == RESERVATION_ID
    assert row["segment_id"] == "s1"
    assert row["queue"] is pd.NA
    assert row["date"] is pd.NaT
    assert row["media"] is None
    assert row["assessment_percentage"] is None
    assert_segment_schema(frame)


def test_non_string_scalars_in_text_columns_become_their_str() -> None:
    frame = segments_to_frame(
        [
            segment(segment_recording_offset=12, queue=True, agent_name=1.5),
            segment(segment_recording_offset="30", queue="Everyone", agent_name=None),
        ]
    )

    assert list(frame["segment_recording_offset"]) == ["12", "30"]
    assert frame["queue"].iloc[0] == "True"
    assert frame["agent_name"].iloc[0] == "1.5"
    assert frame["agent_name"].iloc[1] is pd.NA
    assert frame["segment_recording_offset"].dtype == TEXT


def test_dicts_and_lists_in_text_columns_become_compact_json() -> None:
    frame = segments_to_frame(
        [segment(agent_link={"href": "https://example.com/a", "ids": [1, 2]}, customer_link=["x", None])]
    )

    assert frame["agent_link"].iloc[0] == '{"href":"https://example.com/a","ids":[1,2]}'
    assert frame["customer_link"].iloc[0] == '["x",null]'
    assert frame["agent_link"].dtype == TEXT


def test_unknown_fields_become_trailing_object_columns_in_first_appearance_order() -> None:
    frame = segments_to_frame(
        [
            segment(zeta=1),
            segment(alpha={"a": None}, zeta=2),
            segment(beta=None),
        ]
    )

    assert tuple(frame.columns) == (*EXPECTED_ORDER, "zeta", "alpha", "beta")
    assert_segment_schema(frame)
    assert list(frame["zeta"]) == [1, 2, None]
    assert frame["zeta"].iloc[2] is None
    assert frame["alpha"].iloc[0] is None
    assert frame["alpha"].iloc[1] == {"a": None}
    assert [frame["beta"].iloc[i] for i in range(3)] == [None, None, None]
    for name in ("zeta", "alpha", "beta"):
        assert frame[name].dtype == object, name


@pytest.mark.parametrize(
    "bad_date",
    ["yesterday", "now", "today", "NaT", "", "2022-13-45T00:00:00Z", "2022-02-08T25:00:00Z", 1644307200, ["x"]],
)
def test_an_unparseable_date_raises_naming_the_column_value_and_row(bad_date: Any) -> None:
    rows = [segment(), segment(date=bad_date, segment_id="seg-bad", reservation_id="WR" + "b" * 32)]

    with pytest.raises(FlexInsightsResponseError) as caught:
        segments_to_frame(rows)

    message = str(caught.value)
    assert "'date'" in message
    assert repr(bad_date) in message
    assert "seg-bad" in message
    assert "WR" + "b" * 32 in message
    assert "position 1" in message
    assert "ISO 8601" in message


def test_a_non_mapping_item_raises_naming_its_position_and_type() -> None:
    with pytest.raises(FlexInsightsResponseError, match=r"position 2 is a list"):
        segments_to_frame([segment(), segment(), ["not", "a", "segment"]])


def test_a_none_item_raises_naming_its_position_and_type() -> None:
    with pytest.raises(FlexInsightsResponseError, match=r"position 0 is a NoneType"):
        segments_to_frame([None])  # type: ignore[list-item]


def test_any_iterable_of_mappings_is_accepted() -> None:
    def generate() -> Iterator[dict[str, Any]]:
        yield segment(segment_id="a")
        yield segment(segment_id="b")

    frame = segments_to_frame(generate())

    assert list(frame["segment_id"]) == ["a", "b"]


def test_the_index_is_a_range_from_zero() -> None:
    frame = segments_to_frame([segment(), segment(), segment()])

    pd.testing.assert_index_equal(frame.index, pd.RangeIndex(3))


def test_two_different_inputs_have_identical_dtypes() -> None:
    full = segments_to_frame([segment(), segment(segment_recording_offset=5, media=[{"a": 1}])])
    sparse = segments_to_frame([{"segment_id": "only-id"}, {"date": None, "assessment_type": None}])

    pd.testing.assert_series_equal(full.dtypes, sparse.dtypes)


def test_an_empty_frame_concatenated_with_a_full_one_keeps_the_dtypes() -> None:
    full = segments_to_frame([segment(), segment(date="2022-02-08T10:00:00+02:00")])

    combined = pd.concat([segments_to_frame([]), full], ignore_index=True)

    pd.testing.assert_series_equal(combined.dtypes, full.dtypes)
    assert_segment_schema(combined)
    assert len(combined) == 2
    assert combined["assessment_type"].iloc[0] == [None]
