"""The overview: the start page of the people who work on cases."""
from flask import Blueprint, render_template
from flask_login import current_user

from ..runtime import kokoma
from ..services import overview as overview_service
from ..services import permissions, todo
from .auth import require_login

bp = Blueprint("overview", __name__, url_prefix="/overview")
require_login(bp)


@bp.get("/")
def index():
    return render_template(
        "overview.html",
        overview=overview_service.overview(current_user),
        states=list(kokoma().workflow.definition.states),
        attention_levels=overview_service.ATTENTION_LEVELS,
        work=todo.day_work(current_user) if permissions.can(current_user, "tasks.view") else None,
    )
