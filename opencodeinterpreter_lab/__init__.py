"""OpenCodeInterpreter Lab: a local code assistant for JupyterLab that writes, runs and fixes notebook cells."""

from typing import Any

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "opencodeinterpreter-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import OpenCodeInterpreter

    return [{"module": "opencodeinterpreter_lab", "app": OpenCodeInterpreter}]
