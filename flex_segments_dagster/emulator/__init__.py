"""A local, faithful stand-in for Twilio's Flex Insights Segments and TaskRouter Events APIs."""

from .data import (
    DOCUMENTED_RESERVATION_ID,
    DOCUMENTED_SEGMENT_ID,
    EMULATOR_ACCOUNT_SID,
    EMULATOR_API_KEY_SECRET,
    EMULATOR_API_KEY_SID,
    EMULATOR_AUTH_TOKEN,
    EMULATOR_WORKSPACE_SID,
    EVENT_FIELDS,
    SEGMENT_FIELDS,
)
from .server import RecordedRequest, TwilioEmulator, run_emulator

__all__ = [
    "DOCUMENTED_RESERVATION_ID",
    "DOCUMENTED_SEGMENT_ID",
    "EMULATOR_ACCOUNT_SID",
    "EMULATOR_API_KEY_SECRET",
    "EMULATOR_API_KEY_SID",
    "EMULATOR_AUTH_TOKEN",
    "EMULATOR_WORKSPACE_SID",
    "EVENT_FIELDS",
    "SEGMENT_FIELDS",
    "RecordedRequest",
    "TwilioEmulator",
    "run_emulator",
]
