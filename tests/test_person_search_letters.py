"""A person's request finds a name without regard to the case of any letter, not only A-Z:
SQLite's own lower() and LIKE fold ASCII only (kokoma.database.lowered), on SQLite and PostgreSQL,
in text columns and in JSON ones (an edit's old and new texts in an event's payload)."""
import pytest
from sqlalchemy import literal, select

from kokoma.database import db, lowered
from kokoma.models import Case
from kokoma.services import cases, person_requests


def test_lowered_lowers_every_letter_on_this_database(ctx):
    assert db.session.scalar(select(lowered(literal("ÄRGER mit ÖZDEMIR, Straße")))) == "ärger mit özdemir, straße"
    assert db.session.scalar(select(lowered(literal(None, type_=db.String)))) is None
    if db.engine.dialect.name == "sqlite":  # SQLite keeps JSON ASCII-escaped: an emoji is two escapes
        escaped = '["\\ud83d\\ude00 \\u00d6ZDEMIR", "\\ud800"]'
        assert db.session.scalar(select(lowered(literal(escaped)))) == '["\U0001f600 özdemir", "\ufffd"]'


def naming_case(world):
    case = world.analysed_case(title="ÄRGER im Hof", description="Beschwerde von Ahmet Özdemir")
    cases.update_case(world.facilitator, case.id, db.session.get(Case, case.id).version, cases.CaseInput(
        title="ÄRGER im Hof", category="public_space", description="Beschwerde von Ahmet Özdemir (ergänzt)",
        glasl_stage=3))
    world.case(user=world.outsider, title="Brief von Özdemir")  # another municipality
    return case


@pytest.mark.parametrize("typed", ["özdemir", "ÖZDEMIR", "Özdemir"])
def test_a_name_with_umlauts_is_found_in_any_case(world, typed):
    case = naming_case(world)
    found = {(f.kind, f.field) for f in person_requests.find(world.coordinator, typed)}
    assert found == {("case", "description"), ("event", "payload")}  # the payload: the edit's old and new text
    assert {f.case_id for f in person_requests.find(world.coordinator, typed)} == {case.id}


def test_an_upper_case_word_is_found_by_its_lower_case(world):
    case = naming_case(world)
    (finding,) = person_requests.find(world.coordinator, "ärger")
    assert (finding.case_id, finding.field, finding.text) == (case.id, "title", "ÄRGER im Hof")


def test_the_erasure_reaches_what_the_search_finds(world):
    case = naming_case(world)
    person_requests.carry_out(world.coordinator, "özdemir", "erase", "Antrag vom 1.12.2026")
    assert person_requests.find(world.coordinator, "Özdemir") == []
    assert db.session.get(Case, case.id).description == "Beschwerde von Ahmet […] (ergänzt)"
