"""What the day's work ("Meine Aufgaben") and the count of what is due cost for a person with
1k and 100k cases in the municipality (aim: the same cost at both sizes).

    .venv/bin/python benchmarks/bench_day_work.py [--sizes 1000,100000] [--database-url URL]

Without --database-url it uses a fresh SQLite file in a temporary folder; a PostgreSQL URL has
its public schema DROPPED first. The cases are bulk-inserted (all with the person as facilitator,
the worst case for "reviews on my cases"), each tenth with a measure (most done, or of a
colleague) and each twentieth with a given review and a follow-up done long ago; the person has
the same 20 due items at every size. Prints p50/p95 in ms of GET /tasks/ and of the due count,
the statements per request, and the ratio of the largest size to the smallest.
"""
import platform
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cases import StatementCounter, analyze, command_line, database_name, open_app, seed, timed  # noqa: E402
from bench_cases import person as bench_person  # noqa: E402

from kokoma.database import db, utcnow  # noqa: E402
from kokoma.models import Case, FollowUp, Measure, Review, User  # noqa: E402
from kokoma.services import accounts, cases, follow_ups, measures, todo  # noqa: E402

PASSWORD = "timing the day's work 2026"


def seed_items(municipality_id, person, colleague, advisor, since_id):
    """Measures, reviews and follow-ups of the cases after ``since_id``, none of them due for
    ``person``: done measures of theirs, planned ones of the colleague, reviews long given."""
    long_ago = utcnow() - timedelta(days=400)
    case_ids = db.session.scalars(select(Case.id).where(Case.municipality_id == municipality_id, Case.id > since_id)
                                  .order_by(Case.id)).all()
    measure_rows, review_rows, follow_up_rows = [], [], []
    for n, case_id in enumerate(case_ids):
        if n % 10 == 0:
            mine = n % 20 == 0
            measure_rows.append({
                "case_id": case_id, "municipality_id": municipality_id, "kind": "dialogue", "title": f"Forum {n}",
                "planned_at": long_ago if mine else utcnow() - timedelta(days=n % 30),
                "place": "", "responsible_user_id": person.id if mine else colleague.id, "participants": "",
                "participant_actor_ids": [], "status": "done" if mine else "planned", "outcome": "", "effect": None,
                "created_at": long_ago, "updated_at": long_ago})
        if n % 20 == 0:
            review_rows.append({"case_id": case_id, "requested_by_id": person.id, "given_by_id": advisor.id,
                                "status": "given", "question": "?", "recommendation": "continue", "text": "gut",
                                "requested_at": long_ago, "given_at": long_ago})
            follow_up_rows.append({"case_id": case_id, "municipality_id": municipality_id,
                                   "due_on": date.today() - timedelta(days=400), "what": "Prüfen",
                                   "assignee_id": person.id, "status": "done", "note": "ok", "created_at": long_ago})
    for model, rows in ((Measure, measure_rows), (Review, review_rows), (FollowUp, follow_up_rows)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start:start + 5000])
    db.session.commit()
    analyze()


def main():
    args, sizes = command_line(__doc__, ("sizes", "1000,100000"), 100)
    app, url = open_app(args.database_url, NOTIFY_BACKGROUND_WORKER=False)
    rows = []
    with app.test_request_context():
        counter = StatementCounter(db.engine)
        home = accounts.create_municipality("MST", "Musterstadt")
        person = bench_person(home, "fac@mst.example", PASSWORD)
        colleague = bench_person(home, "col@mst.example", PASSWORD, name="Kollegin")
        advisor = bench_person(None, "adv@spi.example", PASSWORD, role="advisor", name="Beratung")
        admin = bench_person(None, "admin@kokoma.example", PASSWORD, role="admin", name="Admin")
        accounts.assign_advisor(admin, advisor.id, home.id)
        # The person's due items, the same at every size: 5 overdue and 5 of this week, 10 follow-ups due.
        case = cases.create_case(person, cases.CaseInput(title="Eigener Fall", category="other")).case
        for n in range(5):
            for when in (utcnow() - timedelta(days=n + 1), min(utcnow() + timedelta(hours=n + 1),
                                                               todo._week_end(utcnow()) - timedelta(minutes=5))):
                measures.add_measure(person, case.id, measures.MeasureInput(
                    kind="dialogue", title=f"Forum {n}", planned_at=when, responsible=f"user:{person.id}"))
        for n in range(10):
            follow_ups.add_follow_up(person, case.id, follow_ups.FollowUpInput(
                date.today() - timedelta(days=n), f"Prüfen {n}", person.id))
        database = database_name(url)
        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 302
        have, seeded_seq = 1, 10_000_000
        for size in sizes:
            last_id = db.session.scalar(select(func.max(Case.id)))
            if size > have:
                seed(home, person, size - have, seeded_seq)
                seed_items(home.id, person, colleague, advisor, last_id)
            seeded_seq += size
            have = max(have, size)

            def get():
                with app.app_context():
                    response = client.get("/tasks/")
                assert response.status_code == 200

            def count():
                with app.app_context():
                    return todo.due_count(db.session.get(User, person.id))

            with counter.counting() as page_q:
                get()
            with app.app_context():
                user = db.session.get(User, person.id)
                with counter.counting() as count_q:
                    due = todo.due_count(user)
            totals = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                      for model in (Case, Measure, Review, FollowUp)}
            rows.append((size, timed(get, args.repeat), timed(count, args.repeat), page_q["statements"],
                         count_q["statements"], due, totals))

    print(f"KoKoMa day's work on {platform.platform()}, {__import__('os').cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {database}")
    print(f"times in ms as p50/p95 over {args.repeat} runs; the person has the same 20 due items at every size\n")
    print("| cases in the municipality | measures | reviews | GET /tasks/ | due count | statements page | statements count | due |")
    print("|---|---|---|---|---|---|---|---|")
    for size, page_t, count_t, page_q, count_q, due, totals in rows:
        print(f"| {size:,} | {totals['Measure']:,} | {totals['Review']:,} | {page_t[0]:.1f} / {page_t[1]:.1f} | "
              f"{count_t[0]:.2f} / {count_t[1]:.2f} | {page_q} | {count_q} | {due} |")
    first, last = rows[0], rows[-1]
    print(f"\nratio {last[0]:,} / {first[0]:,} cases (p50): page {last[1][0] / first[1][0]:.2f}x, "
          f"due count {last[2][0] / first[2][0]:.2f}x")


if __name__ == "__main__":
    main()
