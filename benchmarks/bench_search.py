"""What a search and the overview's counts cost at 1k, 100k (and 1M) cases.

    .venv/bin/python benchmarks/bench_search.py [--sizes 1000,100000] [--database-url URL]

Without --database-url it uses a fresh SQLite file in a temporary folder. With a PostgreSQL URL
it DROPS AND RECREATES the public schema of that database first. Cases and their search
documents are seeded in SQL (INSERT ... SELECT), then each page is requested in-process through
Flask's test client, logged in as a facilitator of the municipality that holds the cases (another
municipality holds 5,000 more). Measured: the list searched for a word that matches every case
("Stadtteiltreff", ranked by relevance), for a word that matches nothing ("Zeppelinwiese"), both
again sorted by each other order of the list (newest, reference, last change, escalation), the
overview page, and the overview's counts alone (services.overview). Prints median and 95th
percentile in ms and the ratio of the largest size to the smallest (targets: search at most
1.5x, overview counts at most 1.2x).
"""
import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cases import PASSWORD, app_config, reset_postgresql, timed  # noqa: E402
from kokoma import create_app  # noqa: E402
from kokoma.database import db, utcnow  # noqa: E402
from kokoma.models import Case  # noqa: E402
from kokoma.services import accounts, overview, search  # noqa: E402

OTHER_MUNICIPALITY_CASES = 5000
TITLE_WORDS = "Konflikt Nr um den Stadtteiltreff"
DESCRIPTION = "Beschreibung der Lage im Quartier, Gespräche mit Anwohnenden und dem Jugendzentrum."
LOCATION, PARTIES, GROUPS = "Innenstadt", "Anwohnende, Verein", "Jugendliche"
MATCHES_ALL, MATCHES_NONE = "Stadtteiltreff", "Zeppelinwiese"
SORTED = ("newest", "reference", "updated", "escalation")  # the list's sorts other than relevance


def seed(municipality, facilitator, first, last):
    """Cases ``first``..``last`` (sequence numbers) of a municipality and their search documents,
    in SQL; returns the seconds it took."""
    began = time.perf_counter()
    postgresql = db.engine.dialect.name == "postgresql"
    numbers = ("SELECT s FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS s" if postgresql else
               "WITH RECURSIVE seq(s) AS (SELECT :first UNION ALL SELECT s + 1 FROM seq WHERE s < :last) SELECT s FROM seq")
    padded = "lpad(s::text, 7, '0')" if postgresql else "printf('%07d', s)"
    score = "((s % 9) + 1) * 10"
    before = db.session.scalar(select(func.coalesce(func.max(Case.id), 0)))
    db.session.execute(text(f"""
        INSERT INTO cases (municipality_id, reference, title, description, category, location, glasl_stage, violence_reported, state, facilitator_id, escalation_score,
            escalation_level, peak_escalation_score, escalation_factors, extra, created_at, updated_at, version)
        SELECT :municipality, :code || '-2026-' || {padded}, 'Konflikt Nr. ' || s || ' um den Stadtteiltreff',
            :description, CASE s % 7 WHEN 0 THEN 'anti_democratic' WHEN 1 THEN 'public_space'
                WHEN 2 THEN 'protest_movement' WHEN 3 THEN 'identity_belonging' WHEN 4 THEN 'integration_migration'
                WHEN 5 THEN 'polarisation' ELSE 'other' END,
            :location, (s % 9) + 1, false,
            CASE s % 4 WHEN 0 THEN 'analysis' WHEN 1 THEN 'processing' WHEN 2 THEN 'prevention' ELSE 'closed' END,
            :facilitator, {score},
            CASE WHEN {score} >= 80 THEN 'critical' WHEN {score} >= 60 THEN 'high' WHEN {score} >= 30 THEN 'elevated' ELSE 'low' END,
            {score}, '[]', '{{}}', :now, :now, 1
        FROM ({numbers}) AS numbers
    """), {"municipality": municipality.id, "code": municipality.code, "description": DESCRIPTION,
           "location": LOCATION, "facilitator": facilitator.id,
           "now": utcnow(), "first": first, "last": last})
    # The search document as services.search writes it: the constant words' stems (or words) once,
    # the varying ones (sequence number, reference) appended in SQL.
    constant = search.document_row(0, [TITLE_WORDS], [DESCRIPTION, LOCATION, PARTIES, GROUPS],
                                   stems=not postgresql)["stems"]
    db.session.execute(text("""
        INSERT INTO case_search (case_id, head, body, stems)
        SELECT id, reference || ' · ' || title, description || '\n' || location || '\n' || :parties || '\n' || :groups,
               :constant || ' ' || lower(:code) || ' 2026 ' || substr(reference, length(:code) + 7)
        FROM cases WHERE id > :before
    """), {"constant": constant, "code": municipality.code, "before": before, "parties": PARTIES, "groups": GROUPS})
    db.session.commit()
    if postgresql:
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (its public schema is wiped)")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="kokoma-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite"
    if url.startswith("postgresql"):
        reset_postgresql(url)
    app = create_app(app_config(workdir, url, WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False,
                                LOGIN_RATE_LIMIT="1000 per minute"))
    from flask_migrate import upgrade

    results = []
    with app.test_request_context():
        upgrade()
        home = accounts.create_municipality("MST", "Musterstadt")
        other = accounts.create_municipality("BHN", "Beispielhausen")
        facilitator = accounts.create_user(email="fac@mst.example", name="Bench", password=PASSWORD,
                                           role="facilitator", municipality=home)
        outsider = accounts.create_user(email="fac@bhn.example", name="Other", password=PASSWORD,
                                        role="facilitator", municipality=other)
        seed(other, outsider, 1, OTHER_MUNICIPALITY_CASES)
        db_version = db.session.scalar(text("select sqlite_version()" if url.startswith("sqlite") else "show server_version"))
        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 302
        have = 0
        for size in sizes:
            seconds = seed(home, facilitator, have + 1, size) if size > have else 0.0
            have = max(have, size)

            def get(address):
                with app.app_context():
                    response = client.get(address)
                assert response.status_code == 200, (address, response.status_code)
                return response.get_data(as_text=True)

            assert "<mark>Stadtteiltreff</mark>" in get(f"/cases/?q={MATCHES_ALL}")
            assert "<mark>" not in get(f"/cases/?q={MATCHES_NONE}")

            def counts():
                with app.app_context():
                    overview.overview(facilitator)

            measured = [(f"/cases/?q={MATCHES_ALL}", "search, all match", 1.5),
                        (f"/cases/?q={MATCHES_NONE}", "search, none match", 1.5)]
            measured += [(f"/cases/?q={word}&sort={sort}", f"{label}, sorted by {sort}", 1.5)
                         for sort in SORTED for word, label in ((MATCHES_ALL, "all match"), (MATCHES_NONE, "none match"))]
            results.append((size, seconds, [(label, target, timed(lambda: get(address), args.repeat))
                                            for address, label, target in measured]
                            + [("overview page", None, timed(lambda: get("/overview/"), args.repeat)),
                               ("overview counts", 1.2, timed(counts, args.repeat))]))

    print(f"KoKoMa search benchmark on {platform.platform()}, {__import__('os').cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'} {db_version}")
    print(f"{OTHER_MUNICIPALITY_CASES} cases of another municipality besides; ms as p50 / p95 over {args.repeat} runs\n")
    sizes_seen = [size for size, _seconds, _timings in results]
    print("| measured | " + " | ".join(f"{size:,} cases" for size in sizes_seen) + f" | ratio {sizes_seen[-1]:,} / {sizes_seen[0]:,} (p50) |")
    print("|" + "---|" * (len(sizes_seen) + 2))
    print("| seeding, s | " + " | ".join(f"{seconds:.1f}" for _size, seconds, _timings in results) + " | |")
    for n, (label, target, _timing) in enumerate(results[0][2]):
        timings = [row[2][n][2] for row in results]
        ratio = timings[-1][0] / timings[0][0]
        print(f"| {label} | " + " | ".join(f"{a:.2f} / {b:.2f}" for a, b in timings)
              + f" | {ratio:.2f}x{f' (target {target})' if target else ''} |")


if __name__ == "__main__":
    main()
