"""`flask --app kokoma plugin new NAME` writes a package that installs and whose test passes."""
import os
import subprocess
import sys
import uuid

import pytest


def test_a_new_plugin_installs_and_its_test_passes_at_once(app, tmp_path):
    name = "scaffolded_" + uuid.uuid4().hex[:8]
    result = app.test_cli_runner().invoke(args=["plugin", "new", name, "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / f"kokoma-{name.replace('_', '-')}"
    for path in ("pyproject.toml", f"kokoma_{name}/__init__.py", f"tests/test_{name}.py",
                 f"kokoma_{name}/translations/de/LC_MESSAGES/{name}.po"):
        assert (folder / path).is_file(), path
    assert f'[project.entry-points.kokoma]\n{name} = "kokoma_{name}"' in (folder / "pyproject.toml").read_text()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # Into the running environment, without dependencies (KoKoMa is there; the build backend is
    # hatchling, as KoKoMa's own); uninstalled again whatever happens.
    subprocess.run([*pip, "install", "--no-deps", "-e", str(folder)], check=True)
    try:
        env = {k: v for k, v in os.environ.items() if k != "KOKOMA_TEST_DATABASE_URL"}  # its own SQLite
        tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                               cwd=folder, env=env, capture_output=True, text=True, timeout=300)
        assert tests.returncode == 0, tests.stdout + tests.stderr
        assert "3 passed" in tests.stdout
    finally:
        subprocess.run([*pip, "uninstall", "-y", f"kokoma-{name.replace('_', '-')}"], check=True)


@pytest.mark.parametrize("bad", ["Hotline", "1st", "class", "x"])
def test_a_name_that_is_no_identifier_is_refused(app, tmp_path, bad):
    result = app.test_cli_runner().invoke(args=["plugin", "new", bad, "--directory", str(tmp_path)])
    assert result.exit_code != 0 and "lower-case identifier" in result.output
