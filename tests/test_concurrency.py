"""Two people moving the same case at once: one wins, the other is told; no update is lost."""
import re
import threading

import pytest
from sqlalchemy import func, select

from kokoma.database import db
from kokoma.models import Case, CaseEvent
from kokoma.services import cases
from kokoma.services.errors import ConflictError
from kokoma.workflow import TransitionBlocked


def test_a_stale_version_is_refused(world):
    case = world.analysed_case()
    seen_version = case.version
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", seen_version)
    with pytest.raises(ConflictError):
        cases.fire_trigger(world.coordinator, case.id, "reanalyse", "Neue Lage", seen_version)
    data = cases.CaseInput(title="Überschrieben?", category="other")
    with pytest.raises(ConflictError):
        cases.update_case(world.coordinator, case.id, seen_version, data)
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    assert (saved.state, saved.title) == ("processing", "Streit am Bahnhofsvorplatz")


def test_the_page_says_the_case_was_changed_meanwhile(client, auth, world):
    case = world.analysed_case()
    seen_version = case.version  # what the facilitator's page shows
    auth.login()
    cases.fire_trigger(world.coordinator, case.id, "start_processing", "", seen_version)
    response = client.post(f"/cases/{case.id}/transition",
                           data={"trigger": "start_processing", "comment": "Mein Kommentar", "version": seen_version})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "inzwischen" in page and "Mein Kommentar" in page


def test_an_edit_conflict_keeps_what_was_typed(client, auth, world):
    case = world.case()
    auth.login()
    cases.update_case(world.coordinator, case.id, 1, cases.CaseInput(title="Von Petra geändert", category="other"))
    response = client.post(f"/cases/{case.id}/edit", data={"title": "Mein Titel", "category": "polarisation", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'value="Mein Titel"' in page and "inzwischen" in page
    assert db.session.get(Case, case.id).title == "Von Petra geändert"


def test_racing_threads_never_lose_a_write(app, world):
    """Eight threads fire triggers on the same case from the same version: exactly one wins."""
    case = world.analysed_case()
    case_id, version = case.id, case.version
    users = [world.facilitator, world.coordinator] * 4
    outcomes = []
    barrier = threading.Barrier(len(users))

    def attempt(user_id):
        with app.app_context():
            from kokoma.models import User

            user = db.session.get(User, user_id)
            barrier.wait(timeout=10)
            try:
                cases.fire_trigger(user, case_id, "start_processing", "", version)
                outcomes.append("won")
            except ConflictError:
                outcomes.append("conflict")
            except TransitionBlocked:
                outcomes.append("blocked")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(u.id,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    db.session.expire_all()
    assert db.session.get(Case, case_id).version == version + 1
    transitions = db.session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "transition")
    )
    assert transitions == 1


def test_racing_case_creation_keeps_references_unique(app, world):
    results, barrier = [], threading.Barrier(6)

    def create(n):
        with app.app_context():
            from kokoma.models import User

            user = db.session.get(User, world.facilitator.id)
            barrier.wait(timeout=10)
            results.append(cases.create_case(user, cases.CaseInput(title=f"Fall {n}", category="other")).case.reference)
            db.session.remove()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r[-4:] for r in results) == [f"{n:04d}" for n in range(1, 7)]


def test_twenty_threads_on_ten_cases_lose_and_double_nothing(app, world):
    """20 threads fire transitions and edits on the same 10 cases; every refusal is a "changed
    meanwhile", and each case's state, version and trail agree with the attempts that won."""
    import random
    from collections import Counter

    from kokoma.models import User

    analysed = [world.analysed_case(title=f"Fall {n}") for n in range(10)]
    case_ids = [case.id for case in analysed]
    analysed_at = {case.id: case.version for case in analysed}  # the analysis moved the score: its versions
    won, refused, errors = Counter(), Counter(), []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def work(seed):
        rng = random.Random(seed)
        with app.app_context():
            user = db.session.get(User, world.facilitator.id if seed % 2 else world.coordinator.id)
            db.session.commit()  # hand the connection back to the pool while waiting for the others
            barrier.wait(timeout=30)
            for step in range(6):
                case_id = rng.choice(case_ids)
                db.session.rollback()  # a fresh look, as a new page load would give
                case = db.session.get(Case, case_id, populate_existing=True)
                version, state = case.version, case.state
                try:
                    if rng.random() < 0.3:
                        data = cases.CaseInput(title=case.title, category=case.category, glasl_stage=case.glasl_stage,
                                               location=f"Ort {seed}-{step}", facilitator_id=case.facilitator_id)
                        cases.update_case(user, case_id, version, data)
                        kind = "edited"
                    else:
                        trigger = "start_processing" if state == "analysis" else "reanalyse"
                        cases.fire_trigger(user, case_id, trigger, "Lageänderung", version)
                        kind = "transition"
                    with lock:
                        won[(case_id, kind)] += 1
                except ConflictError:
                    with lock:
                        refused[case_id] += 1
                except Exception as exc:  # noqa: BLE001 - anything else is a failure of the test
                    errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(won.values()) + sum(refused.values()) == 120
    db.session.expire_all()
    for case_id in case_ids:
        case = db.session.get(Case, case_id)
        trail = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
        moves = [e for e in trail if e.kind == "transition"]
        assert len(moves) == won[(case_id, "transition")]
        assert len([e for e in trail if e.kind == "edited"]) == won[(case_id, "edited")]
        state = "analysis"
        for move in moves:
            assert move.from_state == state
            state = move.to_state
        assert case.state == state
        assert case.version == analysed_at[case_id] + won[(case_id, "transition")] + won[(case_id, "edited")]


@pytest.mark.parametrize("version", [None, "", "zwei"])
def test_a_form_that_does_not_say_what_it_saw_is_refused_and_keeps_the_input(client, auth, world, version):
    """An edit, a transition or an assignment sent without the case's version (an old page, a
    hand-made request) cannot show that nobody changed the case since: refused as a conflict,
    with what was typed, and the case unchanged."""
    case = world.analysed_case()
    auth.login()
    extra = {} if version is None else {"version": version}
    edit = client.post(f"/cases/{case.id}/edit", data={"title": "Mein Titel", "category": "polarisation", **extra})
    move = client.post(f"/cases/{case.id}/transition",
                       data={"trigger": "start_processing", "comment": "Mein Kommentar", **extra})
    assign = client.post(f"/cases/{case.id}/assign",
                         data={"facilitator_id": str(world.facilitator.id), "advisor_id": str(world.advisor.id), **extra})
    for response, typed in ((edit, 'value="Mein Titel"'), (move, "Mein Kommentar"),
                            (assign, f'selected value="{world.advisor.id}"')):
        page = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "Dieses Formular sagte nicht, von welchem Stand es ausging." in page and typed in page
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    assert (saved.title, saved.state, saved.advisor_id) == ("Streit am Bahnhofsvorplatz", "analysis", None)


def test_after_an_assignment_conflict_sending_again_saves(client, auth, world):
    """The refused form comes back with the case's current version: the person, having seen the
    case as it stands, can send their choice again."""
    case = world.case()
    auth.login()
    seen = case.version
    cases.update_case(world.coordinator, case.id, seen, cases.CaseInput(title="Von Petra geändert", category="other"))
    choice = {"facilitator_id": str(world.facilitator.id), "advisor_id": str(world.advisor.id)}
    refused = client.post(f"/cases/{case.id}/assign", data={**choice, "version": str(seen)})
    assert refused.status_code == 409
    shown = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"',
                      refused.get_data(as_text=True).split('id="assign"')[1])
    again = client.post(f"/cases/{case.id}/assign", data={**choice, "version": shown.group(1) or shown.group(2)})
    assert again.status_code == 302
    assert db.session.get(Case, case.id).advisor_id == world.advisor.id
