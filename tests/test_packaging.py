"""An installed wheel finds its templates, migrations, static files and compiled catalogues."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECK = r'''
import kokoma, sys
from pathlib import Path
assert "site" in kokoma.__file__, kokoma.__file__
from flask_migrate import upgrade
app = kokoma.create_app({"INSTANCE_PATH": sys.argv[1], "PLUGINS_DIR": None,
                         "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/k.sqlite"})
assert app.template_folder.startswith(str(Path(kokoma.__file__).parent)), app.template_folder
with app.app_context():
    upgrade()
page = app.test_client().get("/login")
assert page.status_code == 200, page.status_code
text = page.get_data(as_text=True)
assert "Anmelden" in text, "German catalogue missing"
assert app.test_client().get("/static/kokoma.css").status_code == 200
print("wheel ok")
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("kokoma-*.whl"))


def test_the_wheel_carries_templates_migrations_and_catalogues(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "kokoma/templates/base.html",
        "kokoma/templates/cases/detail.html",
        "kokoma/migrations/env.py",
        "kokoma/migrations/versions/0001_initial_schema.py",
        "kokoma/static/kokoma.css",
        "kokoma/translations/de/LC_MESSAGES/messages.mo",
    ):
        assert required in names, required


def test_an_installed_wheel_runs(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    instance = tmp_path / "instance"
    instance.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", CHECK, str(instance)],
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wheel ok" in result.stdout
