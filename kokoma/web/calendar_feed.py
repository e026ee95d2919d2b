"""The calendar feed: opened by calendar programs with the secret address alone, no login."""
from flask import Blueprint, Response

from ..services import calendar_feed

bp = Blueprint("calendar_feed", __name__, url_prefix="/calendar")


@bp.get("/<token>.ics")
def feed(token: str):
    user = calendar_feed.owner_of(token)
    response = Response(calendar_feed.feed(user), mimetype="text/calendar")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = 'inline; filename="kokoma.ics"'
    return response
