"""The API document's request and sample response, over real HTTP, field for field."""

import json
from datetime import date
from zoneinfo import ZoneInfo

from netcore.sandbox import CannedResponse
from tests.netcore.conftest import make_account, make_client

DOCUMENT_SAMPLE = """{
"status": "success",
"result": {
"channel_activity": [
{
"activity": "sent",
"message_id": 462,
"msg_name": "Sample EMAil broadcast to check all activities",
"activity_date": "23 Jul 2018 @11:02am"
},
{
"activity": "open",
"ip": "192.168.41.50",
"message_id": 462,
"msg_name": "Sample EMAil broadcast to check all activities",
"activity_date": "23 Jul 2018 @3:33pm",
"device": "DESKTOP",
"os": "UNIX",
"browser": "Google Chrome"
},
{
"activity": "click",
"ip": "192.168.41.50",
"link": "http://www.cricbuzz.com/[EMAIL]",
"message_id": 462,
"msg_name": "Sample EMAil broadcast to check all activities",
"activity_date": "23 Jul 2018 @3:33pm",
"device": "DESKTOP",
"os": "UNIX",
"browser": "Google Chrome"
}
],
"from_date": "19072018",
"to_date": "23072018",
"channel": "email"
},
"details": "Data fetched successfully."
}"""

NAME = "Sample EMAil broadcast to check all activities"


def fetch_sample(start_sandbox, api_key, timezone="Asia/Kolkata"):
    sandbox = start_sandbox(canned=CannedResponse(200, DOCUMENT_SAMPLE))
    client = make_client(make_account(sandbox.url, api_key, timezone=timezone))
    result = client.fetch_window(
        primary_key="[email protected]",
        channel="email",
        start=date(2018, 7, 19),
        end=date(2018, 7, 23),
    )
    return sandbox, result


def test_the_document_sample_is_parsed_field_for_field(start_sandbox, api_key):
    _, result = fetch_sample(start_sandbox, api_key)
    zone = ZoneInfo("Asia/Kolkata")

    assert result.warnings == []
    sent, opened, clicked = result.records

    assert sent.activity == "sent"
    assert sent.message_id == 462
    assert sent.message_name == NAME
    assert sent.activity_date_raw == "23 Jul 2018 @11:02am"
    assert sent.occurred_at.replace(tzinfo=None).isoformat() == "2018-07-23T11:02:00"
    assert sent.occurred_at.utcoffset() == zone.utcoffset(sent.occurred_at)
    assert (sent.ip, sent.device, sent.os, sent.browser, sent.link) == ("", "", "", "", "")

    assert opened.activity == "open"
    assert opened.ip == "192.168.41.50"
    assert opened.message_id == 462
    assert opened.message_name == NAME
    assert opened.activity_date_raw == "23 Jul 2018 @3:33pm"
    assert opened.occurred_at.replace(tzinfo=None).isoformat() == "2018-07-23T15:33:00"
    assert (opened.device, opened.os, opened.browser) == ("DESKTOP", "UNIX", "Google Chrome")
    assert opened.link == ""

    assert clicked.activity == "click"
    assert clicked.link == "http://www.cricbuzz.com/[EMAIL]"
    assert clicked.ip == "192.168.41.50"
    assert (clicked.device, clicked.os, clicked.browser) == ("DESKTOP", "UNIX", "Google Chrome")
    assert clicked.occurred_at == opened.occurred_at

    raw_records = json.loads(DOCUMENT_SAMPLE)["result"]["channel_activity"]
    assert [r.raw for r in result.records] == raw_records


def test_the_request_is_the_documented_one(start_sandbox, api_key):
    sandbox, _ = fetch_sample(start_sandbox, api_key)

    (request,) = sandbox.requests
    assert request.method == "POST"
    assert request.path == "/apiv2"
    assert request.query == {
        "type": ["export_data"],
        "activity": ["get_user_channel_activity_data"],
        "apikey": [api_key],
    }
    assert list(request.form) == ["data"]
    assert json.loads(request.form["data"][0]) == {
        "primary_key": "[email protected]",
        "channel": "email",
        "from_date": "19072018",
        "to_date": "23072018",
    }


def test_unknown_fields_and_activities_are_kept(start_sandbox, api_key):
    body = {
        "status": "success",
        "result": {
            "channel_activity": [
                {
                    "activity": "spam_report",
                    "message_id": "A-17",
                    "msg_name": "Ενημέρωση",
                    "activity_date": "1 Feb 2025 @9:00am",
                    "campaign_tag": "q1",
                },
                {"activity": "sent", "activity_date": "1 Feb 2025 @9:00am"},
                {"activity": "sent", "activity_date": "1 Feb 2025 @9:00am"},
            ]
        },
    }
    sandbox = start_sandbox(canned=CannedResponse(200, body))
    client = make_client(make_account(sandbox.url, api_key))

    result = client.fetch_window(
        primary_key="p", channel="email", start=date(2025, 2, 1), end=date(2025, 2, 1)
    )

    unknown, first, second = result.records
    assert unknown.activity == "spam_report"
    assert unknown.message_id == "A-17"
    assert unknown.raw["campaign_tag"] == "q1"
    assert first == second  # identical records are two events: nothing is merged
    assert first.message_id is None


def test_a_record_with_an_unreadable_date_is_kept_and_warned_about(start_sandbox, api_key):
    body = {
        "status": "success",
        "result": {
            "channel_activity": [
                {"activity": "open", "activity_date": "yesterday-ish"},
                {"activity": "open", "activity_date": "2 Feb 2025 @1:00pm"},
            ]
        },
    }
    sandbox = start_sandbox(canned=CannedResponse(200, body))
    client = make_client(make_account(sandbox.url, api_key))

    result = client.fetch_window(
        primary_key="p", channel="sms", start=date(2025, 2, 1), end=date(2025, 2, 2)
    )

    assert len(result.records) == 2
    assert result.records[0].occurred_at is None
    assert result.records[0].activity_date_raw == "yesterday-ish"
    assert len(result.warnings) == 1
    assert "record 0" in result.warnings[0]
