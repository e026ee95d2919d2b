"""The default workflow, its guards, and the pitfalls of `transitions` the engine is built around."""
import gc
import threading
import weakref
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, FollowUp
from kokoma.runtime import kokoma
from kokoma.services import cases, measures
from kokoma.services.errors import ValidationError
from kokoma.workflow import TransitionBlocked, WorkflowDefinition, WorkflowEngine, WorkflowError


def fire(world, case, trigger, comment="", user=None):
    first = world.first_monitoring() if trigger == "start_prevention" else None
    return cases.fire_trigger(user or world.facilitator, case.id, trigger, comment, None, first_follow_up=first).case


def to_processing(world, **fields):
    case = world.analysed_case(**fields)
    return fire(world, case, "start_processing")


def to_prevention(world):
    case = to_processing(world)
    world.measure(case)
    return fire(world, case, "start_prevention")


def test_a_new_case_starts_in_analysis(world):
    assert world.case().state == "analysis"


# What an incomplete analysis blocks: tests/test_analysis.py (test_no_processing_before_the_analysis_is_complete).


def test_start_processing_when_the_analysis_is_complete(world):
    assert to_processing(world).state == "processing"


def test_no_prevention_before_a_measure_is_done(world):
    case = to_processing(world)
    with pytest.raises(TransitionBlocked) as blocked:
        fire(world, case, "start_prevention")
    assert "Maßnahme" in blocked.value.reasons[0]
    planned = world.measure(case, kind="mediation", title="Mediation mit beiden Gruppen", status="planned",
                            outcome="", planned_at=datetime.now(timezone.utc) + timedelta(days=2))
    with pytest.raises(TransitionBlocked):  # planned is not done
        fire(world, case, "start_prevention")
    measures.update_measure(world.facilitator, case.id, planned.id, measures.MeasureInput(
        kind="mediation", title="Mediation mit beiden Gruppen", status="cancelled", outcome="abgesagt"))
    with pytest.raises(TransitionBlocked):  # nor is cancelled
        fire(world, case, "start_prevention")
    measures.update_measure(world.facilitator, case.id, planned.id, measures.MeasureInput(
        kind="mediation", title="Mediation mit beiden Gruppen", status="done", outcome="Einigung", effect="helped"))
    assert fire(world, case, "start_prevention").state == "prevention"


def test_entering_prevention_asks_for_the_first_monitoring_date(world):
    case = to_processing(world)
    world.measure(case)
    with pytest.raises(ValidationError) as refused:
        cases.fire_trigger(world.facilitator, case.id, "start_prevention", "", None)
    assert "follow_up_on" in refused.value.errors
    assert db.session.get(Case, case.id).state == "processing"
    fire(world, case, "start_prevention")
    follow_up = db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)).one()
    assert follow_up.assignee_id == world.facilitator.id and follow_up.status == "open"


@pytest.mark.parametrize("start", ["processing", "prevention"])
def test_close_needs_a_summary(world, start):
    case = to_processing(world) if start == "processing" else to_prevention(world)
    with pytest.raises(TransitionBlocked) as blocked:
        fire(world, case, "close", comment="   ")
    assert blocked.value.reasons == ["Bitte den Abschlussbericht schreiben."]  # one term for it
    assert fire(world, case, "close", comment="Konflikt beigelegt").state == "closed"


@pytest.mark.parametrize(
    "trigger, prepare, expected",
    [
        ("reanalyse", to_processing, "analysis"),
        ("reanalyse", to_prevention, "analysis"),
        ("reactivate", to_prevention, "processing"),
    ],
)
def test_back_triggers_require_a_comment(world, trigger, prepare, expected):
    case = prepare(world)
    with pytest.raises(TransitionBlocked) as blocked:
        fire(world, case, trigger)
    assert "Begründung" in blocked.value.reasons[0]
    assert fire(world, case, trigger, comment="Der Konflikt ist neu aufgeflammt").state == expected


def test_reopen_after_close(world):
    case = fire(world, to_processing(world), "close", comment="Erledigt")
    with pytest.raises(TransitionBlocked):
        fire(world, case, "reopen")
    assert fire(world, case, "reopen", comment="Neue Vorfälle").state == "analysis"


def test_an_impossible_trigger_names_the_state(world):
    case = world.analysed_case()
    with pytest.raises(TransitionBlocked) as blocked:
        fire(world, case, "close", comment="zu früh")
    assert "Analyse" in blocked.value.reasons[0]
    with pytest.raises(TransitionBlocked):
        fire(world, case, "no_such_trigger")


def test_every_state_change_writes_exactly_one_event(world):
    case = to_prevention(world)
    fire(world, case, "close", comment="Abschlussbericht")
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "transition").order_by(CaseEvent.id)
    ).all()
    assert [(e.from_state, e.to_state, e.trigger) for e in events] == [
        ("analysis", "processing", "start_processing"),
        ("processing", "prevention", "start_prevention"),
        ("prevention", "closed", "close"),
    ]
    assert events[-1].comment == "Abschlussbericht"
    assert all(e.actor_id == world.facilitator.id for e in events)


def test_a_blocked_trigger_writes_nothing(world):
    case = world.case()
    with pytest.raises(TransitionBlocked):
        fire(world, case, "start_processing")
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert kinds == ["created"]
    assert db.session.get(Case, case.id).version == 1


def test_options_list_allowed_and_blocked_triggers(world):
    case = world.case()
    options, failures = kokoma().workflow.options(case, world.facilitator)
    options = {o.transition.trigger: o for o in options}
    assert failures == []
    assert set(options) == {"start_processing", "refer"}  # refer: the default referral plugin's
    assert not options["start_processing"].allowed


# --- the pitfalls of `transitions` --------------------------------------------------------


def test_no_auto_transitions_bypass_the_guards(world):
    machine = kokoma().workflow.machine
    assert not any(name.startswith("to_") for name in machine.events)
    case = world.case()  # analysis incomplete
    with pytest.raises(TransitionBlocked):
        fire(world, case, "to_processing")
    assert not hasattr(case, "to_processing")


def test_one_machine_per_app_holds_no_cases(world):
    engine = kokoma().workflow
    case = to_processing(world)
    ref = weakref.ref(case)
    assert engine.machine.models == []
    assert not hasattr(case, "trigger") and not hasattr(case, "start_processing")
    db.session.expunge_all()
    del case
    gc.collect()
    assert ref() is None, "the workflow machine kept a case alive"


def test_the_machine_is_not_queued():
    definition = WorkflowDefinition()
    definition.add_state("waiting", "A", initial=True)
    definition.add_state("done", "B")
    definition.add_transition("go", "waiting", "done", "Go")
    engine = WorkflowEngine(definition, plugins=_NoPlugins(), reserved_names=set())
    assert engine.machine.has_queue is False


class _NoPlugins:
    def call_each(self, hook_name, **kwargs):
        return [], []

    def enabled(self, municipality_id):
        return set()


def test_concurrent_triggers_on_one_shared_machine_each_move_their_own_case():
    """With a queued shared machine a second thread's trigger would be run by the first (or
    reported as done while it was not); with queued=False each call runs its own transition."""
    definition = WorkflowDefinition()
    definition.add_state("waiting", "A", initial=True)
    definition.add_state("done", "B")
    barrier = threading.Barrier(8)

    def slow_guard(request):
        barrier.wait(timeout=5)  # all threads inside the machine at once
        return None

    definition.add_transition("go", "waiting", "done", "Go", guards=[slow_guard])
    engine = WorkflowEngine(definition, plugins=_NoPlugins(), reserved_names=set())

    class Token:
        state = "waiting"

    from kokoma.workflow import TransitionRequest

    tokens = [Token() for _ in range(8)]
    results = []
    threads = [
        threading.Thread(target=lambda t=t: results.append(engine.fire(TransitionRequest(t, "go", None)))) for t in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["waiting"] * 8
    assert [t.state for t in tokens] == ["done"] * 8


@pytest.mark.parametrize("name", ["title", "version", "state", "extra", "query"])
def test_a_workflow_name_that_clashes_with_a_case_attribute_is_refused(name):
    definition = WorkflowDefinition()
    definition.add_state("analysis", "A", initial=True)
    definition.add_state("other", "B")
    definition.add_transition(name, "analysis", "other", "clash")
    from kokoma.assembly import case_attribute_names

    with pytest.raises(WorkflowError, match="clash"):
        WorkflowEngine(definition, plugins=_NoPlugins(), reserved_names=case_attribute_names())


@pytest.mark.parametrize("name", ["to_closed", "is_open", "Bad", "x", "class"])
def test_names_transitions_would_shadow_are_refused(name):
    definition = WorkflowDefinition()
    with pytest.raises(WorkflowError):
        definition.add_state(name, "label")
