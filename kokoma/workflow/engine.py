"""Runs the workflow on cases with one ``transitions`` Machine per application.

The machine holds no models: each trigger is fired on the case passed in, through the Event
objects of the machine, so nothing is bound to or kept alive on a case and nothing per case is
allocated beyond the call (see transitions' issues #146, #379 and #434 for the cost of a machine
per object). ``auto_transitions`` are off (their ``to_<state>`` triggers would skip every guard)
and ``queued`` is off (a queue shared by all requests would let one request run another's trigger).
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from transitions import Machine

from ..plugin_host import malformed
from .definition import TransitionDef, TransitionRequest, WorkflowDefinition


class TransitionBlocked(Exception):
    """The trigger cannot fire now; ``reasons`` say why, in words."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = reasons


@dataclass
class TriggerOption:
    """A trigger as the case page offers it: allowed, or blocked with its reasons."""

    transition: TransitionDef
    reasons: list

    @property
    def allowed(self) -> bool:
        return not self.reasons


class WorkflowEngine:
    def __init__(self, definition: WorkflowDefinition, plugins, reserved_names: set[str]):
        definition.validate(reserved_names)
        self.definition = definition
        self.plugins = plugins
        self.machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial,
            auto_transitions=False,
            queued=False,
            send_event=True,
            ignore_invalid_triggers=False,
            model_attribute="state",
        )
        for transition in definition.transitions:
            self.machine.add_transition(
                transition.trigger,
                list(transition.sources),
                transition.dest,
                conditions=[self._condition(transition)],
            )

    @property
    def initial(self) -> str:
        return self.definition.initial

    def state_label(self, state: str):
        """The label of a state (translatable); a state no longer defined shows its name."""
        known = self.definition.states.get(state)
        return known.label if known else state

    def state_labels(self) -> dict:
        """Every state's label, in the workflow's order."""
        return {name: state.label for name, state in self.definition.states.items()}

    def options(self, case, user) -> tuple[list[TriggerOption], list]:
        """Every trigger from the case's state, each with what blocks it now (a comment aside),
        and the failures of guard plugins met on the way."""
        options, failures = [], []
        on = self.plugins.enabled(getattr(case, "municipality_id", None))
        for transition in self.definition.transitions_from(case.state):
            if transition.plugin is not None and transition.plugin not in on:
                continue  # a plugin's transitions are offered only where it is on
            request = TransitionRequest(case, transition.trigger, user, comment="")
            options.append(TriggerOption(transition, self._guard_reasons(transition, request)))
            failures.extend(request.plugin_failures)
        return options, failures

    def fire(self, request: TransitionRequest) -> str:
        """Move ``request.case`` on; returns the previous state or raises TransitionBlocked."""
        event = self.machine.events.get(request.trigger)
        source = request.case.state
        if event is None or source not in event.transitions or not self._offered(request.trigger, request.case):
            raise TransitionBlocked(
                [_("“%(trigger)s” is not possible in the state “%(state)s”.",
                   trigger=request.trigger, state=self.state_label(source))]
            )
        if not event.trigger(request.case, request=request):
            raise TransitionBlocked(request.reasons)
        return source

    def switchable_plugin_of(self, trigger: str, state: str) -> str | None:
        """The plugin whose transition ``trigger`` is from ``state``, if a municipality can switch
        it off; None for a default's (always on, like the workflow itself)."""
        return next((t.plugin for t in self.definition.transitions_from(state)
                     if t.trigger == trigger and t.plugin and not self.plugins.plugins[t.plugin].is_default), None)

    def _offered(self, trigger: str, case) -> bool:
        on = self.plugins.enabled(getattr(case, "municipality_id", None))
        return any(t.plugin is None or t.plugin in on
                   for t in self.definition.transitions_from(case.state) if t.trigger == trigger)

    def _condition(self, transition: TransitionDef):
        def check(event_data) -> bool:
            request: TransitionRequest = event_data.kwargs["request"]
            request.reasons = self._comment_reasons(transition, request) + self._guard_reasons(transition, request)
            return not request.reasons

        return check

    def _comment_reasons(self, transition: TransitionDef, request: TransitionRequest) -> list[str]:
        if transition.requires_comment and not request.comment.strip():
            if self.definition.states[transition.dest].final:  # the one term for what a closing needs
                return [_("Please write the closing report.")]
            return [_("Please give a reason in the comment.")]
        return []

    def _guard_reasons(self, transition: TransitionDef, request: TransitionRequest) -> list[str]:
        on = self.plugins.enabled(getattr(request.case, "municipality_id", None))
        reasons = [reason for guard in transition.guards
                   if getattr(guard, "plugin", None) in (None, *on) and (reason := guard(request))]
        results, failures = self.plugins.call_each(
            "kokoma_transition_guard", case=request.case, trigger=transition.trigger, user=request.user
        )
        request.plugin_failures.extend(failures)
        for plugin, reason in results:
            if reason is None or reason is False:
                continue
            if isinstance(reason, bool) or not str(reason).strip():
                request.plugin_failures.append(malformed(plugin, "kokoma_transition_guard", reason,
                                                         "a reason in words (a string) to block, or None to allow"))
                continue
            reasons.append(reason)
        return [str(reason) for reason in reasons]
