"""The escalation score: sum of the plugins' factors, clamped to 0-100, with levels at 30/60/80."""
import textwrap

import pytest

from kokoma.domain import level_for
from kokoma.services import cases

from .conftest import World


@pytest.mark.parametrize(
    "score, level",
    [(0, "low"), (29, "low"), (30, "elevated"), (59, "elevated"), (60, "high"), (79, "high"), (80, "critical"), (100, "critical")],
)
def test_levels_start_at_30_60_and_80(score, level):
    assert level_for(score) == level


@pytest.mark.parametrize(
    "stage, violence, score, level",
    [(None, False, 0, "low"), (1, False, 5, "low"), (4, False, 30, "elevated"), (6, False, 55, "elevated"),
     (6, True, 75, "high"), (8, False, 80, "critical"), (9, True, 100, "critical")],
)
def test_the_default_plugin_scores_glasl_stage_and_violence(world, stage, violence, score, level):
    case = world.case(glasl_stage=stage, violence_reported=violence)
    assert (case.escalation_score, case.escalation_level) == (score, level)
    keys = [f["key"] for f in case.escalation_factors]
    assert keys == (["glasl_stage"] if stage else []) + (["violence_reported"] if violence else [])


def test_factors_carry_readable_reasons(world):
    case = world.case(glasl_stage=5, violence_reported=True)
    reasons = [f["reason"] for f in case.escalation_factors]
    assert reasons == ["Glasl-Stufe 5 (Gesichtsverlust)", "Gewalt oder Drohungen wurden gemeldet"]


def test_the_score_is_recomputed_on_edit(world):
    case = world.case(glasl_stage=2)
    data = cases.CaseInput(title=case.title, category=case.category, glasl_stage=7, violence_reported=True)
    case = cases.update_case(world.facilitator, case.id, case.version, data).case
    assert (case.escalation_score, case.escalation_level) == (85, "critical")


def test_the_sum_is_clamped_and_bad_factors_are_reported(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "extreme.py").write_text(textwrap.dedent('''
        from kokoma import hookimpl

        @hookimpl
        def kokoma_escalation_factors(case):
            if case.title == "negativ":
                return [("calm", -500, "Alles ruhig")]
            return [("huge", 500, "Sehr viel"), ("broken", "viel", "kein Integer")]
    '''))
    app = make_app(PLUGINS_DIR=str(folder))
    with app.test_request_context():
        world = World()
        change = cases.create_case(world.facilitator, cases.CaseInput(title="hoch", category="other", glasl_stage=9))
        assert change.case.escalation_score == 100
        assert [f.plugin for f in change.plugin_failures] == ["plugins/extreme"]
        assert "points" in change.plugin_failures[0].error
        low = cases.create_case(world.facilitator, cases.CaseInput(title="negativ", category="other", glasl_stage=9)).case
        assert (low.escalation_score, low.escalation_level) == (0, "low")
