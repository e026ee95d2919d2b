"""The statistics page: charts drawn by the server as SVG, each with its numbers beside it."""
from flask import Blueprint, render_template, request
from flask_babel import format_date
from flask_login import current_user

from ..services import cases as case_service
from ..services import statistics as statistics_service
from .auth import require_login
from .forms import object_id

bp = Blueprint("statistics", __name__, url_prefix="/statistics")
require_login(bp)


@bp.get("/")
def index():
    municipalities = case_service.list_municipalities(current_user)
    chosen = object_id(request.args.get("municipality"))
    municipality = next((m for m in municipalities if m.id == chosen), None)
    return render_template(
        "statistics.html",
        statistics=statistics_service.statistics(current_user, municipality.id if municipality else None),
        municipalities=municipalities, municipality=municipality,
        month_label=lambda month: format_date(month, "MMM y"),
    )
