"""The advisor's side: the queue of requested reviews and the review form."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import cases as case_service
from ..services import measures, permissions, referral, reviews
from ..services.errors import ValidationError
from .auth import require_login
from .analysis import section_context
from .case_forms import ReviewForm
from .forms import attach_errors

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
require_login(bp)


@bp.get("/")
def queue():
    referrals = referral.queue(current_user) if permissions.can(current_user, "referral.decide") else []
    return render_template("reviews/queue.html", items=reviews.queue(current_user), referrals=referrals)


@bp.route("/<int:review_id>", methods=["GET", "POST"])
def give(review_id: int):
    review = reviews.review_to_answer(current_user, review_id)
    case = case_service.get_case(current_user, review.case_id, "review.give")
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            reviews.give_review(
                current_user, review.id, form.recommendation.data, form.text.data,
                form.once(lambda _done: url_for("cases.detail", case_id=case.id, _anchor="reviews")),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("Your review was saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="reviews"))
    return (render_template("reviews/give.html", review=review, case=case, form=form,
                            analysis_view=section_context(case), measures=measures.measures_of(case)),
            422 if form.errors else 200)
