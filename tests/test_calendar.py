"""The calendar feed per person (iCalendar): their measures and follow-ups behind a secret
address they can renew, with references and titles only."""
import re
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar

from kokoma.database import db
from kokoma.models import User
from kokoma.services import follow_ups, measures
from kokoma.services.calendar_feed import MEASURE_LENGTH

from .conftest import PASSWORD

WHEN = datetime(2030, 3, 4, 16, 0, tzinfo=timezone.utc)


def new_address(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    page = client.post("/tasks/calendar").get_data(as_text=True)
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page).group(1)
    return url.split("127.0.0.1:5000", 1)[-1]


def test_the_feed_holds_my_measures_and_follow_ups_with_references_and_titles_only(client, world):
    case = world.analysed_case(title="Streit am Bahnhof", description="Geheime Beschreibung",
                               parties="Familie Mustermann")
    measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="round_table", title="Runder Tisch", planned_at=WHEN, place="Rathaus",
        responsible=f"user:{world.facilitator.id}", participants="Familie Mustermann", status="planned"))
    measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="dialogue", title="Forum der Kollegin", planned_at=WHEN, responsible=f"user:{world.coordinator.id}"))
    follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
        date(2030, 3, 10), "Familie Mustermann anrufen", world.facilitator.id))
    path = new_address(client, world.facilitator)
    client.post("/logout")
    response = client.get(path)  # calendar programs have no login
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    calendar = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{case.reference}: Runder Tisch", f"{case.reference}: Wiedervorlage"}
    assert events[f"{case.reference}: Runder Tisch"].decoded("dtstart") == WHEN
    assert events[f"{case.reference}: Wiedervorlage"].decoded("dtstart") == date(2030, 3, 10)
    text = response.get_data(as_text=True)
    for secret in ("Geheime Beschreibung", "Mustermann", "Bahnhof"):
        assert secret not in text


def test_renewing_the_address_ends_the_old_one(client, world):
    old = new_address(client, world.facilitator)
    assert client.get(old).status_code == 200
    new = new_address(client, world.facilitator)
    assert new != old
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200
    assert len(db.session.get(User, world.facilitator.id).calendar_token_hash) == 64  # only a hash is kept


def test_an_unknown_or_deactivated_address_is_not_found(client, world):
    assert client.get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404
    path = new_address(client, world.facilitator)
    db.session.get(User, world.facilitator.id).active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_the_last_day_there_is_holds_a_measure_and_a_follow_up(client, world):
    """A date typed far ahead (9999-12-31) is an event of one day or of the measure's length: the
    feed gives lengths, not ends, which would lie past the last date Python knows."""
    case = world.analysed_case()
    last = datetime(9999, 12, 31, 23, 30, tzinfo=timezone.utc)
    measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="round_table", title="Runder Tisch", planned_at=last, responsible=f"user:{world.facilitator.id}"))
    follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
        date.max, "Nachfragen", world.facilitator.id))
    path = new_address(client, world.facilitator)
    response = client.get(path)
    assert response.status_code == 200
    events = {str(e["summary"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    measure, follow_up = events[f"{case.reference}: Runder Tisch"], events[f"{case.reference}: Wiedervorlage"]
    assert (measure.decoded("dtstart"), measure.decoded("duration")) == (last, MEASURE_LENGTH)
    assert (follow_up.decoded("dtstart"), follow_up.decoded("duration")) == (date.max, timedelta(days=1))
