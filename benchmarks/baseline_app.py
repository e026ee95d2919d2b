"""The baseline of the load benchmark: a minimal Flask + SQLAlchemy app that reads the same 50
rows of the same table with one query. Served by the same gunicorn settings as KoKoMa.

    KOKOMA_DATABASE_URL=... gunicorn -w 4 --threads 2 --access-logfile - 'benchmarks.baseline_app:app'
"""
import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["KOKOMA_DATABASE_URL"], pool_pre_ping=True)
QUERY = text(
    "SELECT id, reference, title, category, state, escalation_level, escalation_score "
    "FROM cases WHERE municipality_id = :m ORDER BY id DESC LIMIT 50"
)


@app.get("/cases/<int:municipality_id>")
def cases(municipality_id):
    with engine.connect() as connection:
        rows = connection.execute(QUERY, {"m": municipality_id}).mappings().all()
    return jsonify([dict(row) for row in rows])
