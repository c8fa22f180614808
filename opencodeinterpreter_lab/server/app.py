"""The jupyter_server extension: configuration traits, the engine's lifetime and the routes."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import platformdirs
from jupyter_core.paths import jupyter_data_dir
from jupyter_events import EventLogger
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, Unicode, default

from ..completion.service import InlineCompletions
from ..engine.base import Engine
from ..engine.catalog import HUB_PREFIX, REMOTE_PREFIX, ModelOption, file_option, hub_option
from ..engine.gate import CpuGate
from ..engine.llama import EngineConfig, LlamaEngine
from ..engine.models import CATALOG, DEFAULT_MODEL, ModelChoice, ModelSource, choose_model
from ..engine.remote import RemoteConfig, RemoteEngine, config_problem
from ..engine.switch import ModelSwitcher, SwitchableEngine
from ..loop.fixer import CANDIDATES
from ..protocol import MAX_FIX_CANDIDATES
from .conversations import MAX_CONVERSATIONS, MAX_ENTRIES, ConversationStore, InvalidPath
from .handlers import ChatWebSocket, ConversationHandler, LoadHandler, ModelsHandler, StatusHandler
from .picker import ModelPicker, PickerSettings
from .session import GenerationDefaults

CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"

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
    models_dir = Unicode(
        "", config=True, help="A folder of GGUF files the model picker offers too (besides those in cache_dir)."
    )
    model_picker = Bool(
        True,
        config=True,
        help="Let users switch the model from the panel (the model picker). False hides it and its route refuses.",
    )
    inline_completions = Bool(
        True,
        config=True,
        help="Serve inline completions (ghost text in the editor). Users turn them off in JupyterLab's settings; "
        "False turns them off for everyone (and frees the CPU and memory a completion model takes).",
    )
    model_choices = List(
        Unicode(),
        config=True,
        help="The models users may pick: catalog keys, GGUF paths, hub:<repo>/<file> or remote:<served model>. "
        "Empty: every model offered.",
    )
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
    fix_candidates = Int(
        CANDIDATES,
        min=1,
        max=MAX_FIX_CANDIDATES,
        config=True,
        help="Fixes tried per round in a forked copy of the notebook's kernel before one that passed there is "
        "proposed, when the client sends none (1: propose one untried fix per round). The copy has the kernel's "
        "memory, not its own world: files it writes are written.",
    )
    task_rounds = Int(5, config=True, help="Rounds of write → run → read of one task, when the client sends none.")
    system_prompt = Unicode(
        DEFAULT_SYSTEM_PROMPT, config=True, help="System prompt prepended to conversations that have none."
    )

    conversations_dir = Unicode(
        config=True,
        help="Where the panel's conversations are kept, one JSON file per notebook (your own data, never the "
        "notebook file). Default: <jupyter data dir>/opencodeinterpreter/conversations.",
    )
    max_conversations = Int(
        MAX_CONVERSATIONS, config=True, help="Conversations kept; beyond it the least recently used are deleted."
    )
    max_conversation_entries = Int(
        MAX_ENTRIES,
        config=True,
        help="Entries kept per conversation (also at most about 1 MB); the oldest are dropped first.",
    )

    @default("conversations_dir")
    def _default_conversations_dir(self) -> str:
        return str(Path(jupyter_data_dir()) / "opencodeinterpreter" / "conversations")

    @default("api_key")
    def _default_api_key(self) -> str:
        return os.environ.get("OPENCODEINTERPRETER_API_KEY", "")

    @default("cache_dir")
    def _default_cache_dir(self) -> str:
        return str(Path(platformdirs.user_cache_dir("opencodeinterpreter-lab")) / "models")

    engine: Engine
    picker: ModelPicker

    completions: InlineCompletions | None

    @cached_property
    def gate(self) -> CpuGate:
        """Chat and inline completions share the CPU: completions go first (see engine/gate.py)."""
        return CpuGate()

    def create_engine(self) -> Engine:
        """The engine the configuration asks for; a refused configuration gives an engine that says why."""
        if self.base_url and not self.configuration_problem():
            return RemoteEngine(self.remote_config())
        return LlamaEngine(self.engine_config(), self.gate)

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

    def current_model_key(self) -> str:
        """The picker's key of the configured model (``remote:`` alone: the first one the server serves)."""
        if self.base_url and not self.configuration_problem():
            return REMOTE_PREFIX + self.api_model
        if self.model_path:
            return os.path.abspath(os.path.expanduser(self.model_path))
        if self.hub_repo and self.hub_file:
            return f"{HUB_PREFIX}{self.hub_repo}/{self.hub_file}"
        return self.model

    def build_engine(self, option: ModelOption, path: Path | None) -> Engine:
        """The engine for a model chosen in the picker; ``path``: its local file, resolved beforehand."""
        if option.source == "remote":
            return RemoteEngine(replace(self.remote_config(), model=option.key.removeprefix(REMOTE_PREFIX)))
        source: ModelSource = "path" if option.source == "path" else "hub" if option.source == "hub" else "embedded"
        model = ModelChoice(name=option.name, source=source, path=path)
        return LlamaEngine(replace(self.engine_config(), model=model), self.gate)

    def picker_settings(self) -> PickerSettings:
        cache_dir = Path(self.cache_dir).expanduser()
        configured = []
        if self.model_path:
            configured.append(file_option(Path(self.model_path), "The configured model (model_path)."))
        elif self.hub_repo and self.hub_file:
            configured.append(hub_option(self.hub_repo, self.hub_file, cache_dir))
        return PickerSettings(
            cache_dir=cache_dir,
            models_dir=Path(self.models_dir).expanduser() if self.models_dir else None,
            choices=list(self.model_choices),
            configured=configured,
            remote=self.remote_config() if self.base_url and not config_problem(self.base_url) else None,
        )

    @property
    def generation_defaults(self) -> GenerationDefaults:
        return GenerationDefaults(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            system_prompt=self.system_prompt,
            fix_rounds=self.fix_rounds,
            fix_candidates=self.fix_candidates,
            task_rounds=self.task_rounds,
        )

    def initialize_settings(self) -> None:
        if problem := self.configuration_problem():
            self.log.error("OpenCodeInterpreter: configuration refused: %s", problem)
        # Cheap: the model is loaded, or the server first asked, on first use.
        settings = self.picker_settings()
        switchable = SwitchableEngine(self.create_engine(), self.current_model_key(), settings.speeds)
        self.engine = switchable
        self.completions = (
            InlineCompletions(switchable, self.gate, settings.cache_dir, self.n_threads, self.n_gpu_layers)
            if self.inline_completions
            else None
        )
        switcher = ModelSwitcher(switchable, self.build_engine, settings.cache_dir)
        self.picker = ModelPicker(switchable, switcher, settings)
        self.conversations = ConversationStore(
            Path(self.conversations_dir).expanduser(),
            max_entries=self.max_conversation_entries,
            max_conversations=self.max_conversations,
            log=self.log,
        )
        # A notebook renamed (or a folder above it) keeps its conversation.
        if events := self._event_logger():
            events.add_listener(schema_id=CONTENTS_EVENTS, modified=False, listener=self._on_contents_event)

    def _event_logger(self) -> EventLogger | None:
        return self.serverapp.event_logger if self.serverapp is not None else None

    async def _on_contents_event(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        if data.get("action") != "rename" or not isinstance(data.get("source_path"), str):
            return
        try:
            await asyncio.to_thread(self.conversations.rename, data["source_path"], data["path"])
        except (OSError, InvalidPath) as e:
            self.log.warning("OpenCodeInterpreter: could not move the conversation of %s: %s", data["source_path"], e)

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            [
                (r"/api/opencodeinterpreter/status", StatusHandler),
                (r"/api/opencodeinterpreter/load", LoadHandler),
                (r"/api/opencodeinterpreter/chat", ChatWebSocket),
                (r"/api/opencodeinterpreter/models", ModelsHandler),
                (r"/api/opencodeinterpreter/conversations", ConversationHandler),
            ]
        )

    conversations: ConversationStore

    async def stop_extension(self) -> None:
        try:
            if events := self._event_logger():
                events.remove_listener(schema_id=CONTENTS_EVENTS, listener=self._on_contents_event)
        except Exception as e:  # never raise while stopping
            self.log.debug("OpenCodeInterpreter: contents listener already gone: %s", e)
        if self.completions is not None:
            await self.completions.close()
        await self.picker.switcher.close()
        await self.picker.engine.close()
        if self.engine is not self.picker.engine:  # replaced from outside (tests)
            await self.engine.close()
