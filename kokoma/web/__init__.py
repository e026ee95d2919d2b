"""The web interface: blueprints by feature, server-rendered HTML that works without JavaScript."""
from datetime import date

from flask import Flask, redirect, url_for
from flask_babel import format_date, format_number
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context

from ..extensions import login_manager
from ..runtime import kokoma
from ..services import accounts, permissions, pseudonyms, todo
from ..services.escalation import reason_text
from . import (admin, analysis, attachments, auth, calendar_feed, cases, errors, health, input_guard, labels, measures,
               overview, partners, plugins, privacy, referrals, report, reviews, security, statistics, studies, tasks)
from .forms import checked_by_forms


def init_app(app: Flask) -> None:
    app.register_blueprint(auth.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(analysis.bp)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(measures.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(calendar_feed.bp)
    app.register_blueprint(statistics.bp)
    app.register_blueprint(attachments.bp)
    app.register_blueprint(report.bp)
    app.register_blueprint(studies.bp)
    app.register_blueprint(reviews.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(partners.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(plugins.bp)
    plugins.register_plugin_pages(app)
    app.register_blueprint(privacy.bp)
    security.init_app(app)
    input_guard.init_app(app, checked_by_forms)
    errors.init_app(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)

    app.add_url_rule("/", "index", _home)

    app.jinja_env.filters["date"] = lambda value: format_date(value, "medium") if value else ""
    app.jinja_env.filters["datetime"] = labels.datetime_filter
    app.jinja_env.globals["html_labels"] = labels.html_labels
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["isodate"] = lambda value: format_date(date.fromisoformat(value), "medium") if value else ""

    # Every value a template shows passes the pseudonyms of its reader (services.pseudonyms).
    app.jinja_env.finalize = pass_eval_context(pseudonyms.finalize)

    @app.before_request
    def _read_as_the_user():
        pseudonyms.reading_as(current_user)

    app.teardown_request(pseudonyms.stop_reading)  # (a request within a pushed context too)

    @app.before_request
    def _start_dispatcher():
        # Started in each process on its first request, so a forking server gets one per worker.
        if kokoma().dispatcher is not None:
            kokoma().dispatcher.ensure_started()

    languages = labels.language_names(app.config["LANGUAGES"])

    @app.context_processor
    def vocabulary():
        user = current_user._get_current_object()  # the signed-in user, not each look through the proxy
        return {
            **labels.template_words(kokoma().workflow, languages),
            # The page asks about up to a dozen actions; the signed-in user is looked at once.
            "can": permissions.allowed_actions(user).__contains__,
            "due_count": lambda: todo.due_count(user),
            "plugin_menu_links": plugins.menu_links,
            "factor_reason": reason_text,
        }


def _home():
    """Each role starts where its work is."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if permissions.can(current_user, "review.queue"):
        return redirect(url_for("reviews.queue"))
    if permissions.can(current_user, "case.create"):
        return redirect(url_for("overview.index"))
    return redirect(url_for("admin.users"))


def _load_user(session_id: str):
    if errors.database_down():
        return None  # the error page of an unreachable database is shown to nobody in particular
    return accounts.user_for_session(session_id)
