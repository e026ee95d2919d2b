"""A person's request: find every passage naming a person in the municipality's cases, export it
(HTML, JSON), erase or pseudonymise it with the reason recorded; afterwards the name is found
nowhere: not in cases, events, reviews, exports, nor in an e-mail still queued."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from kokoma import notifications
from kokoma.database import db, utcnow, write_transaction
from kokoma.models import Case, CaseAccess, CaseStudy, Delivery, Partner, PersonRequest
from kokoma.runtime import kokoma
from kokoma.services import cases, digest, measures, person_requests, retention, reviews, search, studies
from kokoma.services.analysis_snapshot import Analysis
from kokoma.services.errors import ValidationError

from .channels import MailSink, free_port
from .conftest import PASSWORD
from .privacy_support import name_in_every_record, stored_texts
from .test_studies import LESSONS, closed_case

NAME = "Karla Brandtner"


def naming_case(world, user=None):
    user = user or world.facilitator
    case = world.analysed_case(user=user, title="Streit am Spielplatz", description=f"Beschwerde von {NAME}",
                               parties=f"{NAME}, Jugendliche")
    cases.add_comment(user, case.id, "Telefonat mit karla brandtner am Montag")
    cases.update_case(user, case.id, db.session.get(Case, case.id).version, cases.CaseInput(
        title="Streit am Spielplatz", category="public_space", description=f"Beschwerde von {NAME} (ergänzt)",
        glasl_stage=3))
    reviews.request_review(user, case.id, f"Sollen wir {NAME} einladen?")
    return name_in_every_record(world, case, NAME, user)


def everything_stored(case_id=None) -> str:
    """Every text of every record of a case (or of all cases) and of the outboxes, as one string."""
    return stored_texts(case_id)


def actor_names(case_id) -> set[str]:
    return {actor.name for actor in Analysis(db.session.get(Case, case_id)).actors}


def test_find_lists_every_passage_in_the_own_municipality(world):
    case = naming_case(world)
    foreign = naming_case(world, user=world.outsider)
    found = person_requests.find(world.coordinator, "karla BRANDTNER")
    assert {f.case_id for f in found} == {case.id} and foreign.id not in {f.case_id for f in found}
    assert {(f.kind, f.field) for f in found} == {
        ("case", "description"), ("event", "comment"), ("event", "payload"), ("review", "question"),
        ("analysis", "carried_over_parties"), ("analysis", "carried_over_affected"), ("analysis", "extra"),
        ("actor", "name"), ("actor", "position"), ("actor", "interests"), ("actor", "fears"),
        ("actor", "not_heard_reason"), ("relation", "note"), ("issue", "text"), ("history", "text"),
        ("history", "source"), ("hearing", "summary"), ("resource", "name"), ("resource", "note"),
        ("glasl", "rationale"), ("referral", "reason"), ("referral", "decision_note"), ("measure", "title"),
        ("measure", "place"), ("measure", "participants"), ("measure", "outcome"), ("follow_up", "what"),
        ("follow_up", "note"), ("person_name", "name")}
    assert all(f.label in person_requests.FIELD_LABELS for f in found)
    with pytest.raises(ValidationError):
        person_requests.find(world.coordinator, "ab")


@pytest.mark.parametrize("mode", ["erase", "pseudonymise"])
def test_after_the_request_the_name_is_found_nowhere(world, mode):
    case = naming_case(world)
    foreign = naming_case(world, user=world.outsider)
    done = person_requests.carry_out(world.coordinator, NAME, mode, "Antrag nach Art. 17 vom 1.12.2026")
    assert (done.cases_changed, done.mode) == (1, mode) and done.records_changed >= 4
    assert "karla brandtner" not in everything_stored(case.id).lower()
    assert NAME in everything_stored(foreign.id)  # the other municipality's case is not touched
    assert person_requests.find(world.coordinator, NAME) == []
    own = db.session.get(Case, case.id)
    assert NAME not in own.description
    names = actor_names(case.id)
    replacement = "[…]" if mode == "erase" else next(n for n in names if n.startswith("Person-"))
    assert {replacement, f"Familie von {replacement}", "Jugendliche"} <= names
    if mode == "pseudonymise":
        assert replacement in own.description
    assert NAME in actor_names(foreign.id)
    record = db.session.scalars(select(PersonRequest)).one()
    assert record.reason == "Antrag nach Art. 17 vom 1.12.2026" and NAME not in record.reason


def test_a_queued_mail_no_longer_names_the_person(make_app, world):
    port = free_port()
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SECURITY="none")
    with app.test_request_context():
        db.session.add(Partner(municipality_id=world.musterstadt.id, name="Runder Tisch", email="rt@mst.example",
                               share_details=True))
        db.session.commit()
        case = naming_case(world)
        morning = datetime.combine(date.today(), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=7)
        measures.add_measure(world.facilitator, case.id, measures.MeasureInput(  # in the facilitator's digest
            kind="round_table", title=f"Hausbesuch bei {NAME}", planned_at=morning - timedelta(days=1),
            responsible=f"user:{world.facilitator.id}", status="planned"))
        mails = select(func.count()).select_from(Delivery).where(Delivery.channel == "email")
        queued = db.session.scalar(mails.where(Delivery.status == "pending"))
        assert queued > 0
        person_requests.carry_out(world.coordinator, NAME, "erase", "Antrag vom 1.12.2026")
        sink = MailSink(port).start()
        try:
            notifications.deliver_due(kokoma().plugins)
            digests = digest.send_digests(morning)
        finally:
            sink.stop()
        assert db.session.scalar(mails.where(Delivery.status == "sent")) == queued
    assert digests >= 1 and len(sink.messages) == queued + digests
    bodies = " ".join(m.get_body(("plain",)).get_content() for m in sink.messages)
    assert "Streit am Spielplatz" in bodies and "Beschwerde von […]" in bodies and "Brandtner" not in bodies
    assert "Hausbesuch bei […]" in bodies  # the digest, put together after the erasure


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_request_from_search_to_export_and_erasure_over_http(client, world):
    case = naming_case(world)
    login(client, world.coordinator)
    assert client.get("/privacy/person").status_code == 200
    short = client.post("/privacy/person", data={"name": "Ka"})
    assert short.status_code == 422 and 'id="name-error"' in short.get_data(as_text=True)
    found = client.post("/privacy/person", data={"name": NAME}, headers={"Accept-Language": "en"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and case.reference in html and "passages found" in html
    as_json = client.post("/privacy/person/export", data={"name": NAME, "format": "json"})
    export = json.loads(as_json.get_data(as_text=True))
    assert export["name"] == NAME and len(export["cases"][case.reference]) >= 5
    assert "attachment" in as_json.headers["Content-Disposition"]
    as_html = client.post("/privacy/person/export", data={"name": NAME, "format": "html"}).get_data(as_text=True)
    assert f"Beschwerde von {NAME}" in as_html and "<html" in as_html
    no_reason = client.post("/privacy/person/erase", data={"name": NAME, "mode": "erase", "reason": ""})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.get_data(as_text=True)
    assert NAME in actor_names(case.id)
    erased = client.post("/privacy/person/erase", data={"name": NAME, "mode": "erase", "reason": "Antrag vom 1.12."})
    assert erased.status_code == 302
    db.session.expire_all()
    assert NAME not in everything_stored()
    after = client.post("/privacy/person/export", data={"name": NAME, "format": "json"}).get_data(as_text=True)
    assert json.loads(after)["cases"] == {}
    assert NAME not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    # Each search and export is in the access trail, with the passages counted and no name.
    searches = db.session.execute(select(CaseAccess.action, CaseAccess.query).where(
        CaseAccess.action.in_(("person_search", "person_export"))).order_by(CaseAccess.id)).all()
    assert [a for a, _q in searches] == ["person_search", "person_export", "person_export", "person_search",
                                         "person_export"]
    assert searches[1][1]["passages"] >= 5 and searches[-1][1] == {"passages": 0}
    assert "Brandtner" not in json.dumps([q for _a, q in searches])


def test_only_the_coordinator_handles_requests(client, world):
    naming_case(world)
    login(client, world.facilitator)
    for method, url in (("GET", "/privacy/person"), ("POST", "/privacy/person"), ("POST", "/privacy/person/export"),
                        ("POST", "/privacy/person/erase")):
        assert client.open(url, method=method, data={"name": NAME, "mode": "erase", "reason": "x"}).status_code == 403
    assert NAME in everything_stored()


def test_a_case_study_naming_the_person_is_found_exported_and_cleared(client, world):
    """A case study can name a person in its lessons, or in the reason it was withdrawn for
    (someone recognised themselves): the request finds it by the study's own municipality, exports
    it and clears it, the library's search words with it."""
    case = closed_case(world)
    study = studies.release(world.facilitator, case.id, f"{LESSONS} Frau {NAME} hat früh vermittelt.", True)
    studies.withdraw(world.coordinator, study.id, f"{NAME} hat sich in der Fallstudie wiedererkannt")
    with write_transaction() as session:  # another municipality's study naming the same person
        foreign = CaseStudy(municipality_id=world.other.id, category="public_space", duration_days=3,
                            lessons=f"Gespräch mit {NAME}", search_words=search.word_forms(f"Gespräch mit {NAME}"))
        session.add(foreign)
    found = person_requests.find(world.coordinator, "karla brandtner")
    assert [(f.kind, f.record_id, f.case_id, f.reference, f.field) for f in found] == [
        ("study", study.id, case.id, case.reference, "lessons"),
        ("study", study.id, case.id, case.reference, "withdrawals")]
    assert {f.label for f in found} <= set(person_requests.FIELD_LABELS)

    login(client, world.coordinator)
    page = client.post("/privacy/person", data={"name": NAME}).get_data(as_text=True)
    assert f'href="/studies/{study.id}"' in page and "Lehren aus einer Fallstudie" in page
    assert "Grund, aus dem eine Fallstudie zurückgezogen wurde" in page
    export = json.loads(client.post("/privacy/person/export", data={"name": NAME, "format": "json"}).get_data(as_text=True))
    assert export["cases"] == {} and [p["field"] for p in export["studies"][str(study.id)]] == ["lessons", "withdrawals"]
    report = client.post("/privacy/person/export", data={"name": NAME, "format": "html"}).get_data(as_text=True)
    assert f"Anonymisierte Fallstudie Nr. {study.id}" in report and "wiedererkannt" in report

    erased = client.post("/privacy/person/erase", data={"name": NAME, "mode": "erase", "reason": "Antrag vom 1.12."})
    assert erased.status_code == 302
    db.session.expire_all()
    cleared = db.session.get(CaseStudy, study.id)
    assert NAME not in cleared.lessons and "[…]" in cleared.lessons
    assert [w["reason"] for w in cleared.withdrawals] == ["[…] hat sich in der Fallstudie wiedererkannt"]
    assert "brandtner" not in cleared.search_words and "vermittelt" in cleared.search_words
    assert db.session.get(CaseStudy, foreign.id).lessons == f"Gespräch mit {NAME}"
    assert person_requests.find(world.coordinator, NAME) == []
    done = db.session.scalars(select(PersonRequest).order_by(PersonRequest.id.desc())).first()
    assert (done.cases_changed, done.records_changed) == (1, 1)  # the study hangs on its case


def test_a_released_case_study_whose_case_was_deleted_is_still_found(client, world):
    case_id = closed_case(world).id  # ids only: the case's object goes with its row
    study_id = studies.release(world.facilitator, case_id, f"{LESSONS} Dank an {NAME}.", True).id
    retention.save_settings(world.coordinator, None, 30)
    retention.apply(world.musterstadt.id, utcnow() + timedelta(days=31))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.id == case_id)) == 0
    found = person_requests.find(world.coordinator, NAME)
    assert [(f.kind, f.record_id, f.case_id, f.reference, f.field) for f in found] == [
        ("study", study_id, None, "", "lessons")]
    login(client, world.coordinator)
    page = client.post("/privacy/person", data={"name": NAME}, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<a href="/studies/{study_id}">Case study</a>' in page
    assert client.get(f"/studies/{study_id}").status_code == 200
    person_requests.carry_out(world.coordinator, NAME, "pseudonymise", "Antrag vom 1.12.")
    assert NAME not in db.session.get(CaseStudy, study_id).lessons


@pytest.mark.parametrize("name", ["   ", " ab ", "\t\t\t", "a  "])
def test_a_name_of_spaces_is_refused_at_its_field_on_every_form(client, world, name):
    naming_case(world)
    login(client, world.coordinator)
    for path, data in (("/privacy/person", {}), ("/privacy/person/export", {"format": "json"}),
                       ("/privacy/person/erase", {"mode": "erase", "reason": "Antrag vom 1.12."})):
        response = client.post(path, data={"name": name, **data})
        assert response.status_code == 422, path
        assert 'id="name-error"' in response.get_data(as_text=True)
    assert NAME in everything_stored()
