"""The subject's events as JSON and CSV: machine-readable copies of what the report lists.

Both are written while the events stream past once (never all in memory), in the report's order:
per channel, in time order. The JSON keeps each record exactly as Netcore sent it (`raw`) beside
the fields we read from it; the CSV has one column per known field and the unknown ones as JSON.
"""

import csv
import json
from datetime import UTC, datetime
from typing import IO

from cases.models import ActivityEvent
from netcore.records import KNOWN_RAW_KEYS, RECORD_FIELDS

# One column per field read from the record, after the channel and the time we derived.
CSV_COLUMNS = [
    "channel",
    "occurred_at_utc",
    *(f.column for f in RECORD_FIELDS),
    "other_fields",
]
# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def other_fields(event: ActivityEvent) -> dict:
    """The fields of the record that we have no column for, as Netcore sent them."""
    raw = event.raw if isinstance(event.raw, dict) else {"record": event.raw}
    return {key: value for key, value in raw.items() if key not in KNOWN_RAW_KEYS}


def utc_iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _exported_fields(event: ActivityEvent) -> dict:
    """The fields read from the record, under their export names, in CSV column order."""
    return {f.column: getattr(event, f.name) for f in RECORD_FIELDS}


def event_record(event: ActivityEvent) -> dict:
    """One event as the JSON export carries it."""
    return {
        "channel": event.channel,
        "occurred_at_utc": utc_iso(event.occurred_at),
        **_exported_fields(event),
        "raw": event.raw,
    }


def _csv_cell(value: str) -> str:
    # A leading apostrophe keeps a spreadsheet from running the cell (explained in the report).
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class ExportWriter:
    """Writes the JSON and CSV exports one event at a time."""

    def __init__(self, *, json_file: IO[str], csv_file: IO[str], header: dict):
        self.json_file = json_file
        self.csv = csv.writer(csv_file)
        self.count = 0
        head = json.dumps(header, ensure_ascii=False, indent=1)
        # The header's closing brace is replaced by the list of events.
        json_file.write(head[: head.rindex("}")].rstrip() + ',\n "events": [')
        self.csv.writerow(CSV_COLUMNS)

    def add(self, event: ActivityEvent) -> None:
        separator = "\n  " if self.count == 0 else ",\n  "
        self.json_file.write(separator + json.dumps(event_record(event), ensure_ascii=False))
        others = other_fields(event)
        self.csv.writerow(
            [
                _csv_cell(value)
                for value in (
                    event.channel,
                    utc_iso(event.occurred_at) or "",
                    *_exported_fields(event).values(),
                    json.dumps(others, ensure_ascii=False) if others else "",
                )
            ]
        )
        self.count += 1

    def close(self) -> None:
        self.json_file.write(f'\n ],\n "event_count": {self.count}\n}}\n')
