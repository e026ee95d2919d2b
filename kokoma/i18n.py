"""Labels defined once and shown in the reader's language.

Flask-Babel's ``gettext`` finds the request's catalogue anew on every call, through several
context lookups (about 15 µs); a list of 50 cases shows some 200 labels, and those lookups were
most of what rendering it cost. So a page looks its catalogue up once and translates through it
(under 1 µs a string): :func:`bound_gettext` for the strings of templates and :func:`translated`
for vocabularies. Anything else may still turn a label into text the usual way.
"""
from collections.abc import Mapping

from flask_babel import LazyString, gettext
from jinja2 import pass_context
from markupsafe import Markup


class Label(LazyString):
    """A translatable label (``_l("…")`` in :mod:`kokoma.domain`): a lazy string that is
    translated whenever it becomes text, and that tells its message id, so that a page can
    translate it through the catalogue it has at hand."""

    def __init__(self, msgid: str):
        super().__init__(gettext, msgid)
        self.msgid = msgid


def translate(label, catalogue) -> str:
    """``label`` in the language of ``catalogue`` (a :class:`Label` by its message id, any other
    lazy or plain string as it turns into text)."""
    return catalogue.gettext(label.msgid) if isinstance(label, Label) else str(label)


def translated(labels: Mapping, catalogue) -> dict:
    """A vocabulary (key → label) in the language of ``catalogue``, as a plain dict."""
    return {key: translate(label, catalogue) for key, label in labels.items()}


class Vocabulary(Mapping):
    """A vocabulary (key → label) in the language of ``catalogue``, translated when a page first
    looks into it: every page is offered the method's two dozen vocabularies and uses two or
    three (translating all of them cost each page some 130 lookups)."""

    __slots__ = ("_labels", "_catalogue", "_shown")

    def __init__(self, labels: Mapping, catalogue):
        self._labels, self._catalogue, self._shown = labels, catalogue, None

    def _translated(self) -> dict:
        if self._shown is None:
            self._shown = translated(self._labels, self._catalogue)
        return self._shown

    def __getitem__(self, key):
        return self._translated()[key]

    def __iter__(self):
        return iter(self._labels)

    def __len__(self):
        return len(self._labels)


class ShownAsKey(dict):
    """Labels by key, where a key without a label (a state no longer defined, say) shows as itself."""

    def __missing__(self, key):
        return key


def bound_gettext(catalogue) -> dict:
    """``gettext`` (and ``_``) and ``ngettext`` for a template, bound to ``catalogue``, with the "newstyle"
    behaviour of Jinja's i18n extension that Flask-Babel sets up: the text is escaped unless
    marked safe, and filled in from keyword arguments (``%(name)s``, ``num`` for ngettext)."""

    @pass_context
    def template_gettext(context, message, **variables):
        text = catalogue.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        if not variables and "%" not in text:
            return text  # nothing to fill in: no formatting (most of a page's strings)
        return text % variables

    @pass_context
    def template_ngettext(context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        text = catalogue.ngettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    # ``_`` too: Jinja's own ``_`` looks ``gettext`` up and calls it, a second call per string.
    return {"gettext": template_gettext, "_": template_gettext, "ngettext": template_ngettext}
