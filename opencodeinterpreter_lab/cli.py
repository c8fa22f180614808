"""``jupyter opencodeinterpreter``: command-line tools around the extension.

- ``model``: resolve (assemble or download) the configured model now and print its path;
- ``bench stream``: the streaming benchmark (WebSocket vs raw llama-cpp-python, warm vs cold first token).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .models import CATALOG, DEFAULT_MODEL, ModelError, choose_model, resolve_model


class _ProgressBar:
    """A terminal progress bar that appears only once there is progress to show."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, message: str, fraction: float | None) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=100, bar_format="{desc}: {percentage:3.0f}%|{bar}|", file=sys.stderr)
        self._bar.set_description_str(message)
        if fraction is not None:
            self._bar.n = round(fraction * 100)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _cmd_model(args: argparse.Namespace) -> int:
    from .app import OpenCodeInterpreter

    app = OpenCodeInterpreter()
    choice = choose_model(args.model_path or "", model=args.model or app.model)
    cache_dir = Path(args.cache_dir or app.cache_dir)
    bar = _ProgressBar()
    try:
        path = resolve_model(choice, cache_dir, bar)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    print(path)
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_stream_benchmark

    return run_stream_benchmark(
        model=args.model, model_path=args.model_path, threads=args.threads, tokens=args.tokens, runs=args.runs
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter opencodeinterpreter", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    model = commands.add_parser("model", help="assemble or download the configured model now; print its path")
    model.add_argument("--model", choices=sorted(CATALOG), help=f"catalog model (default {DEFAULT_MODEL})")
    model.add_argument("--model-path", help="a local GGUF file instead")
    model.add_argument("--cache-dir", help="where models are kept")
    model.set_defaults(run=_cmd_model)

    bench = commands.add_parser("bench", help="benchmarks")
    which = bench.add_subparsers(dest="benchmark", required=True)
    stream = which.add_parser("stream", help="WebSocket streaming vs raw llama-cpp-python; warm vs cold TTFT")
    stream.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(CATALOG))
    stream.add_argument("--model-path", default="", help="a local GGUF file instead of a catalog model")
    stream.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all CPUs)")
    stream.add_argument("--tokens", type=int, default=200, help="tokens to generate per run")
    stream.add_argument("--runs", type=int, default=3, help="alternating runs of each side")
    stream.set_defaults(run=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
