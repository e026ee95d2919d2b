"""Pytest fixtures for plugin authors, shipped with KoKoMa (entry point ``pytest11``: they are there
in every pytest run of an environment that has KoKoMa installed). All are named ``kokoma_*``.

Which plugins the app loads: the modules named by the ini option ``kokoma_plugins`` (e.g. in
``pyproject.toml``: ``[tool.pytest.ini_options] kokoma_plugins = ["kokoma_hotline"]``), or, without
it, every installed plugin (entry point group ``kokoma``). The database is SQLite in a temporary
folder, or ``KOKOMA_TEST_DATABASE_URL`` (wiped); it is migrated once per run, the plugins' own
migrations too, and emptied after each test.

- ``kokoma_app``: the app, with a request context open for the test (services can be called);
- ``kokoma_client``: its test client; ``kokoma_login(user)`` logs a user in on it;
- ``kokoma_municipality``: "Teststadt" (code ``TST``); ``kokoma_users``: a ``facilitator``, a
  ``coordinator``, an ``advisor`` assigned to it and an ``admin``;
- ``kokoma_make_case(**fields)``: logs a case as the facilitator (``CaseInput`` fields);
- ``kokoma_fire(case, trigger, comment="", user=None)``: fires a trigger, returns the case;
- ``kokoma_partner``: a partner subscribed to everything; ``kokoma_run_worker()``: delivers what
  is due once, returns the attempts;
- ``kokoma_channel``: a captured channel: ``kokoma_channel.messages`` lists what it was given.
"""
import os
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from .plugin_api import Plugin
from .plugin_host import hookimpl

TEST_PASSWORD = "Wolkenkratzer summt leise 47"


def app_test_config(url: str, instance, **overrides) -> dict:
    """The configuration of an app under test: its own instance folder, no background worker,
    no CSRF, cheap password hashing, webhooks to loopback allowed."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-only",
        "SQLALCHEMY_DATABASE_URI": url,
        "PLUGINS_DIR": None,
        "LOAD_ENTRYPOINT_PLUGINS": False,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,  # the test client speaks HTTP
        "NOTIFY_BACKGROUND_WORKER": False,  # tests deliver explicitly, with deliver_due()
        "WEBHOOK_ALLOW_INTERNAL": True,  # test receivers listen on 127.0.0.1
        # Cheap hashing keeps tests fast; production uses argon2-cffi's defaults.
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        "ATTACHMENT_ROTATION_GRACE_SECONDS": 0,
    }
    config.update(overrides)
    return config


def reset_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def empty_tables() -> None:
    """Delete every row of KoKoMa's tables and of the loaded plugins' own tables."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import text

    from .database import db
    from .runtime import kokoma

    metadatas = [db.metadata] + [p.declaration.metadata for p in kokoma().plugins.plugins.values()
                                 if p.declaration and p.declaration.metadata is not None]
    existing = set(sa_inspect(db.engine).get_table_names()) if len(metadatas) > 1 else set()
    for metadata in reversed(metadatas):
        tables = [t for t in reversed(metadata.sorted_tables) if metadata is db.metadata or t.name in existing]
        if not tables:
            continue
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(table.delete())
    db.session.commit()


try:
    from flask.testing import FlaskClient
except ImportError:  # pragma: no cover
    FlaskClient = object


class FreshContextClient(FlaskClient):
    """Each request in its own application context, as in production: its own database session
    and ``g``, even while a test holds a context open to call services. Afterwards the test's
    session starts afresh, so it sees what the request wrote."""

    def open(self, *args, **kwargs):
        from flask import has_app_context

        from .database import db

        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.commit()  # end the test's read snapshot ...
            db.session.expire_all()  # ... and reload what it had loaded
        return response


@dataclass
class CapturedChannel:
    """A channel that keeps what it is given: one message per delivery, with the event's snapshot."""

    messages: list = field(default_factory=list)
    KOKOMA_PLUGIN = Plugin(name="captured", channel="captured", description="Captured channel (tests)")
    __name__ = "kokoma.testing.captured"

    @hookimpl
    def kokoma_notify_partners(self, case, event, partners, delivery):
        for partner in partners:
            self.messages.append(SimpleNamespace(
                reference=case.reference, kind=event.kind, trigger=event.trigger, partner=partner.name,
                snapshot=dict(event.snapshot or {}), idempotency_key=delivery.idempotency_key,
            ))
        return True


def pytest_addoption(parser):
    parser.addini("kokoma_plugins", "modules of the KoKoMa plugins the kokoma_app fixture loads", type="args")


@pytest.fixture(scope="session")
def kokoma_plugin_modules(pytestconfig) -> list[str]:
    """The plugin modules to load (ini ``kokoma_plugins``); empty: every installed plugin."""
    return list(pytestconfig.getini("kokoma_plugins") or [])


def _plugin_config(modules, **overrides) -> dict:
    return {"EXTRA_PLUGINS": list(modules), "LOAD_ENTRYPOINT_PLUGINS": not modules, **overrides}


@pytest.fixture(scope="session")
def kokoma_database_url(tmp_path_factory, kokoma_plugin_modules):
    from flask_migrate import upgrade

    from . import create_app
    from .database import db
    from .plugin_tables import upgrade_plugins

    url = os.environ.get("KOKOMA_TEST_DATABASE_URL")
    if url:
        reset_postgresql(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("kokoma-db") / "kokoma.sqlite")
    app = create_app(app_test_config(url, tmp_path_factory.mktemp("kokoma-instance"), **_plugin_config(kokoma_plugin_modules)))
    with app.app_context():
        upgrade()
        upgrade_plugins()
        db.engine.dispose()
    return url


@pytest.fixture
def kokoma_channel():
    return CapturedChannel()


@pytest.fixture
def kokoma_app(request, kokoma_database_url, kokoma_plugin_modules, tmp_path):
    from . import create_app
    from .database import db

    modules = list(kokoma_plugin_modules)
    extra = [request.getfixturevalue("kokoma_channel")] if "kokoma_channel" in request.fixturenames else []
    config = _plugin_config(modules, **getattr(request, "param", {}))
    config["EXTRA_PLUGINS"] = modules + extra
    if extra and not modules:
        config["LOAD_ENTRYPOINT_PLUGINS"] = True
    app = create_app(app_test_config(kokoma_database_url, tmp_path, **config))
    app.test_client_class = FreshContextClient
    with app.test_request_context():
        yield app
        db.session.rollback()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def kokoma_client(kokoma_app):
    return kokoma_app.test_client()


@pytest.fixture
def kokoma_login(kokoma_client):
    def login(user, password: str = TEST_PASSWORD):
        response = kokoma_client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "the login failed"
        return kokoma_client

    return login


@pytest.fixture
def kokoma_municipality(kokoma_app):
    from .services import accounts

    return accounts.create_municipality("TST", "Teststadt")


@pytest.fixture
def kokoma_users(kokoma_municipality):
    from .services import accounts

    def user(email, role, municipality, name):
        return accounts.create_user(email=email, name=name, password=TEST_PASSWORD, role=role, municipality=municipality)

    users = SimpleNamespace(
        facilitator=user("facilitator@tst.example", "facilitator", kokoma_municipality, "Fiona Facilitator"),
        coordinator=user("coordinator@tst.example", "coordinator", kokoma_municipality, "Conrad Coordinator"),
        advisor=user("advisor@spi.example", "advisor", None, "Ada Advisor"),
        admin=user("admin@kokoma.example", "admin", None, "Adam Admin"),
    )
    accounts.assign_advisor(users.admin, users.advisor.id, kokoma_municipality.id)
    return users


def add_actors(case, parties: str = "", affected_groups: str = "", user=None):
    """Actors of ``case``'s analysis from comma-separated names: ``parties`` as primary parties,
    ``affected_groups`` as affected groups."""
    from .services import analysis

    for names, affected in ((parties, False), (affected_groups, True)):
        for name in filter(None, (n.strip() for n in names.split(","))):
            analysis.add_item(user, case.id, "actor", {
                "name": name, "kind": "group", "role": "secondary" if affected else "primary",
                "influence": "medium", "affected": affected, "anti_democratic": False,
            })
    return case


def complete_analysis(case, user):
    """Make ``case``'s analysis complete (two actors, an issue in dispute, every affected group
    heard, a Glasl assessment), adding only what is missing; returns the case as it is now."""
    from datetime import date

    from .database import db
    from .models import Case
    from .services import analysis
    from .services.analysis_snapshot import Analysis

    snapshot = Analysis(db.session.get(Case, case.id))
    for name in ("Ortsbeirat", "Nachbarschaftsinitiative")[:max(0, 2 - len(snapshot.actors))]:
        analysis.add_item(user, case.id, "actor", {"name": name, "kind": "institution", "role": "third",
                                                   "influence": "high", "affected": False, "anti_democratic": False})
    if not snapshot.issues:
        analysis.add_item(user, case.id, "issue", {"text": "Nutzung des Platzes am Abend", "kind": "interests"})
    for actor in snapshot.not_heard():
        analysis.add_item(user, case.id, "hearing", {
            "actor_id": actor.id, "format": "group_talk", "held_on": date(2026, 11, 2), "consent": True,
            "summary": "Sie fühlen sich verdrängt.", "threat": "low",
        })
    if not snapshot.assessments:
        analysis.assess(user, case.id, 3, "hot", "Taten statt Worte")
    case = db.session.get(Case, case.id, populate_existing=True)
    db.session.commit()  # end this read, as a request would: a later look sees what others wrote
    return case


@pytest.fixture
def kokoma_make_case(kokoma_users):
    """``make_case(user=None, parties="", affected_groups="", analysed=False, **fields)``: a case
    logged through the services; ``parties`` and ``affected_groups`` (comma-separated names)
    become actors of its analysis, ``analysed=True`` completes the analysis (so that
    ``start_processing`` may fire)."""
    from .services import cases

    def make_case(user=None, *, parties="", affected_groups="", analysed=False, **fields):
        user = user or kokoma_users.facilitator
        data = {"title": "Streit am Bahnhofsvorplatz", "category": "public_space", **fields}
        case = cases.create_case(user, cases.CaseInput(**data)).case
        add_actors(case, parties, affected_groups, user)
        return complete_analysis(case, user) if analysed else case

    return make_case


@pytest.fixture
def kokoma_fire(kokoma_users):
    from .services import cases

    def fire(case, trigger: str, comment: str = "", user=None):
        return cases.fire_trigger(user or kokoma_users.facilitator, case.id, trigger, comment, None).case

    return fire


@pytest.fixture
def kokoma_partner(kokoma_municipality):
    from .database import db
    from .models import Partner

    partner = Partner(municipality_id=kokoma_municipality.id, name="Jugendamt Teststadt", email="jugendamt@tst.example")
    db.session.add(partner)
    db.session.commit()
    return partner


@pytest.fixture
def kokoma_run_worker(kokoma_app):
    from . import notifications
    from .runtime import kokoma

    def run_worker() -> int:
        return notifications.deliver_due(kokoma().plugins)

    return run_worker
