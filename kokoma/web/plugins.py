"""Plugins on the web: the coordinator's page of installed plugins (on/off and settings per
municipality), and what plugins add to pages: their own blueprints, menu links, case page panels."""
from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField, StringField

from ..plugin_host import PluginLoadError, malformed
from ..runtime import kokoma
from ..services import plugins as plugin_service
from ..services.errors import ValidationError
from .auth import require_login
from .forms import Form, attach_errors, choices

bp = Blueprint("plugins", __name__, url_prefix="/plugins")
require_login(bp)
SETTING_PREFIX = "setting_"


@bp.get("/")
def index():
    return render_template("plugins/list.html", rows=plugin_service.installed(current_user))


@bp.route("/<path:name>", methods=["GET", "POST"])
def detail(name: str):
    row = plugin_service.get_plugin(current_user, name)
    form = settings_form(row)
    if request.method == "POST" and "enabled" in request.form and form.validate():
        try:
            row = plugin_service.switch(current_user, name, request.form["enabled"] == "1")
        except ValidationError as exc:
            if row.plugin.is_default:
                abort(400)
            return render_template("plugins/detail.html", row=row, form=form, switch_error=exc.errors["enabled"],
                                   in_use=plugin_service.cases_in_its_states(current_user, name)), 422
        flash(_("“%(plugin)s” is now on for your municipality.", plugin=name) if row.enabled
              else _("“%(plugin)s” is now off for your municipality.", plugin=name), "success")
        return redirect(url_for(".detail", name=name))
    if request.method == "POST" and form.validate():
        raw = {s.name: getattr(form, SETTING_PREFIX + s.name).data for s in row.plugin.settings}
        try:
            plugin_service.save_settings(current_user, name, raw)
        except ValidationError as exc:
            attach_errors(form, ValidationError({SETTING_PREFIX + k: v for k, v in exc.errors.items()}))
        else:
            flash(_("The settings of “%(plugin)s” were saved.", plugin=name), "success")
            return redirect(url_for(".detail", name=name))
    return render_template("plugins/detail.html", row=row, form=form), 422 if form.errors else 200


def settings_form(row):
    """A form with a field per declared setting, filled with the values in force."""
    fields = {}
    for setting in row.plugin.settings:
        label, description = setting.label or setting.name, setting.help or ""
        if setting.type is bool:
            field = BooleanField(label, description=description)
        elif setting.choices is not None:
            field = SelectField(label, choices=choices(setting.choices.items()), description=description)
        else:
            field = StringField(label, description=description)
        fields[SETTING_PREFIX + setting.name] = field
    form_class = type("PluginSettingsForm", (Form,), fields)
    if request.method == "POST":
        return form_class()
    return form_class(data={SETTING_PREFIX + k: v for k, v in row.settings.items()})


# --- what plugins add -----------------------------------------------------------------------


def register_plugin_pages(app: Flask) -> None:
    """Register each plugin's blueprints: for logged-in people, 404 where the plugin is off."""
    results, failures = kokoma_of(app).plugins.call_each("kokoma_blueprints")
    if failures:
        raise PluginLoadError("; ".join(f"plugin {f.plugin} failed in {f.hook}: {f.error}" for f in failures))
    for plugin, blueprints in results:
        for blueprint in blueprints or ():
            if not isinstance(blueprint, Blueprint):
                failure = malformed(plugin, "kokoma_blueprints", blueprint, "a list of flask.Blueprint")
                raise PluginLoadError(f"plugin {plugin}: {failure.error}")
            require_login(blueprint)
            blueprint.before_request(_only_where_on(plugin))
            app.register_blueprint(blueprint)


def kokoma_of(app: Flask):
    return app.extensions["kokoma"]


def _only_where_on(plugin: str):
    def check():
        if not kokoma().plugins.is_enabled(plugin, current_user.municipality_id):
            abort(404)

    return check


def menu_links() -> list[tuple[str, str]]:
    """(label, url) of the links plugins add to the navigation for the current user."""
    from .errors import database_down

    if database_down() or not current_user.is_authenticated:
        return []  # an error page shows only KoKoMa's own links
    results, failures = kokoma().plugins.call_each("kokoma_menu_links", user=current_user)
    links = []
    for plugin, returned in results:
        for link in returned or ():
            if isinstance(link, (tuple, list)) and len(link) == 2 and isinstance(link[1], str):
                links.append((str(link[0]), str(link[1])))
            else:
                failures.append(malformed(plugin, "kokoma_menu_links", link, "(label, url) pairs"))
    return links  # failures are logged (a page of every kind shows the menu: no message there)


def case_panels(case, user) -> tuple[list[tuple[str, Markup]], list]:
    """(plugin, HTML) of each panel plugins show on a case page, and the failures."""
    results, failures = kokoma().plugins.call_each("kokoma_case_panel", case=case, user=user)
    panels = []
    for plugin, html in results:
        if html is None:
            continue
        if not isinstance(html, str):
            failures.append(malformed(plugin, "kokoma_case_panel", html, "HTML (a string or Markup) or None"))
            continue
        panels.append((plugin, html if isinstance(html, Markup) else escape(html)))
    return panels, failures


def flash_plugin_failures(failures, *, saved: bool = True) -> None:
    """A warning per plugin that failed while the page was made or the work saved."""
    for failure in failures:
        if saved:
            message = _(
                "The plugin “%(plugin)s” failed (%(hook)s): %(error)s. Your work was saved; the error is recorded on the case.",
                plugin=failure.plugin, hook=failure.hook, error=failure.error,
            )
        else:
            message = _("The plugin “%(plugin)s” failed (%(hook)s): %(error)s.",
                        plugin=failure.plugin, hook=failure.hook, error=failure.error)
        flash(message, "warning")
