"""Turn Flex Insights segment dicts into a pandas DataFrame with a fixed column order and fixed dtypes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from pandas.arrays import StringArray

from flex_segments_dagster.errors import FlexInsightsResponseError

__all__ = [
    "DATE_COLUMN",
    "DATE_DTYPE",
    "OBJECT_COLUMNS",
    "SEGMENT_COLUMNS",
    "TEXT_COLUMNS",
    "TEXT_DTYPE",
    "empty_segments_frame",
    "segments_to_frame",
]

SEGMENT_COLUMNS: tuple[str, ...] = (
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
OBJECT_COLUMNS: tuple[str, ...] = ("media", "assessment_type", "assessment_percentage")
DATE_COLUMN: str = "date"
TEXT_COLUMNS: tuple[str, ...] = tuple(c for c in SEGMENT_COLUMNS if c != DATE_COLUMN and c not in OBJECT_COLUMNS)

# The storage is named so the dtype does not follow pandas' default string storage (pyarrow when installed).
TEXT_DTYPE = pd.StringDtype("python")
DATE_DTYPE = pd.DatetimeTZDtype(unit="ns", tz="UTC")

_KNOWN = frozenset(SEGMENT_COLUMNS)
_PLAIN_TEXT_TYPES = frozenset({str, type(None)})
_DATE_SHAPE = "an ISO 8601 timestamp string such as '2022-02-08T08:00:00Z' or '2022-02-08T10:00:00+02:00', or null"


def segments_to_frame(segments: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build one DataFrame row per segment dict, with SEGMENT_COLUMNS first and unknown fields after."""
    rows = list(segments)
    extra_names: dict[Any, None] = {}  # insertion-ordered set of unknown field names
    for position, row in enumerate(rows):
        if type(row) is not dict and not isinstance(row, Mapping):
            raise FlexInsightsResponseError(
                f"segment at position {position} is a {type(row).__name__}, not a mapping of fields: {row!r:.200}"
            )
        if not _KNOWN.issuperset(row):
            for key in row:
                if key not in _KNOWN:
                    extra_names.setdefault(key)

    # One comprehension per column: building a tuple per row instead costs far more in allocation and GC.
    columns: dict[Any, pd.Series] = {}
    for name in SEGMENT_COLUMNS:
        values = [row.get(name) for row in rows]
        if name == DATE_COLUMN:
            columns[name] = _date_column(values, rows)
        elif name in OBJECT_COLUMNS:
            columns[name] = _object_column(values)
        else:
            columns[name] = _text_column(values)
    for name in extra_names:
        columns[name] = _object_column([row.get(name) for row in rows])

    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), copy=False)


def empty_segments_frame() -> pd.DataFrame:
    """Build a 0-row frame with the full segment schema and dtypes."""
    return segments_to_frame(())


def _text_column(values: list[Any]) -> pd.Series:
    """Make a python-storage string column; None becomes pd.NA, other non-strings their text form."""
    if not _PLAIN_TEXT_TYPES.issuperset(map(type, values)):
        values = [_as_text(v) for v in values]
    array = np.fromiter(values, dtype=object, count=len(values))
    array[pd.isna(array)] = pd.NA
    # StringArray is the python storage; building it directly skips pd.array's slower per-value coercion.
    return pd.Series(StringArray(array, copy=False), dtype=TEXT_DTYPE, copy=False)


def _as_text(value: Any) -> str | None:
    """Give the text form of one value for a text column."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, sort_keys=False, separators=(",", ":"), default=str)
    return str(value)


def _object_column(values: Sequence[Any]) -> pd.Series:
    """Make an object column holding the given Python objects unchanged."""
    # fromiter keeps nested lists as single elements, where np.array would make them extra dimensions.
    array = np.fromiter(values, dtype=object, count=len(values))
    return pd.Series(array, dtype=object, copy=False)


def _date_column(values: list[Any], rows: Sequence[Mapping[str, Any]]) -> pd.Series:
    """Parse ISO 8601 strings into a UTC datetime column; null stays NaT, anything else raises."""
    if not _PLAIN_TEXT_TYPES.issuperset(map(type, values)):
        for position, value in enumerate(values):
            if not (value is None or isinstance(value, str)):
                _raise_bad_date(values, rows, position)
        values = [None if v is None else str(v) for v in values]
    # to_datetime reads 'now', 'today', 'NaT' and '' as timestamps or NaT, so only digit-led strings go in.
    for position, value in enumerate(values):
        if value is not None and not value[:1].isdigit():
            _raise_bad_date(values, rows, position)
    raw = pd.Series(values, dtype=object)
    parsed = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
    unparsed = (parsed.isna() & raw.notna()).to_numpy()
    if unparsed.any():
        _raise_bad_date(values, rows, int(unparsed.argmax()))
    return parsed.astype(DATE_DTYPE)


def _raise_bad_date(values: list[Any], rows: Sequence[Mapping[str, Any]], position: int) -> NoReturn:
    """Raise a FlexInsightsResponseError naming the row at position and its bad date value."""
    bad = values[position]
    row = rows[position]
    raise FlexInsightsResponseError(
        f"column {DATE_COLUMN!r} has unparseable value {bad!r} in segment at position {position} "
        f"(segment_id={row.get('segment_id')!r}, reservation_id={row.get('reservation_id')!r}); "
        f"expected {_DATE_SHAPE}"
    )
