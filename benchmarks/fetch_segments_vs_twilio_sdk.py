"""Fetch the segments of N reservations from the bundled emulator with twilio-python and with FlexInsightsClient.

Both sides ask for one reservation at a time, the only way to know which reservation a segment belongs to.
The emulator runs in its own process, so that it does not share the interpreter with the clients, and adds a
fixed delay to each response to stand in for the network (--latency-ms; 0 measures the pure client overhead).
Prints the seconds of each side and the ratios, measured in this one run. Needs the test extras (twilio).

    .venv/bin/python benchmarks/fetch_segments_vs_twilio_sdk.py --reservations 200 --latency-ms 30
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from types import SimpleNamespace
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from flex_segments_dagster import FlexInsightsClient
from flex_segments_dagster.emulator import TwilioEmulator


class EmulatorHttpClient(TwilioHttpClient):
    """Sends the SDK's Flex API requests to the emulator instead of flex-api.twilio.com."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=30)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        url = url.replace("https://flex-api.twilio.com", self.base_url, 1)
        return super().request(method, url, *args, **kwargs)


def with_sdk(emu: TwilioEmulator, ids: list[str]) -> int:
    client = Client(emu.account_sid, emu.auth_token, http_client=EmulatorHttpClient(emu.base_url))
    rows = 0
    for rid in ids:
        rows += len(client.flex_api.v1.insights_segments.list(reservation_id=[rid], page_size=1000))
    return rows


def with_client(emu: TwilioEmulator, ids: list[str], concurrency: int) -> int:
    with FlexInsightsClient(
        emu.account_sid, emu.auth_token, base_url=emu.base_url, max_concurrency=concurrency
    ) as client:
        return len(client.fetch_segments(reservation_ids=ids))


def timed(label: str, action) -> tuple[float, int]:
    start = time.perf_counter()
    rows = action()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:8.3f} s  {rows} rows")
    return seconds, rows


def start_emulator(reservations: int, latency_ms: float) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "flex_segments_dagster.cli", "emulator", "--port", str(port),
         "--reservations", str(reservations), "--seed", "1", "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, text=True,
    )
    server.stdout.readline()  # the emulator prints one line once it listens
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reservations", type=int, default=200)
    parser.add_argument(
        "--latency-ms", type=float, default=30.0,
        help="delay the emulator adds to each response, standing in for the network to Twilio (0 for none)",
    )
    args = parser.parse_args()
    print(f"{args.reservations} reservations, {args.latency_ms:g} ms added to each response")
    data = TwilioEmulator(port=0, reservations=args.reservations, seed=1)  # same seed: same ids, not started
    ids = data.reservation_ids
    server, base_url = start_emulator(args.reservations, args.latency_ms)
    emu = SimpleNamespace(base_url=base_url, account_sid=data.account_sid, auth_token=data.auth_token)
    try:
        with_client(emu, ids[:5], 1)  # warm up imports and connections on both sides
        with_sdk(emu, ids[:5])
        sdk, sdk_rows = timed("twilio-python, one reservation per request", lambda: with_sdk(emu, ids))
        one, one_rows = timed("FlexInsightsClient, max_concurrency=1 (frame)", lambda: with_client(emu, ids, 1))
        four, four_rows = timed("FlexInsightsClient, max_concurrency=4 (frame)", lambda: with_client(emu, ids, 4))
    finally:
        server.terminate()
        server.wait(10)
    assert sdk_rows == one_rows == four_rows, "the two sides disagree on the rows"
    print(f"speed-up over twilio-python: {sdk / one:.2f}x sequential, {sdk / four:.2f}x with 4 workers")


if __name__ == "__main__":
    main()
