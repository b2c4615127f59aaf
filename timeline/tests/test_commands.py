from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from timeline.models import EventLog


def run(*args: str) -> str:
    out = StringIO()
    call_command("record_event", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_record_event_prints_the_new_id(db):
    printed = run(
        "--entity-type", "deal", "--entity-id", "deal_456",
        "--event-type", "status_changed", "--source", "heimdall",
        "--title", "Under contract", "--payload", '{"to": "uc"}',
    )  # fmt: skip

    event = EventLog.objects.get()
    assert printed == str(event.pk)
    assert (event.source, event.title, event.payload) == (
        "heimdall",
        "Under contract",
        {"to": "uc"},
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--entity-type", "Not A Slug"], "--entity-type"),
        (["--payload", "{not json"], "--payload is not valid JSON"),
        (["--payload", "[1]"], "--payload must be a JSON object"),
        (["--title", "x" * 300], "--title"),
    ],
)
def test_bad_input_is_a_clear_error(db, extra, message):
    base = ["--entity-type", "deal", "--entity-id", "d1", "--event-type", "created"]

    with pytest.raises(CommandError, match=message):
        run(*base, *extra)
    assert EventLog.objects.count() == 0


def test_missing_required_argument_exits_non_zero(db):
    with pytest.raises(CommandError, match="--event-type"):
        run("--entity-type", "deal", "--entity-id", "d1")
