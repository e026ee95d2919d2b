"""The plugin reference, generated from the code: docs/plugin-reference.md and
``flask --app kokoma plugins --reference`` (tests/test_plugin_reference.py fails when the page is
out of date: regenerate it with ``flask --app kokoma plugins --reference > docs/plugin-reference.md``).
"""
import inspect

from flask_babel import force_locale
from sqlalchemy import inspect as sa_inspect

import ast
from pathlib import Path

from . import domain, hookspecs, plugin_api
from .models import Case, CaseEvent, Municipality, Partner, User
from .workflow import definition as workflow_definition

# Attributes of each object a plugin may read (what is not listed is KoKoMa's own business:
# password and invitation hashes, counters).
READABLE = {
    Case: None,  # every column
    CaseEvent: None,
    Municipality: ("id", "code", "name", "created_at"),
    Partner: None,
    User: ("id", "email", "name", "role", "municipality_id", "active", "locale", "created_at"),
}
EXTRA_ATTRIBUTES = {
    Case: ("municipality", "facilitator", "advisor"),
    CaseEvent: ("actor",),
    User: ("municipality",),
}


def hook_names() -> list[str]:
    return sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("kokoma_"))


def hook_signature(name: str) -> str:
    return f"{name}{inspect.signature(getattr(hookspecs, name))}"


def reference_markdown() -> str:
    with force_locale("en"):
        parts = [
            "# Plugin reference\n",
            "Generated from the code by `flask --app kokoma plugins --reference`; do not edit by hand "
            "(a test fails when it is out of date). The tutorial is docs/plugins.md.\n",
            _hooks(), _objects(), _vocabularies(), _workflow(), _api(), _fixtures(),
        ]
    return "\n".join(parts)


def _doc(obj) -> str:
    return inspect.cleandoc(inspect.getdoc(obj) or "")


def _hooks() -> str:
    out = ["## Hooks\n"]
    for name in hook_names():
        out.append(f"### `{hook_signature(name)}`\n\n{_doc(getattr(hookspecs, name))}\n")
    return "\n".join(out)


def _objects() -> str:
    out = ["## Objects plugins may read\n",
           "Read these attributes; change a case only through the hooks (a form field's value, a state).\n"]
    for model, names in READABLE.items():
        columns = sa_inspect(model).columns
        out.append(f"### `{model.__module__.rsplit('.', 2)[0]}.models.{model.__name__}`\n\n{_doc(model)}\n")
        out.append("| attribute | type |\n|---|---|")
        for column in columns:
            if names is None or column.key in names:
                kind = getattr(column.type, "python_type", None) if not hasattr(column.type, "impl") else None
                try:
                    kind = column.type.python_type.__name__
                except (NotImplementedError, AttributeError):
                    kind = type(column.type).__name__
                out.append(f"| `{column.key}` | {kind}{' or None' if column.nullable else ''} |")
        for extra in EXTRA_ATTRIBUTES.get(model, ()):
            out.append(f"| `{extra}` | related object (loaded where the hook says so) |")
        out.append("")
    return "\n".join(out)


def _table(title: str, mapping, note: str = "") -> str:
    rows = "\n".join(f"| `{key}` | {label} |" for key, label in mapping.items())
    return f"### {title}\n\n{note}{'' if not note else chr(10) + chr(10)}| key | label |\n|---|---|\n{rows}\n"


def _vocabularies() -> str:
    levels = {f"{name}": f"{domain.LEVELS[name]} (from {bound} points)" for name, bound in domain.LEVEL_THRESHOLDS}
    return "\n".join([
        "## Vocabularies\n",
        _table("Category keys (`case.category`)", domain.CATEGORIES),
        _table("Event kinds (`event.kind`)", domain.EVENT_KINDS,
               "Partners may subscribe to: " + ", ".join(f"`{k}`" for k in domain.SUBSCRIBABLE_EVENTS)
               + " and `transition:<trigger>`."),
        _table("Escalation levels (`case.escalation_level`)", levels),
        _table("Glasl stages (`case.glasl_stage`)", domain.GLASL_STAGES),
        _table("Roles (`user.role`)", domain.ROLES),
        _table("Partner kinds (`partner.kind`)", domain.PARTNER_KINDS),
        _table("Measure kinds (`event.payload['measure']`)", domain.MEASURE_KINDS),
    ])


def _workflow() -> str:
    from .defaults import workflow as default_workflow

    definition = workflow_definition.WorkflowDefinition()
    with definition.defined_by("kokoma.defaults.workflow"):
        default_workflow.kokoma_workflow(workflow=definition)
    states = "\n".join(f"| `{s.name}` | {s.label} | {'yes' if s.name == definition.initial else ''} | "
                       f"{'yes' if s.final else ''} |" for s in definition.states.values())
    triggers = "\n".join(
        f"| `{t.trigger}` | {', '.join(f'`{s}`' for s in t.sources)} | `{t.dest}` | {t.label} | {t.direction} | "
        f"{'yes' if t.requires_comment else ''} |" for t in definition.transitions)
    return "\n".join([
        "## The default workflow\n",
        "### States\n\n| state | label | initial | final |\n|---|---|---|---|\n" + states + "\n",
        "### Triggers\n\n| trigger | from | to | label | direction | needs a comment |\n|---|---|---|---|---|---|\n"
        + triggers + "\n",
    ])


def _members(cls, names) -> str:
    out = []
    for name in names:
        member = getattr(cls, name)
        out.append(f"#### `{name}{inspect.signature(member)}`\n\n{_doc(member)}\n")
    return "\n".join(out)


def _api() -> str:
    WD = workflow_definition.WorkflowDefinition
    return "\n".join([
        "## The workflow-definition API\n",
        f"### `kokoma.workflow.WorkflowDefinition`\n\n{_doc(WD)}\n",
        _members(WD, ("add_state", "add_transition", "add_guard")),
        f"### `kokoma.workflow.TransitionRequest{inspect.signature(workflow_definition.TransitionRequest)}`\n\n"
        f"{_doc(workflow_definition.TransitionRequest)}\n",
        "## Declaring a plugin\n",
        f"### `kokoma.Plugin{inspect.signature(plugin_api.Plugin)}`\n\n{_doc(plugin_api.Plugin)}\n",
        _members(plugin_api.Plugin, ("gettext", "lazy_gettext", "reason", "settings_for")),
        f"### `kokoma.Setting{inspect.signature(plugin_api.Setting)}`\n\n{_doc(plugin_api.Setting)}\n",
        f"### `kokoma.Reason(msgid, *, domain=None, **params)`\n\n{_doc(plugin_api.Reason)}\n",
        f"### `kokoma.lazy_gettext_for{inspect.signature(plugin_api.lazy_gettext_for)}`\n\n"
        f"{_doc(plugin_api.lazy_gettext_for)}\n",
        "### Form inputs\n\nA field `<name>` of `kokoma_case_form_fields` or `kokoma_partner_fields` is the form "
        "input `extra_<name>`; its value is stored in `case.extra[<name>]` or `partner.extra[<name>]`.\n",
    ])


def _fixtures() -> str:
    # read from the source: kokoma.testing imports pytest, which a production install lacks
    source = (Path(__file__).resolve().parent / "testing.py").read_text(encoding="utf-8")
    return f"## Test fixtures (`kokoma.testing`, a pytest plugin)\n\n{ast.get_docstring(ast.parse(source))}\n"
