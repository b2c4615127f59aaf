import pytest

from timeline.models import EventLog

EVENT = {"entity_type": "deal", "entity_id": "deal_1", "event_type": "created"}
READS = ["/events/", "/events/1", "/events/entity?entity_type=deal", "/events/recent"]
WRITES = [("/events/", EVENT), ("/events/bulk", [EVENT])]


@pytest.mark.parametrize("path", READS)
def test_reads_need_credentials(anonymous, make_events, path):
    make_events(1)

    response = anonymous.get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_writes_need_credentials(anonymous, db, path, body):
    assert anonymous.post(path, body, format="json").status_code == 401
    assert EventLog.objects.count() == 0


def test_a_bad_token_is_refused(anonymous, db):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert anonymous.get("/events/recent").status_code == 401


@pytest.mark.parametrize("path", READS)
def test_any_authenticated_user_can_read(reader, make_events, path):
    event = make_events(1)[0]

    assert reader.get(path.replace("/1", f"/{event.pk}")).status_code == 200


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_writes_need_the_add_permission(reader, path, body):
    response = reader.post(path, body, format="json")

    assert response.status_code == 403
    assert EventLog.objects.count() == 0


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_the_add_permission_is_enough_to_write(make_user, client_for, path, body):
    writer = client_for(make_user("heimdall", perms=["timeline.add_eventlog"]))

    assert writer.post(path, body, format="json").status_code == 201


def test_session_authentication_works(make_user, client):
    client.force_login(make_user("staff"))

    assert client.get("/events/recent").status_code == 200


def test_a_revoked_token_stops_working_at_once(make_user, client_for):
    from rest_framework.authtoken.models import Token

    client = client_for(make_user("temp"))
    assert client.get("/events/recent").status_code == 200  # now cached

    Token.objects.filter(user__username="temp").delete()

    assert client.get("/events/recent").status_code == 401


def test_tokens_are_revocable_by_command(make_user, client_for):
    from io import StringIO

    from django.core.management import CommandError, call_command

    client = client_for(make_user("bot"))
    assert client.get("/events/recent").status_code == 200

    out = StringIO()
    call_command("revoke_token", "bot", stdout=out)

    assert out.getvalue().strip() == "revoked 1 token(s) of bot"
    assert client.get("/events/recent").status_code == 401
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("revoke_token", "nobody")
