"""Server configuration for the browser tests (Galata).

Galata's helper turns off authentication, runs in a temporary root directory
on port 8888 and exposes the application as ``window.jupyterapp``. Never use
this configuration anywhere else.

The OpenCodeInterpreter server extension keeps its own defaults: the tests run
against the real embedded model.
"""

import tempfile

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# The test machines run as root.
c.ServerApp.allow_root = True  # noqa: F821

# The panel's stored conversations go to a throwaway folder, not the user's data.
c.OpenCodeInterpreter.conversations_dir = tempfile.mkdtemp(prefix="oci-conversations-")  # noqa: F821

# Uncomment to see the server's debug logs.
# c.ServerApp.log_level = "DEBUG"
