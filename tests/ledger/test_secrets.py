from __future__ import annotations

from pathlib import Path

from cockpit.domain.secrets import looks_secret_name, mask
from cockpit.ledger import Ledger


def test_secret_env_values_never_reach_the_ledger(tmp_path: Path) -> None:
    env = {
        "OPENAI_API_KEY": "plain-value-without-a-known-shape-123",
        "DB_PASSWORD": "hunter2hunter2",
        "HOME": "/home/someone",
        "GIT_AUTHOR_NAME": "Alice Example",
    }
    ledger = Ledger(tmp_path, env=env)
    ledger.append(
        "note",
        actor="alice",
        data={
            "text": "connect with hunter2hunter2 and plain-value-without-a-known-shape-123",
            "env": {"DB_PASSWORD": "hunter2hunter2", "HOME": "/home/someone"},
            "nested": [{"msg": "key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA here"}],
            "author": "Alice Example",
        },
    )
    raw = (tmp_path / "ledger.ndjson").read_text()
    for secret in ("hunter2hunter2", "plain-value-without-a-known-shape-123", "sk-ant-api03-AAAA"):
        assert secret not in raw
    assert "/home/someone" in raw and "Alice Example" in raw
    assert raw.count("***") >= 4


def test_provider_key_shapes_are_masked_without_any_env() -> None:
    samples = [
        "sk-ant-api03-" + "x" * 40,
        "sk-proj-" + "A1" * 20,
        "AIza" + "B" * 35,
        "ghp_" + "c" * 36,
        "github_pat_" + "D" * 30,
        "AKIA" + "E" * 16,
        "xoxb-1234567890-abcdef",
        "glpat-" + "f" * 20,
        "hf_" + "g" * 34,
    ]
    for sample in samples:
        assert mask(f"token={sample}!", ()) == "token=***!", sample


def test_secret_names() -> None:
    assert all(
        map(
            looks_secret_name,
            [
                "ANTHROPIC_API_KEY",
                "apiKey",
                "GH_TOKEN",
                "AWS_SECRET_ACCESS_KEY",
                "DB_PASSWORD",
                "BASIC_AUTH",
                "client_secret",
                "PGPASSWORD",
            ],
        )
    )
    assert not any(
        map(looks_secret_name, ["PATH", "HOME", "GIT_AUTHOR_NAME", "SSH_AUTH_SOCK", "PWD", "KEYBOARD_LAYOUT", "input_tokens"])
    )


def test_values_under_secret_keys_are_masked_but_numbers_are_kept() -> None:
    out = mask({"api_key": "short", "password": "", "input_tokens": 12, "token_count": 3})
    assert out == {"api_key": "***", "password": "", "input_tokens": 12, "token_count": 3}
