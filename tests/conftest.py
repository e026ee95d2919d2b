"""Fixtures in the manner of Flask's tutorial: ``app``, ``client``, ``runner`` and ``auth``.

The tests run on SQLite by default and on PostgreSQL when ``KOKOMA_TEST_DATABASE_URL`` names
one (``.ci/run`` does both). The schema is built once per run by the Alembic migrations; each
test starts from empty tables.
"""
import os
import re
import threading
from datetime import date, timedelta

import pytest
from flask_migrate import upgrade

from kokoma import create_app
from kokoma.database import db
from kokoma.models import Case
from kokoma.services import accounts, analysis, cases, follow_ups, measures
from kokoma.services.analysis_snapshot import Analysis
from kokoma.testing import TEST_PASSWORD as PASSWORD
from kokoma.testing import (FreshContextClient, add_actors, app_test_config, complete_analysis, empty_tables,
                            reset_postgresql)

TEST_DATABASE_URL = os.environ.get("KOKOMA_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        reset_postgresql(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "kokoma.sqlite")
    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


_test_config = app_test_config


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app with extra configuration (a plugins folder, say); tables are emptied after."""
    apps = []

    def factory(**overrides):
        app = create_app(_test_config(database_url, tmp_path, **overrides))
        app.test_client_class = FreshContextClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        if app.extensions["kokoma"].dispatcher is not None:
            app.extensions["kokoma"].dispatcher.stop()
        with app.app_context():
            _empty_tables()
            db.engine.dispose()


_empty_tables = empty_tables


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def mail_port():
    from .channels import free_port

    return free_port()


@pytest.fixture
def sink(mail_port):
    """The SMTP server of the mail tests, on loopback (tests/channels.py)."""
    from .channels import MailSink

    server = MailSink(mail_port).start()
    yield server
    server.stop()


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class World:
    """Two municipalities with a facilitator and a coordinator each, made through the services."""

    def __init__(self):
        self.musterstadt = accounts.create_municipality("MST", "Stadt Musterstadt")
        self.other = accounts.create_municipality("BHN", "Gemeinde Beispielhausen")
        self.facilitator = self.user("fac@mst.example", "facilitator", self.musterstadt, "Jonas Albrecht")
        self.coordinator = self.user("coord@mst.example", "coordinator", self.musterstadt, "Petra Lindner")
        self.outsider = self.user("fac@bhn.example", "facilitator", self.other, "Markus Vogt")
        self.admin = self.user("admin@kokoma.example", "admin", None, "Sven Admin")
        self.advisor = self.user("advisor@spi.example", "advisor", None, "Lena Hoffmann")
        self.other_advisor = self.user("advisor-bhn@spi.example", "advisor", None, "Kai Berger")
        accounts.assign_advisor(self.admin, self.advisor.id, self.musterstadt.id)
        accounts.assign_advisor(self.admin, self.other_advisor.id, self.other.id)

    @staticmethod
    def user(email, role, municipality, name="Test Person"):
        return accounts.create_user(email=email, name=name, password=PASSWORD, role=role, municipality=municipality)

    def case(self, user=None, *, parties="", affected_groups="", **fields):
        """A case logged through the services; ``parties`` and ``affected_groups`` (comma-separated
        names) become actors of its analysis."""
        data = {"title": "Streit am Bahnhofsvorplatz", "category": "public_space", **fields}
        case = cases.create_case(user or self.facilitator, cases.CaseInput(**data)).case
        self.actors(case, parties, affected_groups, user)
        return case

    def actors(self, case, parties="", affected_groups="", user=None):
        return add_actors(case, parties, affected_groups, user or self.facilitator)

    def analysed_case(self, user=None, **fields):
        """A case whose analysis is complete: two actors (one an affected group, heard), an issue
        in dispute and a Glasl assessment."""
        fields = {"parties": "Anwohnende", "affected_groups": "Jugendliche", "glasl_stage": 3, **fields}
        case = self.case(user, **fields)
        return complete_analysis(case, user or self.facilitator)

    def complete_analysis(self, case, user=None):
        complete_analysis(case, user or self.facilitator)

    def measure(self, case, user=None, **fields):
        """A measure on ``case``: done, unless ``status`` (and ``planned_at``) say otherwise."""
        data = {"kind": "round_table", "title": "Runder Tisch im Rathaus", "status": "done",
                "outcome": "Alle waren da.", **fields}
        return measures.add_measure(user or self.facilitator, case.id, measures.MeasureInput(**data)).measure

    def first_monitoring(self, days: int = 14, user=None):
        """The first monitoring date that entering prevention asks for."""
        return follow_ups.FollowUpInput(date.today() + timedelta(days=days), "Monitoring", (user or self.facilitator).id)


@pytest.fixture
def world(ctx):
    return World()


def at_once(app, work, threads: int = 2) -> None:
    """Run ``work`` in several threads at the same moment, each in an app context of its own (as
    separate workers would), and wait for all of them."""
    start = threading.Barrier(threads)

    def run():
        with app.app_context():
            start.wait(timeout=10)
            try:
                work()
            finally:
                db.session.remove()

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=90)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email="fac@mst.example", password=PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def seen_on(client, url: str) -> str:
    """The saved state that the edit form on ``url`` carries (its hidden "seen" field,
    web.forms.ShowsSavedState), to send back as a browser does."""
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="(?:[\w-]+-)?seen" type="hidden" value="([^"]*)"', page).group(1)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure (screenshots)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def kokoma_database_url(database_url):
    """The author fixtures of kokoma.testing (tests/test_example_plugin.py) use this run's database."""
    return database_url
