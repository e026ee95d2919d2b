"""Production serving: gunicorn workers, the health endpoint, SQLite's writer settings."""
import json
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from kokoma import create_app
from kokoma.database import db

from .channels import free_port


def test_health_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "up"}


def test_health_answers_503_when_the_database_is_down(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "PLUGINS_DIR": None, "NOTIFY_BACKGROUND_WORKER": False,
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "down"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_serve_runs_gunicorn_workers_that_share_nothing_but_the_database(tmp_path):
    url = f"sqlite:///{tmp_path}/served.sqlite"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url, "PLUGINS_DIR": None})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    port = free_port()
    env = {**os.environ, "KOKOMA_DATABASE_URL": url, "KOKOMA_INSTANCE_PATH": str(tmp_path), "KOKOMA_PLUGINS_DIR": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "kokoma", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stdout.read()
                time.sleep(0.2)

        def fetch(path):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status, response.read()

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(fetch, ["/healthz", "/login"] * 20))
        assert all(status == 200 for status, _body in results)
        assert json.loads(results[0][1]) == {"status": "ok", "database": "up"}
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
    finally:
        server.terminate()
        server.wait(timeout=20)
