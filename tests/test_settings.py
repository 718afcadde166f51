"""Settings: declared once in app/config.py, typed, with clear errors; README lists every one."""
import re

import pytest

from app import create_app
from app.config import PROJECT_ROOT, SettingsError, load_settings
from tests.helpers import make_config

pytestmark = pytest.mark.nodb


def test_typed_values_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_SHARDS", "3")
    monkeypatch.setenv("KIOSK_MODE", "yes")
    settings = load_settings(make_config(tmp_path))
    assert settings["SEARCH_SHARDS"] == 3 and settings["KIOSK_MODE"] is True


def test_a_bad_value_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCH_SHARDS", "three")
    with pytest.raises(SettingsError, match="SEARCH_SHARDS"):
        load_settings(make_config(tmp_path))


def test_unknown_app_env_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(SettingsError, match="APP_ENV"):
        load_settings({"INSTANCE_PATH": str(tmp_path)})


def test_test_config_wins_and_paths_follow_its_instance(tmp_path):
    app = create_app(make_config(tmp_path, PUBLIC_BASE_URL="https://pufa.example.gov.cn"))
    assert app.config["PUBLIC_BASE_URL"] == "https://pufa.example.gov.cn"
    assert app.config["SEARCH_INDEX_PATH"] == str(tmp_path / "search-index")
    assert app.testing


def test_readme_lists_every_environment_variable():
    source = (PROJECT_ROOT / "app" / "config.py").read_text(encoding="utf-8")
    declared = set(re.findall(r'env\.\w+\("([A-Z_]+)"', source))
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)`", readme, re.M)) | set(re.findall(r"`([A-Z_]+)`", readme))
    assert declared and declared <= documented, sorted(declared - documented)


def test_every_command_the_readme_shows_exists(tmp_path):
    """README.md's `flask --app wsgi GROUP COMMAND` lines name commands the app really has."""
    import click

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"flask --app wsgi ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", readme))
    app = create_app(make_config(tmp_path))
    context = click.Context(app.cli)
    missing = []
    for group, command in shown:
        found = app.cli.get_command(context, group)
        if found is None or (command and isinstance(found, click.Group) and found.get_command(context, command) is None):
            missing.append(f"{group} {command}".strip())
    assert len(shown) >= 10 and missing == []
