"""Pseudonyms (issue 19): where a municipality says so, its advisors and partners read the persons
of its cases as "Person A", "Person B"… in every page, export, search and message; a facilitator
lifts it for one case with a reason, and restores it."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, PseudonymLift
from kokoma.services import analysis, cases, follow_ups, measures, permissions, pseudonyms, reviews
from kokoma.services.analysis_snapshot import Analysis
from kokoma.services.errors import PermissionDenied, ValidationError

from .conftest import PASSWORD

NAME = "Theodor Quandtmann"
REAL = re.compile(r"Quandtmann|Theodor", re.IGNORECASE)


def person_case(world, title=f"Beschwerde von {NAME}"):
    """A case of Musterstadt whose person, Theodor Quandtmann, is named in every kind of text."""
    case = world.case(title=title, description=f"Herr Quandtmann beschwert sich über Lärm.",
                      location="Bahnhofsvorplatz")
    user = world.facilitator
    analysis.add_item(user, case.id, "actor", {"name": NAME, "kind": "person", "role": "primary",
                                               "influence": "medium", "position": "Ruhe ab 22 Uhr",
                                               "affected": False, "anti_democratic": False})
    analysis.add_item(user, case.id, "actor", {"name": "Jugendliche am Platz", "kind": "group", "role": "primary",
                                               "influence": "low", "affected": True, "anti_democratic": False,
                                               "not_heard_reason": "Quandtmann wollte kein Treffen"})
    analysis.add_item(user, case.id, "actor", {"name": "Erika Zumsande", "kind": "person", "role": "third",
                                               "influence": "low", "affected": False, "anti_democratic": False})
    actors = Analysis(db.session.get(Case, case.id)).actors
    analysis.add_item(user, case.id, "relation", {"source_id": actors[0].id, "target_id": actors[1].id,
                                                  "kind": "conflict", "note": "Quandtmann ruft die Polizei"})
    analysis.add_item(user, case.id, "issue", {"text": "Ob Quandtmann Recht auf Ruhe hat", "kind": "interests"})
    analysis.add_item(user, case.id, "history", {"happened_on": date(2026, 10, 1),
                                                 "text": "Theodor Quandtmann schreibt an den Rat"})
    analysis.add_item(user, case.id, "resource", {"name": "Nachbarschaftsverein", "kind": "ally",
                                                  "note": "kennt Herrn Quandtmann"})
    analysis.assess(user, case.id, 3, "hot", "Quandtmann droht mit Anzeige")
    cases.add_comment(user, case.id, "Telefonat mit Quandtmann und Zumsande")
    world.measure(case, title="Gespräch mit Quandtmann", outcome="Quandtmann kam nicht", status="planned",
                  planned_at=datetime.now(timezone.utc) + timedelta(days=1),
                  responsible=f"user:{world.facilitator.id}")
    follow_ups.add_follow_up(user, case.id, follow_ups.FollowUpInput(date.today(), "Quandtmann anrufen", user.id))
    reviews.request_review(user, case.id, "Wie gehen wir mit Quandtmann um?")
    db.session.commit()
    return db.session.get(Case, case.id)


def pseudonymise(world, on=True):
    pseudonyms.save_settings(world.coordinator, on)


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_advisor_reads_persons_as_pseudonyms_on_the_case_page(client, world):
    case = person_case(world)
    pseudonymise(world)
    login(client, world.advisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert not REAL.search(page), REAL.search(page)
    assert "Person A" in page and "Person B" in page
    assert "Jugendliche am Platz" in page  # groups keep their names
