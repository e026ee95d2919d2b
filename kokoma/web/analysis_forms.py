"""The forms of the conflict analysis and of the referral path. Each form has a prefix of its
own, so that the analysis page holds them all with distinct field ids."""
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from flask_babel import lazy_gettext as _l

from ..domain import (
    ACTOR_KINDS, ACTOR_ROLES, CONFLICT_TEMPERATURES, GLASL_STAGES, HEARING_FORMATS, INFLUENCE, ISSUE_KINDS,
    RELATION_KINDS, RESOURCE_KINDS, THREAT_LEVELS,
)
from .forms import (DATE_HINT, Form, IdSelectField, OneSubmission, PluginFieldsMixin, ShowsSavedState, choices,
                    with_plugin_fields)

TEXT = [Length(max=5000)]


class PartForm(ShowsSavedState, OneSubmission, Form):
    """A form for one item of a part of the analysis; ``values()`` is what the service takes."""

    def values(self) -> dict:
        return {name: (field.chosen_id if isinstance(field, IdSelectField) else field.data)
                for name, field in self._fields.items() if name not in ("csrf_token", "submission", "seen")}


class ActorForm(PartForm):
    name = StringField(_l("Name or pseudonym"), validators=[InputRequired(_l("Please enter a name or a pseudonym.")),
                                                          Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices(ACTOR_KINDS.items()), default="group")
    role = SelectField(_l("Role in the conflict"), choices=choices(ACTOR_ROLES.items()), default="primary")
    influence = SelectField(_l("Influence"), choices=choices(INFLUENCE.items()), default="medium")
    position = TextAreaField(_l("Position (what they demand)"), validators=TEXT)
    interests = TextAreaField(_l("Interests and needs"), validators=TEXT)
    fears = TextAreaField(_l("Fears"), validators=TEXT)
    affected = BooleanField(_l("Affected or marginalised group"))
    anti_democratic = BooleanField(_l("Openly anti-democratic, unwilling to talk"))
    not_heard_reason = TextAreaField(_l("Not heard yet, and why (for an affected group)"), validators=TEXT)


class RelationForm(PartForm):
    source_id = IdSelectField(_l("From actor"), validators=[InputRequired(_l("Please choose an actor of this analysis."))])
    kind = SelectField(_l("Kind of relation"), choices=choices(RELATION_KINDS.items()), default="tension")
    target_id = IdSelectField(_l("To actor"), validators=[InputRequired(_l("Please choose an actor of this analysis."))])
    note = TextAreaField(_l("Note"), validators=TEXT)


class IssueForm(PartForm):
    text = TextAreaField(_l("Issue in dispute"),
                         validators=[InputRequired(_l("Please describe the issue in dispute.")), Length(max=5000)])
    kind = SelectField(_l("Type"), choices=choices(ISSUE_KINDS.items()), default="interests")


class HistoryForm(PartForm):
    happened_on = DateField(_l("Date"), validators=[InputRequired(_l("Please enter the date (YYYY-MM-DD)."))],
                            render_kw=DATE_HINT)
    text = TextAreaField(_l("What happened"), validators=[InputRequired(_l("Please say what happened.")),
                                                         Length(max=5000)])
    source = StringField(_l("Source"), validators=[Length(max=300)])


class HearingForm(PartForm):
    actor_id = IdSelectField(_l("Affected group"),
                             validators=[InputRequired(_l("Please choose an actor flagged as an affected group."))])
    format = SelectField(_l("Format"), choices=choices(HEARING_FORMATS.items()), default="one_to_one")
    held_on = DateField(_l("Date"), validators=[InputRequired(_l("Please enter the date (YYYY-MM-DD)."))],
                        render_kw=DATE_HINT)
    consent = BooleanField(_l("The group consents to a summary being recorded"))
    summary = TextAreaField(_l("Summary of their perspective (only with consent)"), validators=TEXT)
    threat = SelectField(_l("Threat assessment"), choices=choices(THREAT_LEVELS.items()), default="none")


class ResourceForm(PartForm):
    name = StringField(_l("Resource or ally"), validators=[InputRequired(_l("Please name the resource or ally.")),
                                                          Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices(RESOURCE_KINDS.items()), default="resource")
    note = TextAreaField(_l("Note"), validators=TEXT)


PART_FORMS = {
    "actor": ActorForm, "relation": RelationForm, "issue": IssueForm, "history": HistoryForm,
    "hearing": HearingForm, "resource": ResourceForm,
}


class GlaslForm(OneSubmission, Form):
    # The page writes the radio buttons out, each stage with its description and level.
    stage = RadioField(_l("Glasl stage"), choices=choices((n, str(n)) for n in GLASL_STAGES),
                       validators=[InputRequired(_l("Please choose a stage."))])
    temperature = RadioField(_l("Hot or cold conflict"), choices=choices(CONFLICT_TEMPERATURES.items()),
                             validators=[InputRequired(_l("Please say whether the conflict is hot or cold."))])
    rationale = TextAreaField(_l("Rationale"), validators=[InputRequired(_l("Please give the reasons for your assessment.")),
                                                          Length(max=5000)])

    @property
    def chosen_stage(self) -> int | None:
        return int(self.stage.data) if (self.stage.data or "").isdigit() else None


class AnalysisFieldsForm(PluginFieldsMixin, OneSubmission, Form):
    """The fields plugins add to the analysis (kokoma_analysis_fields)."""


def analysis_fields_form_class(municipality):
    return with_plugin_fields(AnalysisFieldsForm, "kokoma_analysis_fields", municipality)


class ReferralForm(OneSubmission, Form):
    partner_id = IdSelectField(_l("Refer to (partner of the registry)"),
                               validators=[InputRequired(_l("Please choose a partner of the registry."))])
    referred_on = DateField(_l("Date of the referral"), validators=[InputRequired(_l("Please enter the date (YYYY-MM-DD)."))],
                            render_kw=DATE_HINT)
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(_l("Please give the reason for the referral.")),
                                                    Length(max=5000)])


class ReferralDecisionForm(OneSubmission, Form):
    decision = RadioField(_l("Your decision"), choices=choices([("confirm", _l("Confirm the referral")),
                                                                ("decline", _l("Decline the referral"))]),
                          validators=[InputRequired(_l("Please confirm or decline."))])
    note = TextAreaField(_l("Note (required to decline)"), validators=[Optional(), Length(max=5000)])
