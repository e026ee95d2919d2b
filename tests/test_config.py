"""Configuration: defaults, instance/config.py, then KOKOMA_* environment variables."""
from kokoma import create_app


def test_sqlite_in_the_instance_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("KOKOMA_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "PLUGINS_DIR": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/kokoma.sqlite"


def test_environment_variables_switch_the_database_without_code(tmp_path, monkeypatch):
    monkeypatch.setenv("KOKOMA_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("KOKOMA_CASES_PER_PAGE", "50")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "PLUGINS_DIR": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["CASES_PER_PAGE"] == 50


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("KOKOMA_DATABASE_URL", raising=False)
    (tmp_path / "config.py").write_text("CASES_PER_PAGE = 10\nSECRET_KEY = 'from-the-instance-folder'\n")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "PLUGINS_DIR": None})
    assert (app.config["CASES_PER_PAGE"], app.config["SECRET_KEY"]) == (10, "from-the-instance-folder")


def test_a_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("KOKOMA_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path), "PLUGINS_DIR": None}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path), "PLUGINS_DIR": None}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
