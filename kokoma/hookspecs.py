"""The hooks KoKoMa plugins implement: the public contract for municipalities' plugins.

A plugin is a module or object with functions marked ``@hookimpl`` (``from kokoma import
hookimpl``) whose names are those below. Implement only the hooks you need. KoKoMa calls each
plugin's implementation on its own, so one failing plugin never stops the others or loses a
person's change: the failure (an exception, or a return value the hook cannot use) is logged with
the plugin's name, the hook and what was expected, and shown on the page; during a change of a
case it is also recorded on the case as a ``plugin_error`` event. ``wrapper``/``hookwrapper``
implementations are refused at start-up. A hook called about a case or a municipality reaches a
plugin only where the municipality has it switched on. docs/plugins.md is the tutorial and
docs/plugin-reference.md the reference generated from this module (``flask --app kokoma plugins
--reference``).
"""
import pluggy

hookspec = pluggy.HookspecMarker("kokoma")


@hookspec
def kokoma_workflow(workflow):
    """Shape the workflow before the state machine is built.

    Called once per application at start-up, after all plugins are loaded, for each plugin on its
    own, with the :class:`kokoma.workflow.WorkflowDefinition` that the default plugin filled with
    the states ``analysis``, ``processing``, ``prevention`` and ``closed``. Add states
    (``workflow.add_state``), transitions (``workflow.add_transition``) and guards
    (``workflow.add_guard``). A plugin's states exist in every municipality; its transitions and
    guards count only where it is switched on, so it cannot be switched off while cases of the
    municipality are in one of its states. The return value is ignored. An exception here, or
    a state or trigger defined twice (the message names both plugins), stops the start-up.
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
    (negative points lower the score), ``reason`` a sentence a person can read: a
    :class:`kokoma.Reason` or a string made with ``gettext`` (Flask-Babel's or the plugin's
    ``KOKOMA_PLUGIN.gettext``). It is stored by message id and shown on the case and in the
    score's history in the reader's language. A tuple of another shape is left out and recorded
    as a failure. The score is the sum over all plugins, clamped to 0-100; its level is low,
    elevated (from 30), high (from 60) or critical (from 80).
    """


@hookspec
def kokoma_transition_guard(case, trigger, user):
    """Veto a state change.

    Called before a trigger fires and when the case page lists the triggers, with the case, the
    trigger's name (e.g. ``"start_processing"``) and the :class:`kokoma.models.User` who acts.
    Return a reason in words (a string) to block the trigger, or None to allow it; anything
    else (``True``, say) does not block and is recorded as a failure. A guard that raises does not
    block: the failure is recorded on the case and the change goes through.
    """


@hookspec
def kokoma_case_event(case, event):
    """React to an entry of a case's trail.

    Called inside the database transaction right after each event is written (its kinds are
    listed in the reference: ``created``, ``edited``, ``transition``, ``comment``, ``measure``,
    ``assigned``, ``review_requested``, ``review_given``, ``escalation_raised``; ``plugin_error``
    events are not passed on), with the case and the :class:`kokoma.models.CaseEvent`. Each
    implementation runs in a savepoint: what it adds to the session is committed with the change,
    and if it raises, its own writes are undone, the failure is recorded as a ``plugin_error``
    event and the change is still saved. The return value is ignored.
    """


@hookspec
def kokoma_notify_partners(case, event, partners, delivery):
    """Tell a local partner about an event: each implementation is a channel (e-mail, webhook, ...).

    Called after the change is committed, by the notification worker, once per event, subscribed
    partner and channel, with the case as it is at delivery time (its ``municipality`` loaded;
    ``event.snapshot`` has the state, level, score and category as they were at the event), the
    :class:`kokoma.models.CaseEvent`, a list holding the one :class:`kokoma.models.Partner` to
    tell (its ``extra`` holds the values of the plugin's ``kokoma_partner_fields``), and
    ``delivery`` (``idempotency_key``, the same on every retry; ``attempt``, from 1; ``base_url``
    for links). Deliveries are queued under the channel's stable name (``Plugin(channel=...)``,
    else the plugin's name), so they survive a re-install. Return False when the partner has no
    address on this channel (the delivery is marked skipped), anything else when it was delivered. Raise to have it retried
    later with a doubling delay: a failing channel never undoes or blocks a change. Send only what
    the partner needs (reference, category, state, level, link) unless ``partner.share_details``.
    """


@hookspec
def kokoma_case_form_fields(municipality):
    """Add fields to the case form of a municipality.

    Called each time the case form is built or a case page shows the values, with the
    :class:`kokoma.models.Municipality` of the case. Return a dict mapping a field name (a
    lower-case identifier) to an unbound WTForms field, e.g. ``{"media_coverage":
    SelectField(_l("Media coverage"), choices=[...])}``, or None. The form's input is named
    ``extra_<name>``; values are validated by the field and stored in the case's ``extra`` JSON
    under ``<name>``; plugins read them back from ``case.extra``. The case page shows a choice
    by its label and a boolean as yes/no. A name another plugin took already is refused (the
    failure names that plugin); a failure here is logged and shown on the page.
    """


@hookspec
def kokoma_partner_fields(municipality):
    """Add the fields a channel needs to the partner form (an address, an opt-in).

    Called each time the partner form of a municipality is built, with its
    :class:`kokoma.models.Municipality`. Return a dict of field name to unbound WTForms field, as
    for ``kokoma_case_form_fields``, or None. The fields are shown in a group named after the
    plugin; values are stored in ``partner.extra[<name>]``, which the channel reads.
    """


@hookspec
def kokoma_case_panel(case, user):
    """Show a panel of the plugin's own on the case page.

    Called each time the case page is shown, with the case and the :class:`kokoma.models.User`
    who reads it. Return HTML as a ``markupsafe.Markup`` (e.g.
    ``Markup(render_template("hotline/panel.html", case=case))`` with the template in the
    plugin's blueprint folder) or None for no panel; a plain string is shown as text (escaped). Show
    only what the reader may see: the reader's role is ``user.role``.
    """


@hookspec
def kokoma_menu_links(user):
    """Add links to the main navigation.

    Called each time a page is shown to a logged-in person, with that :class:`kokoma.models.User`.
    Return a list of ``(label, url)`` pairs (``url_for`` of the plugin's own pages), or None.
    """


@hookspec
def kokoma_blueprints():
    """Add pages: Flask blueprints with their own templates and static files.

    Called once per application at start-up. Return a list of :class:`flask.Blueprint`. Each is
    registered with the app; its pages are for logged-in people only and answer 404 in a
    municipality that has the plugin switched off (check ``kokoma.services.permissions`` for
    what a role may see). Templates may extend ``base.html``.
    """


@hookspec
def kokoma_cli_commands():
    """Add commands to ``flask --app kokoma``.

    Called once per application at start-up. Return a list of :mod:`click` commands (or groups);
    each is added to the app's command line and runs in an application context.
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
