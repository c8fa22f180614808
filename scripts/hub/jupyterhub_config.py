# JupyterHub configuration for the OpenCodeInterpreter Lab end-to-end check (scripts/hub/e2e.py).
#
# Every user's Jupyter server gets the assistant from ONE shared OpenAI-compatible model server. The part a hub
# admin copies into a real hub is section 4 ("the assistant"); the rest is a throwaway loopback hub for testing
# (DummyAuthenticator and SimpleLocalProcessSpawner are NOT for production).
#
# e2e.py passes its choices through OCI_HUB_* environment variables; the defaults are what a lone
# `jupyterhub -f scripts/hub/jupyterhub_config.py` would use.
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (injected by JupyterHub)

env = os.environ.get
state = Path(env("OCI_HUB_STATE_DIR", "/tmp/oci-hub"))
state.mkdir(parents=True, exist_ok=True)
venv_bin = Path(sys.executable).parent  # the Python that runs the hub also has the extension installed

# --- 1. Network: everything on loopback ------------------------------------------------------------------------
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(env("OCI_HUB_PORT", "8000"))  # the public (proxy) port: users and API clients use this
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env("OCI_HUB_API_PORT", "8081"))  # the hub itself, behind the proxy
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('OCI_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [env("OCI_HUB_PROXY", "configurable-http-proxy")]  # from npm

# --- 2. State in a scratch directory -----------------------------------------------------------------------------
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the users' servers (and the proxy it started)

# --- 3. Users, and an API token for the test driver --------------------------------------------------------------
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = env("OCI_HUB_PASSWORD", "change-me")  # deprecated since 5.3; fine for a test hub
c.Authenticator.allowed_users = {"alice", "bob"}  # created in the hub's database at start-up
# A service with just the scopes the driver needs: start/stop servers and issue tokens for users. The token is
# given here rather than generated, so that the driver knows it (keep it out of version control in a real hub).
if admin_token := env("OCI_HUB_ADMIN_TOKEN"):
    c.JupyterHub.services = [{"name": "oci-e2e", "api_token": admin_token}]
    c.JupyterHub.load_roles = [
        {"name": "oci-e2e", "scopes": ["admin:users", "admin:servers", "tokens"], "services": ["oci-e2e"]}
    ]

# --- 4. The single-user servers, and the assistant -----------------------------------------------------------------
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"  # runs as the hub's own user
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.args = []
if os.geteuid() == 0:
    c.Spawner.args.append("--ServerApp.allow_root=True")  # this spawner runs every user as root when the hub is

# THE ASSISTANT. Non-secret settings as command-line config of every user's server; the API key as an environment
# variable (not in args: a process's command line is visible to every local user through `ps`).
c.Spawner.args += [
    f"--OpenCodeInterpreter.base_url={env('OCI_HUB_ENGINE_URL', 'http://127.0.0.1:8765/v1')}",
    f"--OpenCodeInterpreter.api_model={env('OCI_HUB_ENGINE_MODEL', '')}",  # empty: the server's first model
]
c.Spawner.environment = {"OPENCODEINTERPRETER_API_KEY": env("OPENCODEINTERPRETER_API_KEY", "")}
