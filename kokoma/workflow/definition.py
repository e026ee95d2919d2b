"""The workflow as data: states, transitions and guards that plugins edit before it is built."""
import keyword
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# transitions binds to_<state> and is_<state> helpers; names like these would be ambiguous.
RESERVED_PREFIXES = ("to_", "is_", "may_")


class WorkflowError(ValueError):
    """The workflow definition is inconsistent; raised at start-up."""


@dataclass
class TransitionRequest:
    """One person's attempt to fire a trigger on a case; what guards look at."""

    case: Any
    trigger: str
    user: Any
    comment: str = ""
    reasons: list = field(default_factory=list)  # filled in by the engine when blocked
    plugin_failures: list = field(default_factory=list)


# A guard returns a reason in words to block the transition, or None to allow it.
Guard = Callable[[TransitionRequest], "str | None"]


@dataclass
class StateDef:
    name: str
    label: Any  # a (lazy) translatable string
    # The case's work is done here (closed, say): no attention needed, not counted as open.
    final: bool = False
    plugin: str | None = None  # the plugin that added it


@dataclass(frozen=True)
class PluginGuard:
    """A guard added by a plugin: it applies only where that plugin is on."""

    guard: Guard
    plugin: str

    def __call__(self, request: TransitionRequest):
        return self.guard(request)


@dataclass
class TransitionDef:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    label: Any
    requires_comment: bool = False
    # "forward" moves the case on, "back" returns it; the page shows them apart.
    direction: str = "forward"
    guards: list[Guard] = field(default_factory=list)
    plugin: str | None = None  # the plugin that added it: offered only where that plugin is on


class WorkflowDefinition:
    """What plugins build in ``kokoma_workflow``: :meth:`add_state`, :meth:`add_transition` and
    :meth:`add_guard`; ``states``, ``transitions``, ``initial`` and ``final_states`` to read."""

    def __init__(self) -> None:
        self.initial: str | None = None
        self.states: dict[str, StateDef] = {}
        self.transitions: list[TransitionDef] = []
        self.current_plugin: str | None = None

    @contextmanager
    def defined_by(self, plugin: str):
        """While the block runs, what is added belongs to ``plugin``."""
        self.current_plugin = plugin
        try:
            yield self
        finally:
            self.current_plugin = None

    def add_state(self, name: str, label, *, initial: bool = False, final: bool = False) -> StateDef:
        """A state cases can be in, shown with ``label``; ``final`` where a case's work is done (it
        may still be reopened); ``initial`` for the state new cases start in (the default plugin's
        is ``analysis``). A state exists in every municipality, whoever has the plugin on."""
        _check_name(name, "state")
        if name in self.states:
            raise WorkflowError(f"state {name!r} is defined twice: by {self.states[name].plugin} and by {self.current_plugin}")
        state = self.states[name] = StateDef(name, label, final, self.current_plugin)
        if initial:
            self.initial = name
        return state

    def add_transition(
        self,
        trigger: str,
        sources: str | list[str] | tuple[str, ...],
        dest: str,
        label,
        *,
        requires_comment: bool = False,
        direction: str = "forward",
        guards: list[Guard] | tuple[Guard, ...] = (),
    ) -> TransitionDef:
        """A way from each of ``sources`` (a state or several) to ``dest``, fired by ``trigger``
        and shown with ``label``. ``requires_comment``: a reason must be given; ``direction``:
        "forward" or "back" (shown apart); ``guards``: functions taking a TransitionRequest that
        return a reason in words to block, or None. The same trigger may be added again from
        other sources; a second transition from the same source is refused."""
        _check_name(trigger, "trigger")
        sources = (sources,) if isinstance(sources, str) else tuple(sources)
        if direction not in ("forward", "back"):
            raise WorkflowError(f"direction of {trigger!r} must be 'forward' or 'back', not {direction!r}")
        for other in self.transitions:
            if other.trigger == trigger and set(other.sources) & set(sources):
                raise WorkflowError(f"trigger {trigger!r} from {', '.join(sorted(set(other.sources) & set(sources)))} "
                                    f"is defined twice: by {other.plugin} and by {self.current_plugin}")
        transition = TransitionDef(trigger, sources, dest, label, requires_comment, direction, list(guards),
                                   self.current_plugin)
        self.transitions.append(transition)
        return transition

    def add_guard(self, trigger: str, guard: Guard) -> None:
        """Add a guard to every transition fired by ``trigger`` (defined before: the default
        plugin's, or a plugin's loaded earlier). A guard takes a TransitionRequest and returns a
        reason in words to block, or None; a plugin's guard applies only where it is on."""
        matching = [t for t in self.transitions if t.trigger == trigger]
        if not matching:
            raise WorkflowError(f"cannot guard unknown trigger {trigger!r} (plugin {self.current_plugin})")
        for transition in matching:
            transition.guards.append(PluginGuard(guard, self.current_plugin) if self.current_plugin else guard)

    @property
    def final_states(self) -> tuple[str, ...]:
        return tuple(name for name, state in self.states.items() if state.final)

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.sources]

    def validate(self, reserved_names: set[str]) -> None:
        if self.initial is None:
            raise WorkflowError("the workflow has no initial state")
        for transition in self.transitions:
            for state in (*transition.sources, transition.dest):
                if state not in self.states:
                    raise WorkflowError(f"trigger {transition.trigger!r} (plugin {transition.plugin}) "
                                        f"uses unknown state {state!r}")
        clashes = (set(self.states) | {t.trigger for t in self.transitions}) & reserved_names
        if clashes:
            raise WorkflowError(
                "workflow names clash with attributes of a case: " + ", ".join(sorted(clashes))
            )
        triggers_and_states = {t.trigger for t in self.transitions} & set(self.states)
        if triggers_and_states:
            raise WorkflowError("a trigger may not be named like a state: " + ", ".join(sorted(triggers_and_states)))


def _check_name(name: str, what: str) -> None:
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name) or name.startswith(RESERVED_PREFIXES):
        raise WorkflowError(
            f"{what} name {name!r} must be a lower-case identifier of 2-40 characters "
            f"not starting with {', '.join(RESERVED_PREFIXES)}"
        )
