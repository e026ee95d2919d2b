"""The day's work ("Meine Aufgaben") and the person's settings for the digest and calendar."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..database import utcnow
from ..services import calendar_feed, permissions, todo
from .auth import require_login
from .forms import Form
from .measure_forms import TaskSettingsForm

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
require_login(bp)


@bp.get("/")
def index():
    return render_template("tasks/index.html", work=todo.day_work(current_user), now=utcnow())


@bp.post("/reviews-seen")
def reviews_seen():
    todo.mark_reviews_seen(current_user)
    return redirect(url_for(".index"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    permissions.require(current_user, "tasks.view")
    form = TaskSettingsForm(digest_enabled=current_user.digest_enabled)
    if form.validate_on_submit():
        todo.set_digest(current_user, bool(form.digest_enabled.data))
        flash(_("Your settings were saved."), "success")
        return redirect(url_for(".settings"))
    return render_template("tasks/settings.html", form=form, renew_form=Form(), feed_url=None)


@bp.post("/calendar")
def renew_calendar():
    """A new secret calendar address (the old one stops working); shown this once."""
    form = Form()
    if not form.validate_on_submit():
        return redirect(url_for(".settings"))
    token = calendar_feed.renew_token(current_user)
    feed_url = current_app.config["BASE_URL"].rstrip("/") + url_for("calendar_feed.feed", token=token)
    flash(_("Your calendar has a new address. The old one no longer works."), "success")
    return render_template("tasks/settings.html", form=TaskSettingsForm(digest_enabled=current_user.digest_enabled),
                           renew_form=form, feed_url=feed_url)
