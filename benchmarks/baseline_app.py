"""The baselines of the load benchmark, served by the same gunicorn settings as KoKoMa:

- ``/cases/<municipality_id>``: a minimal Flask + SQLAlchemy app that reads the same 50 rows of
  the same table with one query and answers JSON, with no login (issue 13's baseline);
- ``/signed-in/cases``: the least a signed-in HTML page of those rows does: KoKoMa's own session
  cookie read with Flask's session, the login session and its user looked up by the token's hash
  in one Core query (not ended, not run out, the user active), the 50 newest rows of the user's
  municipality in a second, and an HTML table rendered by Jinja with autoescaping. No navigation,
  filters, translations or pseudonyms: what it costs beyond ``/cases/<id>`` is what any signed-in
  page pays before it shows anything of its own.

    KOKOMA_DATABASE_URL=... KOKOMA_SECRET_KEY=... \
        gunicorn -w 4 --threads 2 --access-logfile - 'benchmarks.baseline_app:app'
"""
import hashlib
import os
from datetime import datetime, timedelta, timezone

from flask import Flask, abort, jsonify, session
from sqlalchemy import create_engine, text

from kokoma.config import Defaults

app = Flask(__name__)
# KoKoMa's cookie, so that the load run's logged-in users are signed in here too.
app.config.update(SECRET_KEY=os.environ.get("KOKOMA_SECRET_KEY"), SESSION_COOKIE_NAME=Defaults.SESSION_COOKIE_NAME)
engine = create_engine(os.environ["KOKOMA_DATABASE_URL"], pool_pre_ping=True)
QUERY = text(
    "SELECT id, reference, title, category, state, escalation_level, escalation_score "
    "FROM cases WHERE municipality_id = :m ORDER BY id DESC LIMIT 50"
)
# KoKoMa's default limits of a login session.
IDLE = timedelta(seconds=Defaults.LOGIN_SESSION_IDLE_TIMEOUT)
MAX_AGE = timedelta(seconds=Defaults.LOGIN_SESSION_MAX_AGE)
SIGNED_IN_USER = text(
    "SELECT users.id, users.name, users.municipality_id FROM users "
    "JOIN login_sessions ON login_sessions.user_id = users.id "
    "WHERE login_sessions.token_hash = :token_hash AND users.active "
    "AND login_sessions.last_seen_at >= :idle_since AND login_sessions.created_at >= :born_since"
)
PAGE = app.jinja_env.from_string("""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Fälle</title></head>
<body><header>{{ user.name }}</header><main><h1>Fälle</h1>
<table><thead><tr><th>Aktenzeichen</th><th>Titel</th><th>Bereich</th><th>Stand</th><th>Eskalation</th></tr></thead>
<tbody>{% for id, reference, title, category, state, level, score in rows %}
<tr><td><a href="/cases/{{ id }}">{{ reference }}</a></td><td>{{ title }}</td><td>{{ category }}</td>
<td>{{ state }}</td><td>{{ level }} ({{ score }})</td></tr>{% endfor %}
</tbody></table></main></body></html>""")  # compiled once, as Flask keeps a file's template


@app.get("/cases/<int:municipality_id>")
def cases(municipality_id):
    with engine.connect() as connection:
        rows = connection.execute(QUERY, {"m": municipality_id}).mappings().all()
    return jsonify([dict(row) for row in rows])


@app.get("/signed-in/cases")
def signed_in_cases():
    token = session.get("_user_id")  # Flask-Login's key: KoKoMa keeps the login session's token there
    if not isinstance(token, str):
        abort(401)
    now = datetime.now(timezone.utc)
    with engine.connect() as connection:
        user = connection.execute(SIGNED_IN_USER, {
            "token_hash": hashlib.sha256(token.encode()).hexdigest(),  # as services.accounts stores it
            "idle_since": now - IDLE, "born_since": now - MAX_AGE,
        }).one_or_none()
        if user is None:
            abort(401)
        rows = connection.execute(QUERY, {"m": user.municipality_id}).all()
    return PAGE.render(user=user, rows=rows)
