import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from timeline.models import EventLog, ImmutableEventError


@pytest.fixture
def event(make_events):
    return make_events(1, title="original")[0]


def test_model_refuses_to_save_an_existing_event(event):
    event.title = "changed"

    with pytest.raises(ImmutableEventError):
        event.save()
    assert EventLog.objects.get(pk=event.pk).title == "original"


def test_model_refuses_to_delete(event):
    with pytest.raises(ImmutableEventError):
        event.delete()
    assert EventLog.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(title="changed"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["title"]),
    ],
    ids=["update", "delete", "bulk_update"],
)
def test_queryset_refuses_bulk_changes(event, change):
    with pytest.raises(ImmutableEventError):
        change(EventLog.objects.all())
    assert EventLog.objects.get(pk=event.pk).title == "original"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE event_logs SET title = 'changed'",
        "DELETE FROM event_logs",
        "DELETE FROM event_logs WHERE id = %s",
    ],
)
def test_database_refuses_raw_update_and_delete(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk] if "%s" in sql else None)

    assert EventLog.objects.get(pk=event.pk).title == "original"


def test_database_refuses_truncate(event, postgresql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE event_logs")

    assert EventLog.objects.filter(pk=event.pk).exists()


def test_database_still_accepts_inserts_after_a_refusal(event):
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM event_logs")

    EventLog.objects.create(entity_type="deal", entity_id="2", event_type="created")

    assert EventLog.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_keeps_the_guard():
    EventLog.objects.create(entity_type="deal", entity_id="1", event_type="created")

    call_command("flush", interactive=False, verbosity=0)

    assert EventLog.objects.count() == 0
    event = EventLog.objects.create(
        entity_type="deal", entity_id="2", event_type="created"
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM event_logs")
    assert EventLog.objects.filter(pk=event.pk).exists()
