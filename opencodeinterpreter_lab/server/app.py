"""The jupyter_server extension: configuration traits, the engine's lifetime and the routes."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode, default

from ..engine.llama import EngineConfig, LlamaEngine
from ..engine.models import CATALOG, DEFAULT_MODEL, choose_model
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
    temperature = Float(0.2, config=True, help="Sampling temperature when a request does not set one.")
    max_tokens = Int(1024, config=True, help="Longest answer in tokens when a request does not set one.")
    fix_rounds = Int(3, config=True, help="Fix attempts per failing cell before the assistant gives up.")
    task_rounds = Int(5, config=True, help="Rounds of write → run → read of one task, when the client sends none.")
    system_prompt = Unicode(
        DEFAULT_SYSTEM_PROMPT, config=True, help="System prompt prepended to conversations that have none."
    )

    @default("cache_dir")
    def _default_cache_dir(self) -> str:
        return str(Path(platformdirs.user_cache_dir("opencodeinterpreter-lab")) / "models")

    engine: LlamaEngine

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            model=choose_model(self.model_path, self.hub_repo, self.hub_file, self.model),
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
        # Cheap: the model is resolved and loaded on first use, on the engine's thread.
        self.engine = LlamaEngine(self.engine_config())

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
