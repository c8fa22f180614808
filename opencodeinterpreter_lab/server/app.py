"""The jupyter_server extension: configuration traits, the engine's lifetime and the routes."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode, default

from ..engine.base import Engine
from ..engine.llama import EngineConfig, LlamaEngine
from ..engine.models import CATALOG, DEFAULT_MODEL, ModelChoice, choose_model
from ..engine.remote import RemoteConfig, RemoteEngine, config_problem
from .handlers import ChatWebSocket, LoadHandler, StatusHandler
from .session import GenerationDefaults

DEFAULT_SYSTEM_PROMPT = (
    "You are OpenCodeInterpreter, a coding assistant inside a Jupyter notebook. Answer briefly. "
    "Put code in fenced code blocks tagged with their language."
)


class OpenCodeInterpreter(ExtensionApp):
    """A local code assistant for JupyterLab, served from a GGUF model through llama.cpp."""

    name = "opencodeinterpreter"
    load_other_extensions = True

    model = Unicode(
        DEFAULT_MODEL,
        config=True,
        help=f"Catalog model to use when neither model_path nor hub_repo is set. One of: {', '.join(CATALOG)}.",
    )
    model_path = Unicode(
        "", config=True, help="Path to a local GGUF model file. Takes precedence over hub_repo and model."
    )
    hub_repo = Unicode(
        "",
        config=True,
        help="Hugging Face hub repository to download a GGUF from (online machines; needs the [hub] extra).",
    )
    hub_file = Unicode("", config=True, help="The GGUF file name within hub_repo.")
    cache_dir = Unicode(config=True, help="Where assembled and downloaded models are kept.")
    n_ctx = Int(8192, config=True, help="Context window in tokens (prompt plus answer).")
    n_threads = Int(0, config=True, help="CPU threads for llama.cpp; 0 uses every CPU this process may use.")
    n_gpu_layers = Int(
        0,
        config=True,
        help="Layers to offload to the GPU (-1: all). Needs llama-cpp-python built with CUDA or Metal.",
    )
    extra_buffer_types = Bool(
        False,
        config=True,
        help="Use llama.cpp's extra weight buffer types (AMX, repacked weights). Faster on some CPUs; "
        "crashes decoding on some virtual machines, hence off by default.",
    )
    base_url = Unicode(
        "",
        config=True,
        help="An OpenAI-compatible server to use instead of the in-process model (vLLM, llama.cpp's llama-server, "
        "Ollama), e.g. http://gpu-box:8000/v1. Empty: run the model in this process.",
    )
    api_model = Unicode(
        "", config=True, help="The model name the server at base_url serves; empty: the first model it lists."
    )
    api_key = Unicode(
        config=True,
        help="API key for base_url (default: the OPENCODEINTERPRETER_API_KEY environment variable). "
        "Never sent to the browser nor logged.",
    )
    request_timeout = Float(
        60.0, config=True, help="Seconds to wait for the server at base_url to send the next part of an answer."
    )
    max_concurrent_requests = Int(
        8, config=True, help="Requests this Jupyter server sends to base_url at once; more wait their turn."
    )
    temperature = Float(0.2, config=True, help="Sampling temperature when a request does not set one.")
    max_tokens = Int(1024, config=True, help="Longest answer in tokens when a request does not set one.")
    fix_rounds = Int(3, config=True, help="Fix attempts per failing cell before the assistant gives up.")
    task_rounds = Int(5, config=True, help="Rounds of write → run → read of one task, when the client sends none.")
    system_prompt = Unicode(
        DEFAULT_SYSTEM_PROMPT, config=True, help="System prompt prepended to conversations that have none."
    )

    @default("api_key")
    def _default_api_key(self) -> str:
        return os.environ.get("OPENCODEINTERPRETER_API_KEY", "")

    @default("cache_dir")
    def _default_cache_dir(self) -> str:
        return str(Path(platformdirs.user_cache_dir("opencodeinterpreter-lab")) / "models")

    engine: Engine

    def create_engine(self) -> Engine:
        """The engine the configuration asks for; a refused configuration gives an engine that says why."""
        if self.base_url and not self.configuration_problem():
            return RemoteEngine(self.remote_config())
        return LlamaEngine(self.engine_config())

    def configuration_problem(self) -> str:
        """Why the engine settings contradict each other, in one sentence, or ``""``."""
        local = [name for name in ("model_path", "hub_repo", "hub_file") if getattr(self, name)]
        if "model" in self.config.get(type(self).__name__, {}):
            local.append("model")
        if self.base_url:
            if local:
                return f"Both engines are configured: base_url and {', '.join(local)}; set only one."
            if problem := config_problem(self.base_url):
                return problem
        elif self.api_model:
            return "api_model is set but base_url is not: set the OpenAI-compatible server's URL too."
        return ""

    def remote_config(self) -> RemoteConfig:
        return RemoteConfig(
            base_url=self.base_url,
            model=self.api_model,
            api_key=self.api_key,
            timeout=self.request_timeout,
            max_concurrent=self.max_concurrent_requests,
            n_ctx=self.n_ctx,
        )

    def engine_config(self) -> EngineConfig:
        """The in-process engine's settings (carrying the configuration's problem, if any, as the model's)."""
        model = choose_model(self.model_path, self.hub_repo, self.hub_file, self.model)
        if problem := self.configuration_problem():
            model = ModelChoice(name=model.name, source=model.source, problem=f"Configuration refused: {problem}")
        return EngineConfig(
            model=model,
            cache_dir=Path(self.cache_dir).expanduser(),
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_gpu_layers=self.n_gpu_layers,
            extra_buffer_types=self.extra_buffer_types,
        )

    @property
    def generation_defaults(self) -> GenerationDefaults:
        return GenerationDefaults(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            system_prompt=self.system_prompt,
            fix_rounds=self.fix_rounds,
            task_rounds=self.task_rounds,
        )

    def initialize_settings(self) -> None:
        if problem := self.configuration_problem():
            self.log.error("OpenCodeInterpreter: configuration refused: %s", problem)
        # Cheap: the model is loaded, or the server first asked, on first use.
        self.engine = self.create_engine()

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            [
                (r"/api/opencodeinterpreter/status", StatusHandler),
                (r"/api/opencodeinterpreter/load", LoadHandler),
                (r"/api/opencodeinterpreter/chat", ChatWebSocket),
            ]
        )

    async def stop_extension(self) -> None:
        await self.engine.close()
