"""The shipped example plugin (plugins/public_visibility), tested on the fixtures KoKoMa ships
for plugin authors (kokoma.testing): its factor, its setting and its German catalogue."""
from pathlib import Path

import pytest

from kokoma.services import plugins

EXAMPLE = {"PLUGINS_DIR": str(Path(__file__).resolve().parent.parent / "plugins"), "LOAD_ENTRYPOINT_PLUGINS": False}


@pytest.mark.parametrize("kokoma_app", [EXAMPLE], indirect=True)
def test_national_media_score_as_the_coordinator_set_it(kokoma_app, kokoma_make_case, kokoma_users):
    case = kokoma_make_case(extra={"public_visibility": "national"})
    assert [(f["key"], f["points"]) for f in case.escalation_factors] == [("public_visibility", 15)]
    plugins.save_settings(kokoma_users.coordinator, "public_visibility", {"national_points": "25"})
    case = kokoma_make_case(extra={"public_visibility": "national"})
    assert [(f["key"], f["points"]) for f in case.escalation_factors] == [("public_visibility", 25)]


@pytest.mark.parametrize("kokoma_app", [EXAMPLE], indirect=True)
def test_its_strings_show_in_german_and_english(kokoma_app, kokoma_make_case, kokoma_users, kokoma_login):
    case = kokoma_make_case(extra={"public_visibility": "local"})
    client = kokoma_login(kokoma_users.facilitator)
    german = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<dt>Öffentliche Sichtbarkeit</dt><dd>lokale Öffentlichkeit (Nachbarschaft, Lokalpresse)</dd>" in german
    client.post("/language", data={"locale": "en"})
    english = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<dt>Public visibility</dt><dd>local public (neighbourhood, local press)</dd>" in english


@pytest.mark.parametrize("kokoma_app", [EXAMPLE], indirect=True)
def test_the_captured_channel_gets_the_event_s_snapshot(kokoma_app, kokoma_channel, kokoma_partner, kokoma_make_case,
                                                         kokoma_fire, kokoma_run_worker):
    case = kokoma_make_case(parties="Anwohnende", affected_groups="Jugendliche", glasl_stage=3, analysed=True)
    kokoma_fire(case, "start_processing")
    kokoma_run_worker()
    assert [(m.kind, m.snapshot["state"]) for m in kokoma_channel.messages] == [
        ("created", "analysis"), ("transition", "processing")]
