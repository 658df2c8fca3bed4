"""Where the pseudonym key comes from, and what happens without one."""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd
import pytest

from evaluation.errors import ConfigError
from evaluation.io.pseudonyms import (
    EPHEMERAL_ENV,
    KEY_ENV,
    KEY_FILE_ENV,
    pseudonymise,
    resolve_key,
    shared_run_key,
)


@pytest.fixture
def no_key(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(EPHEMERAL_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.config/evaluation/pseudonym.key


def test_pseudonym_is_the_hmac_of_the_normalised_name():
    key = resolve_key("0123456789abcdef-key")
    expected = "P-" + hmac.new(b"0123456789abcdef-key", b"regie_de_quartier", hashlib.sha256).hexdigest()[:10]
    out = pseudonymise(pd.Series(["Régie de Quartier", None]), key)
    assert out[0] == expected and out.isna()[1]


def test_key_from_environment_then_file(no_key, monkeypatch, tmp_path):
    key_file = tmp_path / "outside" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text("a-key-read-from-a-file-0123\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    from_file = resolve_key()
    assert from_file.stable and from_file.secret == b"a-key-read-from-a-file-0123"
    monkeypatch.setenv(KEY_ENV, "a-key-from-the-environment")
    from_env = resolve_key()
    assert from_env.stable and from_env.source.startswith("environment")
    assert from_env.fingerprint != from_file.fingerprint and "a-key" not in repr(from_env)


def test_default_key_file_in_home(no_key, tmp_path):
    path = tmp_path / "home" / ".config" / "evaluation" / "pseudonym.key"
    path.parent.mkdir(parents=True)
    path.write_text("home-key-0123456789")
    assert resolve_key().secret == b"home-key-0123456789"


def test_bad_keys_are_refused(no_key, monkeypatch, paths, tmp_path):
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(ConfigError, match="too short"):
        resolve_key()
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(ConfigError, match="not a file"):
        resolve_key()
    inside = paths.root / "data" / "processed" / "pseudonym-test.key"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text("a-key-inside-the-repository")
    try:
        monkeypatch.setenv(KEY_FILE_ENV, str(inside))
        with pytest.raises(ConfigError, match="inside the project"):
            resolve_key()
    finally:
        inside.unlink()


def test_without_a_key_one_random_key_per_run(no_key):
    first, second = resolve_key(), resolve_key()
    assert not first.stable and first.fingerprint != second.fingerprint
    with shared_run_key() as run:
        # Child processes (kernels, workers) see the same key, marked as random.
        assert os.environ[EPHEMERAL_ENV] == "1"
        child = resolve_key()
        assert child.fingerprint == run.fingerprint and not child.stable
    assert KEY_ENV not in os.environ and EPHEMERAL_ENV not in os.environ


def test_a_configured_key_is_left_alone(no_key, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "configured-key-0123456789")
    with shared_run_key() as run:
        assert run.stable and EPHEMERAL_ENV not in os.environ
    assert os.environ[KEY_ENV] == "configured-key-0123456789"
