"""The two OpenAPI fragments the emulator serves, and query validation driven by them."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from functools import cache
from importlib import resources
from typing import Any

SEGMENTS_FRAGMENT = "openapi-flex-insights-segments.json"
EVENTS_FRAGMENT = "openapi-taskrouter-events.json"
SEGMENTS_PATH = "/v1/Insights/Segments"
EVENTS_PATH = "/v1/Workspaces/{WorkspaceSid}/Events"
SEGMENT_SCHEMA = "flex.v1.insights_segments"
EVENT_SCHEMA = "taskrouter.v1.workspace.event"

_INTEGER = re.compile(r"^-?[0-9]+$")
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


class ParameterError(ValueError):
    """A request parameter that the API would refuse with HTTP 400 (Twilio error 20001)."""


@cache
def load_fragment(name: str) -> dict[str, Any]:
    """Return one of the OpenAPI fragments shipped with the emulator, parsed."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def schema_fields(fragment: str, schema: str) -> tuple[str, ...]:
    """Return the property names of a component schema, in the order the spec lists them."""
    return tuple(load_fragment(fragment)["components"]["schemas"][schema]["properties"])


def operation_parameters(fragment: str, path: str) -> list[dict[str, Any]]:
    """Return the parameters of the GET operation on a path."""
    return load_fragment(fragment)["paths"][path]["get"]["parameters"]


def parse_date_time(name: str, raw: str) -> datetime:
    """Parse an ISO 8601 date-time (GMT when no offset is given) into an aware UTC datetime."""
    match = _DATE_TIME.match(raw)
    if not match:
        raise ParameterError(f"Invalid {name}: {raw!r} is not an ISO 8601 date-time (e.g. 2024-05-01T12:00:00Z)")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = timezone.utc
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            tz = timezone(-offset if sign == "-" else offset)
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=tz)
    except ValueError as exc:
        raise ParameterError(f"Invalid {name}: {raw!r} is not a valid date-time ({exc})") from None
    return value.astimezone(timezone.utc)


def _check_string(name: str, raw: str, schema: dict[str, Any]) -> Any:
    if schema.get("format") == "date-time":
        return parse_date_time(name, raw)
    if "minLength" in schema and len(raw) < schema["minLength"]:
        raise ParameterError(f"Invalid {name}: {raw!r} is shorter than {schema['minLength']} characters")
    if "maxLength" in schema and len(raw) > schema["maxLength"]:
        raise ParameterError(f"Invalid {name}: {raw!r} is longer than {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], raw):
        raise ParameterError(f"Invalid {name}: {raw!r} does not match {schema['pattern']}")
    return raw


def _check_integer(name: str, raw: str, schema: dict[str, Any]) -> int:
    if not _INTEGER.match(raw):
        raise ParameterError(f"Invalid {name}: {raw!r} is not an integer")
    value = int(raw)
    if "minimum" in schema and value < schema["minimum"]:
        raise ParameterError(f"Invalid {name}: {value} is less than the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise ParameterError(f"Invalid {name}: {value} is greater than the maximum {schema['maximum']}")
    return value


def check_value(name: str, raw: str, schema: dict[str, Any]) -> Any:
    """Validate one raw parameter value against its schema and return it converted."""
    kind = schema.get("type", "string")
    if kind == "integer":
        return _check_integer(name, raw, schema)
    if not raw:
        raise ParameterError(f"Invalid {name}: the value must not be empty")
    return _check_string(name, raw, schema)


def parse_query(parameters: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    """Validate the query parameters the spec declares; return name -> converted value.

    Array parameters give a list; a repeated scalar parameter uses its last value, and
    parameters the spec does not declare are ignored, as the real API does.
    """
    parsed: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.get("in") != "query":
            continue
        name = parameter["name"]
        values = query.get(name)
        if not values:
            continue
        schema = parameter.get("schema", {})
        if schema.get("type") == "array":
            item_schema = schema.get("items", {})
            parsed[name] = [check_value(name, raw, item_schema) for raw in values]
        else:
            parsed[name] = check_value(name, values[-1], schema)
    return parsed


def path_parameter_schema(parameters: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Return the schema of a path parameter."""
    for parameter in parameters:
        if parameter.get("in") == "path" and parameter["name"] == name:
            return parameter.get("schema", {})
    raise KeyError(name)
