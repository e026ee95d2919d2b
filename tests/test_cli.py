"""The flask --app kokoma commands."""
from sqlalchemy import func, select

from kokoma.database import db
from kokoma.demo import DEMO_PASSWORD
from kokoma.models import Case, Municipality, Referral, User
from kokoma.services import accounts
from kokoma.services.analysis_snapshot import Analysis


def test_create_municipality_and_user(app, runner):
    result = runner.invoke(args=["municipality", "create", "coe", "Stadt Coesfeld"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=[
        "user", "create", "--email", "Anna@Coesfeld.example", "--name", "Anna Roth",
        "--role", "facilitator", "--municipality", "COE",
    ], input="ein langes Passwort\nein langes Passwort\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.email, user.municipality.code) == ("anna@coesfeld.example", "COE")
        assert accounts.authenticate("ANNA@coesfeld.example", "ein langes Passwort") == user


def test_bad_input_on_the_command_line_says_what_is_wrong(app, runner):
    result = runner.invoke(args=["municipality", "create", "C0E!", "Coesfeld"])
    assert result.exit_code != 0 and "code" in result.output
    runner.invoke(args=["municipality", "create", "COE", "Coesfeld"])
    result = runner.invoke(args=[
        "user", "create", "--email", "a@b.example", "--name", "A", "--role", "facilitator", "--municipality", "COE",
    ], input="kurz\nkurz\n")
    assert result.exit_code != 0 and "password" in result.output
    result = runner.invoke(args=[
        "user", "create", "--email", "a@b.example", "--name", "A", "--role", "facilitator", "--municipality", "XYZ",
    ], input="ein langes Passwort\nein langes Passwort\n")
    assert result.exit_code != 0 and "XYZ" in result.output


def test_demo_data_covers_every_focus_area_and_state(app, runner):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Municipality)) == 2
        for municipality_id in db.session.scalars(select(Municipality.id)):
            rows = db.session.execute(select(Case.category, Case.state).where(Case.municipality_id == municipality_id)).all()
            assert {c for c, _ in rows} == {"anti_democratic", "public_space", "protest_movement", "identity_belonging",
                                             "integration_migration", "polarisation", "other"}
            assert {s for _, s in rows} >= {"analysis", "processing", "prevention", "closed"}
        assert set(db.session.scalars(select(User.role))) == {"facilitator", "coordinator", "advisor", "admin"}
        # a full analysis on every case, and one case referred with the advisor's confirmation
        every = db.session.scalars(select(Case)).all()
        for case in every:
            analysis = Analysis(case)
            assert analysis.complete and analysis.relations and analysis.history and analysis.resources, case.title
            assert {a.side for a in analysis.assessments} == {"facilitator", "advisor"}, case.title
        assert [c.state for c in every].count("referral") == 1
        assert db.session.scalars(select(Referral.status)).all() == ["confirmed"]
        # Attachments on two cases, files and all; two studies released into the library.
        from kokoma.models import Attachment, CaseStudy
        from kokoma.services import attachments

        files = db.session.scalars(select(Attachment)).all()
        assert len(files) == 2 and all(attachments.path_of(f).is_file() for f in files)
        assert {f.content_type for f in files} == {"application/pdf", "image/png"}
        assert db.session.scalar(select(func.count()).select_from(CaseStudy).where(CaseStudy.released_at.is_not(None))) == 2
    for role in ("facilitator", "coordinator", "advisor", "admin"):
        assert role in result.output
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code != 0 and "empty" in again.output


def test_demo_data_has_measures_in_every_status_and_follow_ups_due_today_and_overdue(app, runner):
    from datetime import date

    from kokoma.database import utcnow
    from kokoma.models import FollowUp, Measure

    assert runner.invoke(args=["demo-data"]).exit_code == 0
    with app.app_context():
        statuses = db.session.execute(select(Measure.status, Measure.planned_at)).all()
        assert {s for s, _ in statuses} == {"planned", "done", "cancelled"}
        assert any(s == "planned" and when < utcnow() for s, when in statuses)  # an overdue one
        assert any(s == "planned" and when > utcnow() for s, when in statuses)
        due = set(db.session.scalars(select(FollowUp.due_on).where(FollowUp.status == "open")))
        assert date.today() in due and any(d < date.today() for d in due)


def test_demo_logins_work(app, runner, client):
    runner.invoke(args=["demo-data"])
    response = client.post("/login", data={"email": "prozess@musterstadt.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "MST-" in client.get("/cases/").get_data(as_text=True)


def test_serve_refuses_page_limits_counted_per_worker_process(make_app):
    """Limits on every page in memory:// would be counted by each worker on its own."""
    from kokoma.extensions import limiter

    try:
        app = make_app(RATELIMIT_DEFAULT="100 per minute")
        result = app.test_cli_runner().invoke(args=["serve", "--workers", "3"])
    finally:
        limiter.limit_manager.set_default_limits([])
    assert result.exit_code == 2
    assert "KOKOMA_RATELIMIT_STORAGE_URI" in result.output and "--workers 1" in result.output
