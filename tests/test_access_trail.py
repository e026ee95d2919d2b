"""The access trail answers questions: by person, case and period, paged, as CSV, "who saw this
case" for the coordinator; every reading is recorded; old entries are removed."""
import csv
import io
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from kokoma.database import db
from kokoma.models import CaseAccess
from kokoma.services import access_trail

from .conftest import PASSWORD


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def opened(user, case, when):
    db.session.add(CaseAccess(case_id=case.id, municipality_id=case.municipality_id, user_id=user.id,
                              accessed_at=when))
    db.session.commit()


def rows_of(page):
    return [(entry.user_id, reference, entry.action) for entry, reference in page.rows]


def test_the_trail_filters_by_person_case_and_period(client, world):
    first, second = world.case(title="Erster Fall"), world.case(title="Zweiter Fall")
    day = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    opened(world.facilitator, first, day)
    opened(world.advisor, first, day + timedelta(days=1))
    opened(world.advisor, second, day + timedelta(days=5))
    coordinator = world.coordinator

    by_person = access_trail.trail(coordinator, access_trail.TrailFilters(user_id=world.advisor.id))
    assert rows_of(by_person) == [(world.advisor.id, second.reference, "view"),
                                  (world.advisor.id, first.reference, "view")]
    by_case = access_trail.trail(coordinator, access_trail.TrailFilters(case_id=first.id))
    assert {r[0] for r in rows_of(by_case) if r[2] == "view"} == {world.facilitator.id, world.advisor.id}
    assert all(r[1] == first.reference for r in rows_of(by_case))
    in_period = access_trail.trail(coordinator, access_trail.TrailFilters(since=date(2026, 3, 11), until=date(2026, 3, 11)))
    assert rows_of(in_period) == [(world.advisor.id, first.reference, "view")]


def test_every_reading_of_the_trail_is_recorded_with_its_filters(client, world):
    case = world.case()
    login(client, world.coordinator)
    page = client.get(f"/admin/access-log?person={world.advisor.id}&case={case.reference}&since=2026-01-01")
    assert page.status_code == 200
    reading = db.session.scalars(select(CaseAccess).where(CaseAccess.action == "trail_read")).one()
    assert reading.user_id == world.coordinator.id and reading.case_id is None
    assert reading.query == {"user_id": world.advisor.id, "case_id": case.id, "since": "2026-01-01"}
    assert client.get("/admin/access-log.csv").status_code == 200
    assert db.session.scalar(select(func.count()).where(CaseAccess.action == "trail_export")) == 1
    # The reading shows in the trail itself, in the reader's language.
    assert "hat das Zugriffsprotokoll gelesen" in client.get("/admin/access-log").get_data(as_text=True)


def test_the_trail_pages_by_id_with_its_filters(client, world):
    case = world.case()
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    for n in range(60):  # more than a page of the web trail (50)
        opened(world.advisor, case, start + timedelta(minutes=n))
    filters = access_trail.TrailFilters(user_id=world.advisor.id)
    first = access_trail.trail(world.coordinator, filters, per_page=5)
    assert len(first.rows) == 5 and first.next_after is not None
    rest = access_trail.trail(world.coordinator, filters, after=first.next_after, per_page=100)
    assert len(rest.rows) == 55 and rest.next_after is None
    ids = [e.id for e, _ in first.rows + rest.rows]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 60
    login(client, world.coordinator)
    html = client.get(f"/admin/access-log?person={world.advisor.id}").get_data(as_text=True)
    next_link = html.split('rel="next" href="')[1].split('"')[0]
    assert f"person={world.advisor.id}" in next_link and "after=" in next_link  # the filter stays when paging


def test_invalid_filters_are_told_at_their_field_and_filter_nothing(client, world):
    case = world.case()
    opened(world.advisor, case, datetime(2026, 2, 1, tzinfo=timezone.utc))
    login(client, world.coordinator)
    page = client.get("/admin/access-log?case=XYZ-0000&since=gestern&until=2026-01-01&person=abc",
                      headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="case-error"' in html and 'id="since-error"' in html and 'id="person-error"' in html
    assert case.reference not in html.split("<tbody>")[1]  # a case not there: nothing matches
    both = client.get("/admin/access-log?since=2026-03-02&until=2026-03-01").get_data(as_text=True)
    assert 'id="until-error"' in both


def test_the_csv_export_holds_the_filtered_trail_and_defuses_formulas(client, world):
    case = world.case()
    sneaky = world.user("sneaky@mst.example", "facilitator", world.musterstadt, "=HYPERLINK(1)")
    opened(sneaky, case, datetime(2026, 4, 1, tzinfo=timezone.utc))
    opened(world.advisor, case, datetime(2026, 4, 2, tzinfo=timezone.utc))
    login(client, world.coordinator)
    response = client.get(f"/admin/access-log.csv?person={sneaky.id}", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0][:2] == ["When (UTC)", "Person"]
    assert lines[1:] == [["2026-04-01T00:00:00+00:00", "'=HYPERLINK(1)", "Process facilitator", "opened the case",
                          case.reference, ""]]


def test_the_csv_export_reads_in_batches(ctx, world, monkeypatch):
    case = world.case()
    monkeypatch.setattr(access_trail, "EXPORT_BATCH", 3)
    for n in range(8):
        opened(world.advisor, case, datetime(2026, 4, 1, tzinfo=timezone.utc) + timedelta(hours=n))
    from flask_babel import get_translations

    lines = list(access_trail.export_csv(world.coordinator, access_trail.TrailFilters(case_id=case.id),
                                         get_translations()))
    assert len(lines) == 1 + 8


def test_who_saw_this_case_is_on_the_case_for_the_coordinator_only(client, world):
    case = world.case()
    login(client, world.advisor)
    client.get(f"/cases/{case.id}")
    client.get(f"/cases/{case.id}")
    client.post("/logout")
    login(client, world.facilitator)
    assert 'id="who-saw"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, world.coordinator)
    html = client.get(f"/cases/{case.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    section = html.split('id="who-saw"')[1].split("</section>")[0]
    assert world.advisor.name in section and "2 times" in section and world.facilitator.name in section
    looked = db.session.scalars(select(CaseAccess).where(CaseAccess.action == "case_trail")).one()
    assert looked.case_id == case.id and looked.user_id == world.coordinator.id


def test_old_entries_are_removed_after_the_configured_period(app, world):
    case = world.case()
    foreign = world.case(user=world.outsider)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    app.config["ACCESS_TRAIL_RETENTION_DAYS"] = 30
    opened(world.advisor, case, now - timedelta(days=31))
    opened(world.other_advisor, foreign, now - timedelta(days=40))
    opened(world.advisor, case, now - timedelta(days=29))
    assert access_trail.remove_expired(now) == {world.musterstadt.id: 1, world.other.id: 1}
    left = db.session.scalars(select(CaseAccess)).all()
    assert [e.accessed_at for e in left] == [now - timedelta(days=29)]
    assert access_trail.remove_expired(now) == {}


def test_only_the_coordinator_reads_the_trail(client, world):
    login(client, world.facilitator)
    assert client.get("/admin/access-log.csv").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CaseAccess)) == 0


def test_the_pages_of_the_trail_issue_as_many_statements_for_few_and_many_entries(app, client, world):
    """The trail's page, its CSV and "who saw this case" on the case: a fixed number of statements
    (the CSV one more per batch of EXPORT_BATCH rows)."""
    from .test_query_counts import counted

    quiet, busy = world.case(title="Selten geöffnet"), world.case(title="Oft geöffnet")
    viewers = [world.user(f"fac{n}@mst.example", "facilitator", world.musterstadt, f"Person {n}") for n in range(12)]
    opened(world.advisor, quiet, datetime(2026, 6, 1, tzinfo=timezone.utc))
    for n, viewer in enumerate(viewers * 3):
        opened(viewer, busy, datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(minutes=n))
    login(client, world.coordinator)
    for few_url, many_url in ((f"/cases/{quiet.id}", f"/cases/{busy.id}"),
                              (f"/admin/access-log?case={quiet.reference}", f"/admin/access-log?case={busy.reference}"),
                              (f"/admin/access-log.csv?case={quiet.reference}", f"/admin/access-log.csv?case={busy.reference}")):
        with counted(app) as few:
            assert client.get(few_url).status_code == 200
        with counted(app) as many:
            assert client.get(many_url).status_code == 200
        assert len(few) == len(many), (few_url, few, many)
