"""What pseudonyms cost a page: the list page (50 rows) and a case page read by a facilitator
(names), an advisor of a municipality without pseudonyms, and one with them (every template
output passes services.pseudonyms.finalize; the persons of the cases read are looked up once).

    .venv/bin/python benchmarks/bench_pseudonyms.py [--cases 200] [--database-url URL]

Without --database-url it uses a fresh SQLite file in a temporary folder; a PostgreSQL URL has
its public schema DROPPED first. Each case has three persons, named in its title, description and
a comment. Prints p50/p95 in ms and the statements per request.
"""
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cases import StatementCounter, analyze, command_line, database_name, open_app, timed  # noqa: E402
from bench_cases import person  # noqa: E402

from kokoma.database import db  # noqa: E402
from kokoma.services import accounts, analysis, cases, pseudonyms  # noqa: E402

PASSWORD = "timing the pseudonyms 2026"
PERSONS = ("Theodor Quandtmann", "Erika Zumsande", "Ole Brettschneider")


def main():
    args, (count,) = command_line(__doc__, ("cases", "200"), 50)
    app, url = open_app(args.database_url, NOTIFY_BACKGROUND_WORKER=False)
    rows = []
    with app.test_request_context():
        counter = StatementCounter(db.engine)
        home = accounts.create_municipality("MST", "Musterstadt")
        admin = person(None, "admin@x.example", PASSWORD, "admin", "Admin")
        facilitator = person(home, "fac@mst.example", PASSWORD)
        coordinator = person(home, "coord@mst.example", PASSWORD, "coordinator", "Koordination")
        advisor = person(None, "adv@spi.example", PASSWORD, "advisor", "Beratung")
        accounts.assign_advisor(admin, advisor.id, home.id)
        case_id = None
        for n in range(count):
            case = cases.create_case(facilitator, cases.CaseInput(
                title=f"Beschwerde {n} von {PERSONS[n % 3]}", category="other",
                description=f"{PERSONS[0]} und {PERSONS[1]} streiten; {PERSONS[2]} vermittelt.")).case
            for name in PERSONS:
                analysis.add_item(facilitator, case.id, "actor", {"name": name, "kind": "person", "role": "primary",
                                                                  "influence": "medium"})
            cases.add_comment(facilitator, case.id, f"Telefonat mit {PERSONS[n % 3]}")
            case_id = case.id
        analyze()
        database = database_name(url)

        def reader(email, label, on):
            pseudonyms.save_settings(coordinator, on)
            client = app.test_client()
            with app.app_context():
                assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302

            def get(path):
                with app.app_context():
                    response = client.get(path)
                assert response.status_code == 200
                return response

            for path in ("/cases/?per_page=50", f"/cases/{case_id}"):
                with counter.counting() as statements:
                    shown = get(path).get_data(as_text=True)
                assert (PERSONS[0] in shown) != (label == "advisor, pseudonyms"), (label, path)
                rows.append((label, path, timed(lambda: get(path), args.repeat), statements["statements"]))

        reader("fac@mst.example", "facilitator", True)
        reader("adv@spi.example", "advisor, names", False)
        reader("adv@spi.example", "advisor, pseudonyms", True)

    print(f"KoKoMa pages with pseudonyms on {platform.platform()}, {__import__('os').cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {database}, {count} cases")
    print(f"times in ms as p50/p95 over {args.repeat} runs\n")
    print("| reader | page | p50 / p95 | statements |")
    print("|---|---|---|---|")
    for label, path, (p50, p95), statements in rows:
        print(f"| {label} | `{path}` | {p50:.1f} / {p95:.1f} | {statements} |")


if __name__ == "__main__":
    main()
