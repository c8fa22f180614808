"""The panel's conversations, one JSON file per notebook in the user's own data directory (never the notebook).

A file is named by a hash of the notebook's path and holds the path, so that the name cannot reach outside the
directory whatever the path says, and a file that does not hold its own path (copied, foreign) is ignored. Writes are
atomic (a temporary file, then ``os.replace``) and bounded: the newest ``max_entries`` entries within ``max_bytes``,
at most ``max_conversations`` files (the least recently used go). No tornado here: the handlers call it from a
thread; one lock keeps its operations apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..protocol import MAX_CONVERSATION_PATH, ConversationDocument

MAX_ENTRIES = 500
MAX_BYTES = 1_000_000
MAX_CONVERSATIONS = 200


class InvalidPath(ValueError):
    """A notebook path the store refuses (too long, a NUL, ``..``)."""


def normalize_path(path: str) -> str:
    """The API path of a notebook as the store keys it (``dir/a.ipynb``); raises :class:`InvalidPath`."""
    if len(path) > MAX_CONVERSATION_PATH:
        raise InvalidPath(f"The path is longer than {MAX_CONVERSATION_PATH} characters.")
    if "\x00" in path:
        raise InvalidPath("The path holds a NUL character.")
    normalized = path.replace("\\", "/").strip("/")
    if ".." in normalized.split("/"):
        raise InvalidPath("The path must not hold '..'.")
    return normalized


class ConversationStore:
    """The stored conversations under ``root``, by notebook path."""

    def __init__(
        self,
        root: Path,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        max_conversations: int = MAX_CONVERSATIONS,
        log: logging.Logger | None = None,
    ) -> None:
        self.root = root
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_conversations = max_conversations
        self.log = log or logging.getLogger(__name__)
        self._lock = threading.Lock()

    def file_for(self, path: str) -> Path:
        """The file that holds the conversation of ``path`` (whether or not it exists)."""
        key = hashlib.sha256(normalize_path(path).encode("utf-8")).hexdigest()
        return self.root / f"{key}.json"

    def load(self, path: str) -> ConversationDocument:
        """The stored conversation of ``path``; an empty one when none is stored or its file cannot be used."""
        path = normalize_path(path)
        with self._lock:
            document = self._read(self.file_for(path), path)
            if document is not None:
                self._touch(self.file_for(path))
        return document or ConversationDocument(path=path)

    def save(self, path: str, entries: list[dict[str, Any]]) -> ConversationDocument:
        """Store ``entries`` (oldest first) as the conversation of ``path``, within the bounds; returns what was
        stored."""
        path = normalize_path(path)
        document = ConversationDocument(path=path, updated=time.time(), entries=self._bounded(entries))
        with self._lock:
            self._write(self.file_for(path), document)
            self._evict(keep=self.file_for(path))
        return document

    def delete(self, path: str) -> bool:
        """Forget the conversation of ``path``; whether one was stored."""
        file = self.file_for(path)
        with self._lock:
            try:
                file.unlink()
            except FileNotFoundError:
                return False
        return True

    def rename(self, source: str, destination: str) -> int:
        """Follow a rename: the conversation of ``source`` (a notebook, or every notebook under it when it is a
        folder) becomes that of ``destination``, replacing any stored there. Returns how many moved."""
        source, destination = normalize_path(source), normalize_path(destination)
        if source == destination:
            return 0
        with self._lock:
            direct = self._read(self.file_for(source), source)
            if direct is not None:
                self._move(direct, destination)
                return 1
            moved = 0
            prefix = f"{source}/"
            for file in self._files():
                document = self._read(file, None, quiet=True)
                if document is not None and document.path.startswith(prefix):
                    self._move(document, destination + document.path[len(source) :])
                    moved += 1
            return moved

    # ---- inside the lock ----------------------------------------------------------------------------------------

    def _bounded(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The newest entries within ``max_entries`` and ``max_bytes`` (oldest dropped first)."""
        kept = entries[-self.max_entries :] if self.max_entries > 0 else []
        sizes = [len(json.dumps(entry, ensure_ascii=False).encode("utf-8")) + 1 for entry in kept]
        total, start = sum(sizes), 0
        while start < len(kept) and total > self.max_bytes:
            total -= sizes[start]
            start += 1
        if start or len(kept) < len(entries):
            self.log.info(
                "OpenCodeInterpreter: a conversation kept its newest %d of %d entries.",
                len(kept) - start,
                len(entries),
            )
        return kept[start:]

    def _read(self, file: Path, path: str | None, *, quiet: bool = False) -> ConversationDocument | None:
        """The document in ``file`` when it is a stored conversation (of ``path``, when given), else None with a
        warning (none when ``quiet``, or the file does not exist)."""
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            self._warn(quiet, "OpenCodeInterpreter: ignoring unreadable conversation file %s: %s", file, e)
            return None
        try:
            document = ConversationDocument.model_validate_json(text)
        except ValidationError as e:
            problem = e.errors()[0]["msg"] if e.errors() else str(e)
            self._warn(quiet, "OpenCodeInterpreter: ignoring corrupt conversation file %s: %s", file, problem)
            return None
        if document.version != 1:
            self._warn(
                quiet, "OpenCodeInterpreter: ignoring conversation file %s of version %s.", file, document.version
            )
            return None
        if path is not None and document.path != path:
            self._warn(
                quiet,
                "OpenCodeInterpreter: ignoring conversation file %s: it holds %r, not %r.",
                file,
                document.path,
                path,
            )
            return None
        return document

    def _write(self, file: Path, document: ConversationDocument) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=f".{file.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(document.model_dump_json())
            os.replace(temporary, file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _move(self, document: ConversationDocument, destination: str) -> None:
        moved = document.model_copy(update={"path": destination})
        self._write(self.file_for(destination), moved)
        self.file_for(document.path).unlink(missing_ok=True)

    def _files(self) -> list[Path]:
        try:
            return [file for file in self.root.iterdir() if file.suffix == ".json" and not file.name.startswith(".")]
        except FileNotFoundError:
            return []

    def _evict(self, keep: Path) -> None:
        """Delete the least recently used files beyond ``max_conversations`` (never ``keep``)."""
        files = self._files()
        excess = len(files) - self.max_conversations
        if excess <= 0:
            return
        by_use = sorted((file for file in files if file != keep), key=_mtime)
        for file in by_use[:excess]:
            file.unlink(missing_ok=True)
        self.log.info("OpenCodeInterpreter: deleted the %d least recently used conversation(s).", excess)

    def _touch(self, file: Path) -> None:
        with contextlib.suppress(OSError):
            os.utime(file)

    def _warn(self, quiet: bool, message: str, *args: Any) -> None:
        if not quiet:
            self.log.warning(message, *args)


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0
