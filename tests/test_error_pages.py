"""Error pages a person can read, in the app's layout and the reader's language; a form that could
not be saved says so and keeps what was typed; with the database down for real (an app whose
database is a closed port), a 503 page that says the service is unavailable."""
import re
import socket

import pytest
from sqlalchemy import func, select

from kokoma import create_app
from kokoma.database import db
from kokoma.models import CaseEvent

from .conftest import PASSWORD, FreshContextClient, _test_config

HEADINGS = {
    400: ("Die Anfrage ließ sich nicht verarbeiten", "The request could not be processed"),
    403: ("Nicht erlaubt", "Not allowed"),
    404: ("Nicht gefunden", "Not found"),
    405: ("So nicht möglich", "Not possible this way"),
    413: ("Zu viel auf einmal", "Too much at once"),
    # A limited login answers 429 with the login form again, the e-mail kept and the reason said.
    429: ("Anmelden", "Log in"),
    500: ("Etwas ist schiefgegangen", "Something went wrong"),
}


def heading(page: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()


def test_every_error_page_is_readable_in_the_readers_language(make_app, world):
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")

    @app.get("/_test/fails")
    def fails():
        raise RuntimeError("a bug")

    app.testing = False  # answer 500 instead of raising into the test
    case = world.case()
    for language, index in (("de", 0), ("en", 1)):
        client = app.test_client()
        client.environ_base.update(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=f"10.0.0.{index + 1}")
        client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
        answers = {
            400: client.post("/language", data={"locale": "xx"}),
            403: client.get("/cases/new"),
            404: client.get("/nowhere"),
            405: client.get(f"/cases/{case.id}/comment"),
            413: client.post("/cases/", data="x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                             content_type="application/x-www-form-urlencoded"),
            500: client.get("/_test/fails"),
        }
        client.post("/logout")
        for _ in range(2):
            client.post("/login", data={"email": f"{language}@y.de", "password": "falsch"})
        answers[429] = client.post("/login", data={"email": f"{language}@y.de", "password": "falsch"})
        for code, response in answers.items():
            page = response.get_data(as_text=True)
            assert response.status_code == code
            assert heading(page) == HEADINGS[code][index], f"{code} in {language}"
            assert f'<html lang="{language}">' in page and 'class="site-header"' in page, f"{code}: not in the layout"
        assert "POST" in answers[405].headers["Allow"]
        assert ("Zu viele fehlgeschlagene Anmeldungen", "Too many failed logins")[index] in answers[429].get_data(as_text=True)


def test_a_form_whose_csrf_token_expired_says_to_reload_it_and_keeps_the_text(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    case = world.case()
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD, "csrf_token": token.group(1)})
    events = db.session.scalar(select(func.count()).select_from(CaseEvent))
    response = client.post(f"/cases/{case.id}/comment", data={"text": "Gespräch mit dem Ortsbeirat", "csrf_token": "alt"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "laden Sie das Formular neu" in page
    assert "Gespräch mit dem Ortsbeirat</textarea>" in page and "Kommentar" in page
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == events
    forged = client.post(f"/cases/{case.id}/comment", data={"text": "Rufen Sie 0800 an"},
                         headers={"Origin": "https://evil.example"})
    assert forged.status_code == 400 and "0800" not in forged.get_data(as_text=True)  # not shown in our layout


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens there once the socket is closed


@pytest.fixture
def app_without_database(tmp_path, closed_port):
    app = create_app(_test_config(f"postgresql+psycopg://kokoma@127.0.0.1:{closed_port}/kokoma", tmp_path / "down"))
    app.test_client_class = FreshContextClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_with_the_database_down_the_login_form_is_shown_again_with_a_503(app_without_database):
    client = app_without_database.test_client()
    assert client.get("/login").status_code == 200
    response = client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Datenbank" in page and 'value="fac@mst.example"' in page and PASSWORD not in page


def test_with_the_database_down_a_sent_form_says_it_was_not_saved_and_shows_what_was_typed(
    client, world, app_without_database
):
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    down = app_without_database.test_client()
    down.set_cookie("kokoma_session", client.get_cookie("kokoma_session").value)  # logged in, then the database went
    response = down.post("/cases/new", data={
        "title": "Proteste vor der Unterkunft", "category": "integration_migration",
        "description": "Seit Montag stehen jeden Abend Menschen vor dem Tor.", "version": "1",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert heading(page) == "Dienst nicht erreichbar" and "nicht gespeichert" in page
    assert "Proteste vor der Unterkunft</textarea>" in page
    assert "Seit Montag stehen jeden Abend Menschen vor dem Tor.</textarea>" in page
    assert ">Titel</label>" in page and ">Beschreibung</label>" in page
    response = down.get("/cases/")
    assert response.status_code == 503 and heading(response.get_data(as_text=True)) == "Dienst nicht erreichbar"
