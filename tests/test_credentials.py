"""Which Basic-auth pair the client uses, and that secrets never show."""

from __future__ import annotations

import pytest

from flex_segments_dagster import FlexInsightsClient, FlexInsightsConfigError, FlexInsightsResource
from flex_segments_dagster.transport import Credentials, TwilioHTTP, resolve_credentials

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
KEY = "SK0123456789abcdef0123456789abcdef"


def test_an_account_sid_and_token_are_used_as_they_are():
    assert resolve_credentials(ACCOUNT, "tok") == Credentials(ACCOUNT, "tok")


def test_an_api_key_is_preferred_over_the_token():
    assert resolve_credentials(ACCOUNT, "tok", KEY, "sec") == Credentials(KEY, "sec")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((None, None, None, None), "no Twilio credentials"),
        ((ACCOUNT, None, None, None), "TWILIO_AUTH_TOKEN"),
        ((None, "tok", None, None), "TWILIO_ACCOUNT_SID"),
        ((None, None, KEY, None), "TWILIO_API_KEY_SECRET"),
        ((None, None, None, "sec"), "TWILIO_API_KEY_SID"),
        (("AC123", "tok", None, None), "'AC' followed by 32 hex"),
        ((None, None, "SK123", "sec"), "'SK' followed by 32 hex"),
        (("", "", "", ""), "no Twilio credentials"),
    ],
)
def test_missing_or_malformed_credentials_say_what_to_set(args, message):
    with pytest.raises(FlexInsightsConfigError, match=message):
        resolve_credentials(*args)


def test_secrets_never_appear_in_reprs():
    secret = "s3cr3t-token-value"
    client = FlexInsightsClient(ACCOUNT, secret)
    resource = FlexInsightsResource(account_sid=ACCOUNT, auth_token=secret, api_key_secret=secret)
    credentials = resolve_credentials(ACCOUNT, secret)
    for text in (repr(client), repr(client._http), repr(resource), str(resource), repr(credentials)):
        assert secret not in text


def test_scrub_removes_the_secret_and_its_basic_auth_form():
    http = TwilioHTTP("https://flex-api.twilio.com", Credentials(ACCOUNT, "hunter2"))
    import base64

    encoded = base64.b64encode(f"{ACCOUNT}:hunter2".encode()).decode()
    assert http.scrub(f"token hunter2 header Basic {encoded}") == "token *** header Basic ***"
