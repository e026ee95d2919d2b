"""The advisor's side of the referral path: confirm or decline a proposal (four eyes)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import cases as case_service
from ..services import referral
from ..services.errors import ValidationError
from ..workflow import TransitionBlocked
from .analysis_forms import ReferralDecisionForm
from .auth import require_login
from .forms import attach_errors

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
require_login(bp)


def _proposal_and_case(referral_id: int):
    proposal = referral.get_referral(current_user, referral_id, "referral.decide")
    return proposal, case_service.get_case(current_user, proposal.case_id, "referral.decide")


@bp.route("/<int:referral_id>", methods=["GET", "POST"])
def decide(referral_id: int):
    proposal, case = _proposal_and_case(referral_id)
    form = ReferralDecisionForm()
    if form.validate_on_submit():
        result = url_for("cases.detail", case_id=case.id)
        try:
            referral.decide(current_user, proposal.id, form.decision.data == "confirm", form.note.data or "",
                            form.once(lambda _d: result))
        except ValidationError as exc:
            attach_errors(form, exc)
        except TransitionBlocked as blocked:
            form.note.errors = list(form.note.errors) + [str(r) for r in blocked.reasons]
        else:
            flash(_("The case is referred.") if form.decision.data == "confirm" else _("You declined the referral."),
                  "success")
            return redirect(result)
        proposal, case = _proposal_and_case(referral_id)  # as they are now, the refused change undone
    return render_template("referrals/decide.html", proposal=proposal, case=case, form=form), \
        422 if form.errors else 200
