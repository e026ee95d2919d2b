"""The hooks KoKoMa plugins implement: the public contract for municipalities' plugins.

A plugin is a module or object with functions marked ``@hookimpl`` (``from kokoma import
hookimpl``) whose names are those below. Implement only the hooks you need. KoKoMa calls each
plugin's implementation on its own, so one failing plugin never stops the others or loses a
person's change: the failure is logged, recorded on the case and shown on the page.
Every hook is documented with a working example in docs/plugins.md.
"""
import pluggy

hookspec = pluggy.HookspecMarker("kokoma")


@hookspec
def kokoma_workflow(workflow):
    """Shape the workflow before the state machine is built.

    Called once per application at start-up, after all plugins are loaded, with the
    :class:`kokoma.workflow.WorkflowDefinition` that the default plugin filled with the states
    ``analysis``, ``processing``, ``prevention`` and ``closed``. Add states
    (``workflow.add_state``), transitions (``workflow.add_transition``) and guards
    (``workflow.add_guard``). The return value is ignored. An exception here stops the start-up,
    since the application cannot run with half a workflow.
    """


@hookspec
def kokoma_escalation_factors(case, analysis):
    """Contribute to a case's escalation score.

    Called whenever a case is created, edited, changes state or its analysis changes, inside the
    transaction of that change, with the :class:`kokoma.models.Case` as it is about to be saved
    and its ``analysis`` (:class:`kokoma.services.analysis_snapshot.Analysis`: ``actors``,
    ``relations``, ``issues``, ``history``, ``hearings``, ``resources``, ``assessments``,
    ``extra`` with the values of the analysis fields plugins add, and what follows from them such
    as ``flagged_actors``, ``highest_threat``, ``tandem_gap``; each part is read when first
    used). An implementation may take ``case`` alone. Return an iterable of
    ``(key, points, reason)`` tuples (or None): ``key`` a short identifier, ``points`` an integer
    (negative points lower the score), ``reason`` a sentence a person can read; it is shown on
    the case and in the score's history. The score is the sum over all plugins, clamped to
    0-100; its level is low, elevated (from 30), high (from 60) or critical (from 80).
    """


@hookspec
def kokoma_transition_guard(case, trigger, user):
    """Veto a state change.

    Called before a trigger fires and when the case page lists the triggers, with the case, the
    trigger's name (e.g. ``"start_processing"``) and the :class:`kokoma.models.User` who acts.
    Return a reason in words (a string) to block the trigger, or None to allow it. A guard that
    raises does not block: the failure is recorded on the case and the change goes through.
    """


@hookspec
def kokoma_case_event(case, event):
    """React to an entry of a case's trail.

    Called inside the database transaction right after each event (created, edited, transition,
    comment, measure) is written, with the case and the :class:`kokoma.models.CaseEvent`. Each
    implementation runs in a savepoint: what it adds to the session is committed with the change,
    and if it raises, its own writes are undone, the failure is recorded as a ``plugin_error``
    event and the change is still saved. The return value is ignored.
    """


@hookspec
def kokoma_notify_partners(case, event, partners, delivery):
    """Tell a local partner about an event: each implementation is a channel (e-mail, webhook, ...).

    Called after the change is committed, by the notification worker, once per event, subscribed
    partner and channel, with the case (its ``municipality`` loaded), the
    :class:`kokoma.models.CaseEvent`, a list holding the one :class:`kokoma.models.Partner` to
    tell, and ``delivery`` (``idempotency_key``, the same on every retry; ``attempt``, from 1;
    ``base_url`` for links). Return False when the partner has no address on this channel (the
    delivery is marked skipped), anything else when it was delivered. Raise to have it retried
    later with a doubling delay: a failing channel never undoes or blocks a change. Send only what
    the partner needs (reference, category, state, level, link) unless ``partner.share_details``.
    """


@hookspec
def kokoma_case_form_fields(municipality):
    """Add fields to the case form of a municipality.

    Called each time the case form is built, with the :class:`kokoma.models.Municipality` of the
    case. Return a dict mapping a field name (a lower-case identifier) to an unbound WTForms
    field, e.g. ``{"media_coverage": SelectField(_l("Media coverage"), choices=[...])}``, or
    None. Values are validated by the field and stored in the case's ``extra`` JSON under that
    name; plugins read them back from ``case.extra``.
    """


@hookspec
def kokoma_analysis_fields(municipality):
    """Add fields to the conflict analysis of a municipality's cases.

    Called each time the analysis form of a case is built or its values are shown, with the
    :class:`kokoma.models.Municipality` of the case. Return a dict mapping a field name (a
    lower-case identifier) to an unbound WTForms field, e.g.
    ``{"connectors": TextAreaField(_l("What connects the parties"))}``, or None. Values are
    validated by the field, saved with the analysis (a change after the analysis phase is
    recorded in the trail) and stored under that name in the analysis's ``extra``; plugins read
    them back as ``analysis.extra`` in ``kokoma_escalation_factors``.
    """
