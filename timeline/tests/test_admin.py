import pytest

from timeline.models import EventLog


@pytest.fixture
def staff(client, make_user):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def test_changelist_filters_and_exact_search(staff, make_events):
    make_events(2, entity_id="deal_456")
    make_events(2, entity_id="deal_4567")

    response = staff.get("/admin/timeline/eventlog/", {"q": "deal_456"})

    assert response.status_code == 200
    assert [e.entity_id for e in response.context["cl"].result_list] == ["deal_456"] * 2
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert filters == {"entity type", "event type", "source"}


def test_admin_is_read_only_even_for_superusers(staff, make_events):
    event = make_events(1, title="original")[0]
    change_url = f"/admin/timeline/eventlog/{event.pk}/change/"

    assert staff.get("/admin/timeline/eventlog/add/").status_code == 403
    assert staff.get(f"/admin/timeline/eventlog/{event.pk}/delete/").status_code == 403
    page = staff.get(change_url)
    assert page.status_code == 200
    assert b'name="title"' not in page.content
    staff.post(change_url, {"title": "changed"})
    assert EventLog.objects.get(pk=event.pk).title == "original"


def test_payload_is_pretty_printed_and_escaped(staff, make_events):
    event = make_events(1, payload={"note": "<script>alert(1)</script>", "n": 1})[0]

    html = staff.get(f"/admin/timeline/eventlog/{event.pk}/change/").content.decode()

    assert (
        "<pre>{\n  &quot;n&quot;: 1,\n"
        "  &quot;note&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;\n}</pre>"
    ) in html
    assert "<script>alert(1)</script>" not in html
