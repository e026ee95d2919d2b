"""``flask --app kokoma ...`` commands."""
import time

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from .database import db
from .domain import ROLES
from .models import Municipality
from .privacy import cli as privacy_cli
from .assembly import worker_round
from .runtime import kokoma
from .services import accounts
from .services.errors import ValidationError


def init_app(app: Flask) -> None:
    app.cli.add_command(municipality_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(plugins_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(plugin_cli)
    privacy_cli.init_app(app)
    _add_plugin_commands(app)


def _add_plugin_commands(app: Flask) -> None:
    """The commands plugins add (kokoma_cli_commands)."""
    from .plugin_host import PluginLoadError, malformed

    results, failures = app.extensions["kokoma"].plugins.call_each("kokoma_cli_commands")
    if failures:
        raise PluginLoadError("; ".join(f"plugin {f.plugin} failed in {f.hook}: {f.error}" for f in failures))
    for plugin, commands in results:
        for command in commands or ():
            if not isinstance(command, click.Command):
                raise PluginLoadError(f"plugin {plugin}: " + malformed(plugin, "kokoma_cli_commands", command,
                                                                       "a list of click commands").error)
            app.cli.add_command(command)


def _fail_on(exc: ValidationError):
    raise click.UsageError("\n".join(f"{field}: {message}" for field, message in exc.errors.items()))


@click.group("municipality", help="Manage municipalities.")
def municipality_cli():
    pass


@municipality_cli.command("create")
@click.argument("code")
@click.argument("name")
@with_appcontext
def create_municipality(code, name):
    """Create a municipality; CODE prefixes its case references (e.g. COE)."""
    try:
        municipality = accounts.create_municipality(code, name)
    except ValidationError as exc:
        _fail_on(exc)
    click.echo(f"Created municipality {municipality.code}: {municipality.name}")


@click.group("user", help="Manage users.")
def user_cli():
    pass


@user_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--municipality", "municipality_code", help="Code of the user's municipality.")
@click.password_option()
@with_appcontext
def create_user(email, name, role, municipality_code, password):
    """Create a user (the password is asked for)."""
    municipality = None
    if municipality_code:
        municipality = accounts.municipality_by_code(municipality_code)
        if municipality is None:
            raise click.UsageError(f"no municipality with the code {municipality_code}")
    try:
        user = accounts.create_user(email=email, name=name, password=password, role=role, municipality=municipality)
    except ValidationError as exc:
        _fail_on(exc)
    click.echo(f"Created {role} {user.email}")


@click.command("plugins")
@click.option("--reference", is_flag=True, help="Print the plugin reference (Markdown), generated from the code.")
@with_appcontext
def plugins_command(reference):
    """List the loaded plugins and the hooks each implements."""
    if reference:
        from .plugin_reference import reference_markdown

        click.echo(reference_markdown(), nl=False)
        return
    host = kokoma().plugins
    for name, hooks in host.listing():
        plugin = host.plugins[name]
        click.echo(f"{name} {plugin.version or ''}".rstrip() + f"  [{plugin.source}: {plugin.origin}]")
        if plugin.description:
            click.echo(f"    {plugin.description}")
        click.echo("    hooks: " + (", ".join(hooks) if hooks else "(none)"))


@click.group("plugin", help="Write a new plugin; migrate the plugins' own tables.")
def plugin_cli():
    pass


@plugin_cli.command("new")
@click.argument("name")
@click.option("--directory", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Where the package's folder is written.")
def new_plugin(name, directory):
    """Write an installable plugin package NAME (a lower-case identifier) with a test."""
    from .scaffold import ScaffoldError, write_scaffold

    try:
        folder = write_scaffold(name, directory)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Wrote {folder}. Next:\n  pip install -e {folder}\n  pytest {folder}")


@plugin_cli.command("upgrade")
@with_appcontext
def upgrade_plugin_tables():
    """Create or migrate the plugins' own tables (after `db upgrade`)."""
    from .plugin_tables import upgrade_plugins

    done = upgrade_plugins()
    click.echo("Migrated: " + (", ".join(done) if done else "no plugin has tables of its own"))


@plugin_cli.command("revision")
@click.argument("name")
@click.option("-m", "--message", required=True)
@with_appcontext
def plugin_revision(name, message):
    """Write a migration of plugin NAME's own tables, from its models."""
    from .plugin_tables import new_revision

    try:
        new_revision(name, message)
    except (KeyError, LookupError) as exc:
        raise click.UsageError(str(exc)) from None


@click.command("demo-data")
@with_appcontext
def demo_data_command():
    """Load German demo data: two municipalities with cases in every focus area and state."""
    from .demo import DEMO_PASSWORD, load_demo_data

    if db.session.query(Municipality.id).first() is not None:
        raise click.ClickException("the database has data already; demo data goes into an empty one")
    users = load_demo_data()
    click.echo("Demo data loaded. Logins (password for all: %s):" % DEMO_PASSWORD)
    for user in users:
        click.echo(f"  {user.email:32} {user.role}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(host, port):
    """Migrate the database, load the demo data if it is empty, and serve the app."""
    from .demo import DEMO_PASSWORD, demo_logins, load_demo_data

    upgrade()
    from .plugin_tables import upgrade_plugins

    upgrade_plugins()
    if db.session.query(Municipality.id).first() is None:
        load_demo_data()
    click.echo("\nKoKoMa runs at http://%s:%d/" % (host, port))
    click.echo("Demo logins (password for all: %s):" % DEMO_PASSWORD)
    for email, role in demo_logins():
        click.echo(f"  {email:32} {role}")
    click.echo("")
    db.session.remove()
    # The demo speaks plain HTTP on loopback, so its cookies cannot be HTTPS-only.
    current_app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    # Flask refuses app.run() inside its own CLI; Werkzeug's server is what `flask run` uses.
    run_simple(host, port, click.get_current_context().find_object(ScriptInfo).load_app(), threaded=True)


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due and stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def worker_command(once, interval):
    """Deliver queued partner notifications, retrying failed ones when they are due, and send
    the daily digests; once a day apply retention and remove old access-trail entries.

    Any number of workers may run at once, on one machine or several sharing the database."""
    while True:
        attempted = worker_round(kokoma().plugins)  # deliveries, digests, the daily privacy jobs
        db.session.remove()
        if once:
            click.echo(f"{attempted} delivery attempt(s)")
            return
        time.sleep(interval)


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address for gunicorn (behind a reverse proxy).")
@click.option("--workers", type=int, default=None, help="Worker processes [default: 2 × CPUs + 1].")
@click.option("--threads", type=int, default=2, show_default=True)
@click.option("--timeout", type=int, default=60, show_default=True)
@with_appcontext
def serve_command(bind, workers, threads, timeout):
    """Serve KoKoMa for production with gunicorn (migrate first with `db upgrade`)."""
    from .serve import KokomaServer, default_workers, per_process_limit_problem

    workers = workers or default_workers()
    problem = per_process_limit_problem(current_app.config, workers)
    if problem:
        raise click.UsageError(problem)
    db.engine.dispose()  # no connection of this process is inherited by the workers
    KokomaServer({
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "timeout": timeout,
        "accesslog": "-",
        "preload_app": False,  # every worker makes its own app, engine and connections
    }).run()
