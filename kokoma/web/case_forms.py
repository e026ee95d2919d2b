"""The forms of a case and of what is done on its page: the case itself, transitions, comments,
assignments, reviews, pseudonyms, attachments, case studies, and the list's filter bar."""
from flask_babel import gettext as _
from flask_babel import get_translations
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..domain import CATEGORIES, LEVELS, RECOMMENDATIONS
from ..i18n import Label as _l
from ..i18n import translate, translated
from ..plugin_host import PluginFailure
from ..services.cases import SORT_LABELS, CaseFilters, CaseInput
from ..services.follow_ups import FollowUpInput
from .forms import (DATE_HINT, Form, IdSelectField, OneSubmission, PluginFieldsMixin, ShowsSavedState, choices, shown_plugin_values,
                    with_plugin_fields)


class CaseForm(PluginFieldsMixin, OneSubmission, Form):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[InputRequired(_l("Please enter a title.")), Length(max=200)])
    category = SelectField(
        _l("Focus area"),
        choices=choices(CATEGORIES.items(), empty=_l("– please choose –")),
        validators=[InputRequired(_l("Please choose one of the categories."))],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    location = StringField(_l("Location"), validators=[Length(max=200)])
    observed_on = DateField(
        _l("Date observed"), validators=[Optional()],
        render_kw=DATE_HINT,
    )
    violence_reported = BooleanField(_l("Violence or threats reported"))
    # The service checks that the facilitator works in the case's municipality.
    facilitator_id = IdSelectField(_l("Responsible facilitator"))

    def to_input(self) -> CaseInput:
        return CaseInput(
            title=self.title.data or "",
            category=self.category.data or "",
            description=self.description.data or "",
            location=self.location.data or "",
            observed_on=self.observed_on.data,
            violence_reported=bool(self.violence_reported.data),
            facilitator_id=self.facilitator_id.chosen_id,
            extra=self.plugin_values(),
        )


def case_form_class(municipality) -> tuple[type[CaseForm], list[PluginFailure]]:
    """The case form of a municipality: the core fields plus those its plugins add."""
    return with_plugin_fields(CaseForm, "kokoma_case_form_fields", municipality)


def plugin_field_values(case) -> tuple[list[tuple[str, str]], list[PluginFailure]]:
    """(label, shown value) of each plugin field stored on a case, choices shown by their label."""
    form_class, failures = case_form_class(case.municipality)
    return shown_plugin_values(form_class, case.extra), failures


class TransitionForm(OneSubmission, Form):
    trigger = HiddenField(validators=[DataRequired()])
    version = HiddenField()  # the case's version the page showed (web.cases.seen_version)
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])
    # Entering prevention: the first monitoring (services.follow_ups.MONITORED_STATE).
    follow_up_on = DateField(_l("First monitoring on"), validators=[Optional()])
    follow_up_what = TextAreaField(_l("What the monitoring checks"), validators=[Length(max=5000)])

    def first_follow_up(self, assignee_id) -> FollowUpInput | None:
        if self.follow_up_on.data is None:
            return None
        what = (self.follow_up_what.data or "").strip() or _("Monitoring: is the conflict staying calm?")
        return FollowUpInput(self.follow_up_on.data, what, assignee_id)


class CommentForm(OneSubmission, Form):
    text = TextAreaField(
        _l("Comment"), validators=[DataRequired(_l("Please write a comment.")), Length(max=10000)], id="comment-text"
    )


class AssignForm(OneSubmission, Form):
    version = HiddenField()  # the case's version the page showed (web.cases.seen_version)
    facilitator_id = IdSelectField(_l("Responsible facilitator"))
    advisor_id = IdSelectField(_l("Responsible advisor"))


class ReviewRequestForm(OneSubmission, Form):
    question = TextAreaField(
        _l("What should the review look at?"),
        validators=[DataRequired(_l("Please say what the review should look at.")), Length(max=5000)],
    )


class ReviewForm(OneSubmission, Form):
    recommendation = SelectField(
        _l("Recommendation"), choices=choices(RECOMMENDATIONS.items(), empty=_l("– please choose –")),
        validators=[InputRequired(_l("Please choose a recommendation."))],
    )
    text = TextAreaField(_l("Review"), validators=[DataRequired(_l("Please write your review.")), Length(max=20000)])


class PseudonymLiftForm(OneSubmission, Form):
    reason = TextAreaField(_l("Why the names are shown (required)"), id="pseudonyms-reason", validators=[
        DataRequired(_l("Please give the reason why the names are shown.")), Length(max=2000)])


class PseudonymRestoreForm(OneSubmission, Form):
    """Revoking needs no reason: it only takes away."""


class AttachmentForm(OneSubmission, Form):
    file = FileField(_l("File"), id="attachment-file")


class StudyForm(ShowsSavedState, Form):
    lessons = TextAreaField(_l("Lessons learned"), validators=[Length(max=10000)])
    confirmed = BooleanField(_l("I read the text: it names no person, no actor and no place finer than the municipality."))


class WithdrawStudyForm(Form):
    reason = TextAreaField(_l("Why it is withdrawn"), validators=[Length(max=2000)])


class StudySearchForm(Form):
    class Meta:
        csrf = False  # a GET form

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)], render_kw={"type": "search"})
    category = SelectField(_l("Focus area"), choices=[], default="", validators=[Optional()])


_ALL, _AS_FITS = _l("all"), _l("as fits")  # the filter bar's "no choice" options


class CaseFilterForm(Form):
    class Meta:
        csrf = False  # a GET form: filters are bookmarkable

    # default "": an absent filter is the "all" option, not a choice to refuse
    state = SelectField(_l("State"), choices=[], default="", validators=[Optional()])
    category = SelectField(_l("Focus area"), choices=[], default="", validators=[Optional()])
    level = SelectField(_l("Escalation level"), choices=[], default="", validators=[Optional()])
    per_page = SelectField(_l("Per page"), choices=[], validators=[Optional()])
    mine = BooleanField(_l("Only my cases"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)],
                    render_kw={"type": "search", "placeholder": _l("Words, names, places or a reference")})
    municipality = SelectField(_l("Municipality"), choices=[], default="", validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=[], default="", validators=[Optional()])

    def offer(self, state_labels: dict, page_sizes, default_page_size: int, municipalities=()) -> None:
        """Fill the options: the workflow's states (labelled), the focus areas, levels and page
        sizes, translated through the request's catalogue (kokoma.i18n)."""
        catalogue = get_translations()
        everything = translate(_ALL, catalogue)
        self.state.choices = choices(translated(state_labels, catalogue).items(), empty=everything)
        self.category.choices = choices(translated(CATEGORIES, catalogue).items(), empty=everything)
        self.level.choices = choices(translated(LEVELS, catalogue).items(), empty=everything)
        self.per_page.choices = choices((n, str(n)) for n in page_sizes)
        self.municipality.choices = choices(((m.id, m.name) for m in municipalities), empty=everything)
        self.sort.choices = choices(translated(SORT_LABELS, catalogue).items(), empty=translate(_AS_FITS, catalogue))
        if not self.per_page.data:
            self.per_page.data = str(default_page_size)

    def _valid(self, field):
        """The field's value if it asks for something (not blank) and is valid, else None."""
        return field.data if field.data and field.data.strip() and not field.errors else None

    def chosen_filters(self):
        """What the valid filters ask for (an invalid one filters nothing)."""
        municipality = self._valid(self.municipality)
        return CaseFilters(self._valid(self.state), self._valid(self.category), self._valid(self.level),
                           bool(self.mine.data), self._valid(self.q) or "",
                           int(municipality) if municipality else None, self._valid(self.sort) or "")

    def chosen_page_size(self, default: int) -> int:
        value = self._valid(self.per_page)
        return int(value) if value and value.isdigit() else default
