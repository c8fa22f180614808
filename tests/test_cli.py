"""The command line reads the user's Jupyter config files, like every ``jupyter`` subcommand."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from opencodeinterpreter_lab import cli


def test_the_cli_uses_the_servers_config_and_its_options_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "jupyter_server_config.py").write_text('c.OpenCodeInterpreter.model = "qwen2.5-coder-0.5b"\n')
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))
    assert cli._engine_config(argparse.Namespace()).model.filename == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    chosen = cli._engine_config(argparse.Namespace(model="qwen2.5-coder-1.5b"))
    assert chosen.model.filename == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
