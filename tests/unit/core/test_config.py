import pytest

from corridor.config import InsecureSettingWarning, load_settings
from corridor.errors import ConfigurationError


def _file(tmp_path, **extra):
    lines = [
        'party = "hospital"',
        'name = "hospital-a"',
        'public_url = "http://127.0.0.1:9001"',
        f'state_dir = "{tmp_path / "state"}"',
    ]
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reads_a_settings_file_and_defaults_to_sqlite_in_the_state_folder(tmp_path):
    settings = load_settings(_file(tmp_path))
    assert settings.name == "hospital-a"
    assert settings.effective_database_url.endswith("state/corridor.db")


def test_environment_variables_override_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_NAME", "hospital-b")
    assert load_settings(_file(tmp_path)).name == "hospital-b"


def test_unknown_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="extra"):
        load_settings(_file(tmp_path, colour="blue"))


def test_production_refuses_the_built_in_passphrase(tmp_path):
    with pytest.raises(ConfigurationError, match="production"):
        load_settings(_file(tmp_path, environment="production"))


def test_production_refuses_the_simulated_enclave(tmp_path, monkeypatch):
    monkeypatch.setenv("CORRIDOR_KEY_PASSPHRASE", "a real secret from the vault")
    path = _file(tmp_path, environment="production")
    path.write_text(path.read_text().replace('party = "hospital"', 'party = "datacenter"'))
    with pytest.raises(ConfigurationError) as caught:
        load_settings(path)
    assert "simulated" in caught.value.diagnostics()


def test_local_settings_warn_about_the_built_in_passphrase(tmp_path):
    settings = load_settings(_file(tmp_path))
    with pytest.warns(InsecureSettingWarning):
        settings.warn_if_insecure()


def test_an_unreadable_file_is_a_configuration_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_settings(bad)
