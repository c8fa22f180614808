"""The model picker's service: what may be chosen, and switching to it (behind ``/api/opencodeinterpreter/models``).

No tornado here: the handler validates and authorizes, this decides. The remote server's models are asked for on
each listing (with a short timeout); everything else comes from :mod:`..engine.catalog`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import openai

from .. import protocol as wire
from ..engine.catalog import (
    ModelOption,
    SpeedLog,
    allowed,
    local_options,
    pinned_files,
    remote_option,
    with_speeds,
)
from ..engine.remote import RemoteConfig
from ..engine.switch import ModelSwitcher, SwitchableEngine

log = logging.getLogger(__name__)

REMOTE_LIST_TIMEOUT = 5.0


class UnknownModel(ValueError):
    """The model asked for is not one the picker offers (or the administrator allows)."""


@dataclass(frozen=True)
class PickerSettings:
    cache_dir: Path
    models_dir: Path | None = None
    choices: Sequence[str] = ()
    """Keys or paths allowed (empty: all)."""
    configured: Sequence[ModelOption] = ()
    """The configured model when it is not a catalog one (model_path, hub_repo/hub_file)."""
    remote: RemoteConfig | None = None
    speeds: SpeedLog = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "speeds", SpeedLog(self.cache_dir / "speeds.json"))


class ModelPicker:
    def __init__(self, engine: SwitchableEngine, switcher: ModelSwitcher, settings: PickerSettings) -> None:
        self.engine = engine
        self.switcher = switcher
        self.settings = settings

    async def options(self) -> list[ModelOption]:
        """Every model offered now: local ones, then the remote server's (if one is configured and answers)."""
        settings = self.settings

        def local() -> tuple[list[ModelOption], dict[str, float]]:
            extra = [*settings.configured, *pinned_files(settings.choices)]
            speeds = settings.speeds.read()
            return local_options(settings.cache_dir, settings.models_dir, extra, speeds), speeds

        (options, speeds), remote = await asyncio.gather(asyncio.to_thread(local), self._remote_options())
        options.extend(with_speeds(remote, speeds))
        return allowed(options, settings.choices, self.engine.key)

    async def listing(self) -> wire.ModelList:
        preparation = self.switcher.preparation
        return wire.ModelList(
            models=[wire.ModelOption(**asdict(option)) for option in await self.options()],
            current=self.engine.key,
            preparing=wire.ModelPreparation(**asdict(preparation)) if preparation else None,
            error=self.switcher.error,
        )

    async def switch(self, key: str) -> bool:
        """Start preparing ``key``; False when it already serves. Raises :class:`UnknownModel` or
        :class:`~..engine.switch.SwitchInProgress`."""
        options = {option.key: option for option in await self.options()}
        option = options.get(key) or options.get(_normal_path(key))
        if option is None:
            raise UnknownModel(f"{key!r} is not a model this server offers; choose one from the list.")
        if option.key == self.engine.key:
            return False
        self.switcher.start(option)
        return True

    async def _remote_options(self) -> list[ModelOption]:
        config = self.settings.remote
        if config is None:
            return []
        client = openai.AsyncOpenAI(
            base_url=config.base_url, api_key=config.api_key or "unused", timeout=REMOTE_LIST_TIMEOUT, max_retries=0
        )
        try:
            return [remote_option(model.id, config.endpoint) async for model in client.models.list()]
        except Exception as e:  # the server is down: offer the local models, the engine's status says why
            log.info("Could not list the models of %s: %s", config.endpoint, e)
            return []
        finally:
            await client.close()


def _normal_path(key: str) -> str:
    """A path as the listing spells it (absolute, ``~`` expanded); no file system access."""
    return os.path.abspath(os.path.expanduser(key))
