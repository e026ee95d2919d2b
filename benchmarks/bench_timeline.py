"""What the case page costs with a trail of 5 events and one of 2,000 (aim: at most 2x; the
timeline is paged newest first by keyset, 20 events a page), and what a change of the case costs
there (a comment: its event, the search document written anew from the whole trail, the outbox).

    .venv/bin/python benchmarks/bench_timeline.py [--events 5,2000] [--database-url URL]

Without --database-url it uses a fresh SQLite file in a temporary folder; a PostgreSQL URL has
its public schema DROPPED first. Each case also has 5 measures and 2 follow-ups. Prints p50/p95
in ms of GET /cases/<id>, of an older page of the timeline and of a comment added (in-process,
through the case service), the statements per request, and the ratio of the longest trail to the
shortest. The trail's comments are "Kommentar <n>": some 2,000 different words at 2,000 events.
"""
import platform
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cases import StatementCounter, analyze, command_line, database_name, open_app, timed  # noqa: E402
from bench_cases import person as bench_person  # noqa: E402

from kokoma.database import db, utcnow  # noqa: E402
from kokoma.models import CaseEvent, User  # noqa: E402
from kokoma.services import accounts, cases, follow_ups, measures  # noqa: E402
from kokoma.testing import add_actors  # noqa: E402

PASSWORD = "timing the timeline 2026"


def case_with_trail(person, events: int) -> int:
    case = cases.create_case(person, cases.CaseInput(title=f"Fall mit {events} Ereignissen", category="other",
                                                     glasl_stage=3)).case
    add_actors(case, parties="A, B", affected_groups="C", user=person)
    for n in range(5):
        measures.add_measure(person, case.id, measures.MeasureInput(
            kind="dialogue", title=f"Forum {n}", planned_at=utcnow() + timedelta(days=n - 2),
            responsible=f"user:{person.id}"))
    for n in range(2):
        follow_ups.add_follow_up(person, case.id, follow_ups.FollowUpInput(date.today() + timedelta(days=n), "Prüfen",
                                                                           person.id))
    have = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
    rows = [{"case_id": case.id, "actor_id": person.id, "kind": "comment", "comment": f"Kommentar {n}", "payload": {},
             "created_at": utcnow()} for n in range(max(0, events - have))]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(CaseEvent), rows[start:start + 5000])
    db.session.commit()
    return case.id


def main():
    args, sizes = command_line(__doc__, ("events", "5,2000"), 100)
    app, url = open_app(args.database_url, NOTIFY_BACKGROUND_WORKER=False)
    rows = []
    with app.test_request_context():
        counter = StatementCounter(db.engine)
        home = accounts.create_municipality("MST", "Musterstadt")
        person = bench_person(home, "fac@mst.example", PASSWORD)
        ids = {size: case_with_trail(person, size) for size in sizes}
        person_id = person.id
        analyze()
        database = database_name(url)
        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 302
        for size in sizes:
            case_id = ids[size]
            middle = db.session.scalar(select(func.min(CaseEvent.id) + func.count() // 2).where(CaseEvent.case_id == case_id))

            def get(path):
                with app.app_context():
                    response = client.get(path)
                assert response.status_code == 200

            with counter.counting() as page_q:
                get(f"/cases/{case_id}")
            def comment():
                with app.test_request_context():
                    cases.add_comment(db.session.get(User, person_id), case_id, "Rückruf beim Ordnungsamt")

            rows.append((size, timed(lambda: get(f"/cases/{case_id}"), args.repeat),
                         timed(lambda: get(f"/cases/{case_id}?before={middle}"), args.repeat),
                         timed(comment, args.repeat), page_q["statements"]))

    print(f"KoKoMa case page and timeline on {platform.platform()}, {__import__('os').cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {database}")
    print(f"times in ms as p50/p95 over {args.repeat} runs; 5 measures and 2 follow-ups on each case\n")
    print("| events | GET /cases/<id> | an older page | a comment added | statements (case page) |")
    print("|---|---|---|---|---|")
    for size, page_t, older_t, comment_t, statements in rows:
        print(f"| {size:,} | {page_t[0]:.1f} / {page_t[1]:.1f} | {older_t[0]:.1f} / {older_t[1]:.1f} | "
              f"{comment_t[0]:.1f} / {comment_t[1]:.1f} | {statements} |")
    first, last = rows[0], rows[-1]
    print(f"\nratio {last[0]:,} / {first[0]:,} events (p50): case page {last[1][0] / first[1][0]:.2f}x, "
          f"older page {last[2][0] / first[2][0]:.2f}x, a comment added {last[3][0] / first[3][0]:.2f}x")


if __name__ == "__main__":
    main()
