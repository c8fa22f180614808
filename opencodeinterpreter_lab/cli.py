"""``jupyter opencodeinterpreter``: command-line tools around the extension.

- ``model``: resolve (assemble or download) the configured model now and print its path;
- ``fix NOTEBOOK``: run a notebook in a fresh kernel, fixing failing cells with the fix loop (exit 0: all pass);
- ``bench stream``: the streaming benchmark (WebSocket vs raw llama-cpp-python, warm vs cold first token; or, with
  ``--base-url``, through the extension vs directly from a remote server, one chat and 8 at once);
- ``bench fix``: fix rate and latency of the fix loop on the built-in failing cells;
- ``bench notebooks``: the headless fixer on whole broken notebooks: failing cells before and after, regressions;
- ``bench humaneval``: HumanEval pass@1 in one mode: single answers, self-feedback or oracle feedback;
- ``bench infill``: HumanEval single-line infilling with the inline completer: pass rate, exact match, latency;
- ``bench complete``: inline completion latency while typing a cell, idle and while a chat streams.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine.models import CATALOG, DEFAULT_MODEL, ModelError, resolve_model
from .loop.fixer import CANDIDATES

if TYPE_CHECKING:
    from .engine.base import Engine
    from .engine.llama import EngineConfig
    from .server.app import OpenCodeInterpreter

AIDS = {"hints", "facts"}
"""What ``bench fix --without`` can leave out of the fix prompt."""


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
    config = _engine_config(args)
    bar = _ProgressBar()
    try:
        path = resolve_model(config.model, config.cache_dir, bar)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    print(path)
    return 0


def _cmd_fix(args: argparse.Namespace) -> int:
    import asyncio

    import nbformat

    from .engine.base import EngineError
    from .loop.execution import KernelExecutor
    from .loop.notebook import CellReport, fix_notebook

    source = Path(args.notebook)
    try:
        notebook = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    except FileNotFoundError:
        print(f"error: no such notebook: {source}", file=sys.stderr)
        return 2
    except Exception as e:  # nbformat raises several kinds for files that are not notebooks
        print(f"error: {source} is not a readable notebook ({type(e).__name__}: {e})", file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else source.with_name(source.stem + ".fixed.ipynb")
    kernel = notebook.metadata.get("kernelspec", {}).get("name", "python3")
    workdir = str(source.resolve().parent)  # relative paths in the notebook resolve as in Jupyter

    engine = _engine(args)

    def show(cell: CellReport) -> None:
        outcome = cell.outcome
        verdict = "fixed" if outcome.status == "fixed" else f"NOT fixed ({outcome.message})"
        error = cell.error.splitlines()[0][:100]
        print(f"cell {cell.index + 1}: {error} -> {verdict} after {len(outcome.rounds)} round(s)")
        if cell.cause:
            where, names = cell.cause
            changed = ", ".join(names)
            if cell.moved:
                print(f"  fixed where the cause was: cell {where + 1} changed ({changed})")
            else:
                print(f"  the cause is probably in cell {where + 1}: the fix changes {changed}, defined there")

    def new_kernel() -> KernelExecutor:
        return KernelExecutor(kernel, timeout=args.timeout, cwd=workdir)

    async def run() -> int:
        try:
            await engine.ready()
        except EngineError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        try:
            report = await fix_notebook(notebook, engine, new_kernel, args.max_rounds, show, args.candidates)
        finally:
            await engine.close()
        nbformat.write(notebook, output)  # type: ignore[no-untyped-call]
        for cell in report.failing:
            if cell.withdrawn:
                print(f"cell {cell.index + 1}: fix withdrawn, original kept: {cell.withdrawn}")
        print(
            f"{report.cells_run} cells; in a fresh run {len(report.failing_before)} failed before, "
            f"{len(report.failing_after)} fail after ({len(report.fixed)} fixed, "
            f"{len(report.regressions)} regressions); written to {output}"
        )
        return 0 if report.all_pass else 1

    return asyncio.run(run())


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.base_url:
        import os

        from .bench.remote import run_remote_benchmark

        key = os.environ.get("OPENCODEINTERPRETER_API_KEY", "")
        return run_remote_benchmark(args.base_url, args.api_model or "", key, args.tokens, args.runs)
    from .bench.stream import run_stream_benchmark

    return run_stream_benchmark(
        model=args.model, model_path=args.model_path, threads=args.threads, tokens=args.tokens, runs=args.runs
    )


def _cmd_bench_fix(args: argparse.Namespace) -> int:
    from .bench.fix import main
    from .loop.fixer import FixAids

    only = args.cases.split(",") if args.cases else ()
    without = set(args.without.split(",")) if args.without else set()
    if unknown := without - AIDS:
        raise SystemExit(f"--without: unknown {', '.join(sorted(unknown))} (known: {', '.join(sorted(AIDS))})")
    aids = FixAids(hints="hints" not in without, kernel_facts="facts" not in without)
    output = Path(args.output) if args.output else None
    in_copy = not args.in_kernel
    return main(_engine(args), args.rounds, args.limit, output, only, args.set, aids, args.candidates, in_copy)


def _cmd_bench_notebooks(args: argparse.Namespace) -> int:
    from .bench.notebooks import main

    only = args.notebooks.split(",") if args.notebooks else ()
    output = Path(args.output) if args.output else None
    return main(_engine(args), args.rounds, only, output, args.candidates, not args.in_kernel)


def _cmd_bench_humaneval(args: argparse.Namespace) -> int:
    from .bench.humaneval import main

    output = Path(args.output) if args.output else None
    return main(_engine(args), args.mode, args.rounds, args.limit, args.stride, output)


def _cmd_bench_infill(args: argparse.Namespace) -> int:
    from .bench.infill import main

    app = _configured_app(argparse.Namespace(threads=args.threads))  # the cache and threads; --model is ours
    results = Path(args.results) if args.results else None
    return main(
        args.model,
        Path(app.cache_dir).expanduser(),
        app.n_threads,
        args.limit,
        args.stride,
        args.lines_per_problem,
        results,
    )


def _cmd_bench_complete(args: argparse.Namespace) -> int:
    from .bench.completion import main

    app = _configured_app(argparse.Namespace(threads=args.threads))  # the cache and threads; --model is ours
    results = Path(args.results) if args.results else None
    return main(
        args.model, args.chat_model, Path(app.cache_dir).expanduser(), app.n_threads, args.requests, args.runs, results
    )


def _engine(args: argparse.Namespace) -> Engine:
    """The engine the server would use (in-process or remote), with the command line's choices."""
    app = _configured_app(args)
    if problem := app.configuration_problem():
        raise SystemExit(f"error: configuration refused: {problem}")
    return app.create_engine()


def _engine_config(args: argparse.Namespace) -> EngineConfig:
    return _configured_app(args).engine_config()


def _configured_app(args: argparse.Namespace) -> OpenCodeInterpreter:
    """The server's settings (the user's Jupyter config files, as ``jupyter lab`` reads them), overridden by
    whichever of --model, --model-path, --threads, --cache-dir, --base-url, --api-model were given."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.application import Application
    from traitlets.config.loader import ConfigFileNotFound

    from .server.app import OpenCodeInterpreter

    app = OpenCodeInterpreter()
    with contextlib.suppress(ConfigFileNotFound):  # the first directory wins, as for `jupyter lab`
        Application.load_config_file(app, "jupyter_server_config", path=jupyter_config_path())
    for option, trait in (
        ("model", "model"),
        ("model_path", "model_path"),
        ("threads", "n_threads"),
        ("cache_dir", "cache_dir"),
        ("base_url", "base_url"),
        ("api_model", "api_model"),
    ):
        if getattr(args, option, None):
            setattr(app, trait, getattr(args, option))
    return app


def _add_model_options(
    parser: argparse.ArgumentParser, threads: bool = True, results: str = "", remote: bool = True
) -> None:
    """--model and --model-path; --base-url and --api-model; --threads; --output for per-``results`` JSON lines."""
    parser.add_argument("--model", choices=sorted(CATALOG), help=f"catalog model (default {DEFAULT_MODEL})")
    parser.add_argument("--model-path", help="a local GGUF file instead")
    if remote:
        parser.add_argument(
            "--base-url",
            help="an OpenAI-compatible server instead (e.g. http://gpu-box:8000/v1); its API key is read from "
            "OPENCODEINTERPRETER_API_KEY or the Jupyter config",
        )
        parser.add_argument("--api-model", help="the model name the server at --base-url serves")
    if threads:
        parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all CPUs)")
    if results:
        parser.add_argument("--output", help=f"write per-{results} results as JSON lines here")


def _at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"at least 1, not {number}")
    return number


def _add_candidates_option(parser: argparse.ArgumentParser, default: int = CANDIDATES, what: str = "") -> None:
    parser.add_argument(
        "--candidates",
        type=_at_least_one,
        default=default,
        help=f"fixes tried per round until one passes, each in a copy of the fixer's own kernel (in that kernel "
        f"where no copy can be made; default {default}" + (f"; {what})" if what else ")"),
    )


def _add_in_kernel_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--in-kernel",
        action="store_true",
        help="run the candidates in the benchmark's kernel itself, not in copies of it (to measure what copies buy)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter opencodeinterpreter", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    model = commands.add_parser("model", help="assemble or download the configured model now; print its path")
    _add_model_options(model, threads=False, remote=False)
    model.add_argument("--cache-dir", help="where models are kept")
    model.set_defaults(run=_cmd_model)

    fix = commands.add_parser("fix", help="run a notebook in a fresh kernel and fix its failing cells")
    fix.add_argument("notebook", help="the .ipynb file")
    fix.add_argument("--output", help="where to write the result (default: NOTEBOOK.fixed.ipynb beside it)")
    fix.add_argument("--max-rounds", type=int, default=3, help="fix attempts per cell (default 3)")
    fix.add_argument("--timeout", type=float, default=120, help="seconds a cell may run (default 120)")
    _add_candidates_option(fix)
    _add_model_options(fix, threads=False)
    fix.set_defaults(run=_cmd_fix)

    bench = commands.add_parser("bench", help="benchmarks")
    which = bench.add_subparsers(dest="benchmark", required=True)
    stream = which.add_parser(
        "stream",
        help="WebSocket streaming vs raw llama-cpp-python (warm vs cold TTFT), or vs a remote server read directly",
    )
    stream.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(CATALOG))
    stream.add_argument("--model-path", default="", help="a local GGUF file instead of a catalog model")
    stream.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all CPUs)")
    stream.add_argument("--tokens", type=int, default=200, help="tokens to generate per run")
    stream.add_argument("--runs", type=int, default=3, help="alternating runs of each side")
    stream.add_argument(
        "--base-url", help="measure against this OpenAI-compatible server instead (key: OPENCODEINTERPRETER_API_KEY)"
    )
    stream.add_argument("--api-model", help="the model name it serves (default: its first)")
    stream.set_defaults(run=_cmd_bench)
    fixes = which.add_parser("fix", help="fix rate and latency of the fix loop on the built-in failing cells")
    fixes.add_argument("--rounds", type=int, default=3, help="fix rounds per cell (default 3)")
    fixes.add_argument(
        "--set",
        choices=("main", "held-out", "held-out-2"),
        default="main",
        help="the cases: main (default; the prompts were developed on it), held-out or held-out-2 (written blind)",
    )
    fixes.add_argument("--limit", type=int, help="only the first N cases")
    fixes.add_argument("--cases", help="only these case ids (comma-separated)")
    fixes.add_argument(
        "--candidates",
        type=_at_least_one,
        default=CANDIDATES,
        help=f"fixes tried per round, each in a copy of the kernel, until one passes there and is run (default "
        f"{CANDIDATES}, as in the panel; 1: one untried proposal per round)",
    )
    _add_in_kernel_option(fixes)
    fixes.add_argument(
        "--without",
        help="leave these out of the prompt to measure what they buy (comma-separated): hints (the sentences for "
        "well-known errors: the cases become errors no hint was written for), facts (what the kernel says)",
    )
    _add_model_options(fixes, results="case")
    fixes.set_defaults(run=_cmd_bench_fix)
    notebooks = which.add_parser("notebooks", help="the headless fixer on whole broken notebooks, judged fresh")
    notebooks.add_argument("--rounds", type=int, default=3, help="fix rounds per cell (default 3)")
    _add_candidates_option(notebooks)
    _add_in_kernel_option(notebooks)
    notebooks.add_argument("--notebooks", help="only these notebooks (comma-separated names without .ipynb)")
    _add_model_options(notebooks, results="notebook")
    notebooks.set_defaults(run=_cmd_bench_notebooks)
    humaneval = which.add_parser("humaneval", help="HumanEval pass@1 without, with self- and with oracle feedback")
    humaneval.add_argument(
        "--mode", choices=("single", "self-feedback", "oracle-feedback"), default="single", help="(default single)"
    )
    humaneval.add_argument("--rounds", type=int, default=3, help="self-feedback rounds per problem (default 3)")
    humaneval.add_argument("--limit", type=int, help="only the first N problems (after --stride)")
    humaneval.add_argument("--stride", type=int, default=1, help="every K-th problem: a fixed subset (default 1)")
    _add_model_options(humaneval, results="problem")
    humaneval.set_defaults(run=_cmd_bench_humaneval)
    infill = which.add_parser(
        "infill", help="HumanEval single-line infilling with the inline completer: pass rate, exact match, latency"
    )
    infill.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(CATALOG), help=f"(default {DEFAULT_MODEL})")
    infill.add_argument("--limit", type=int, help="only the first N problems (after --stride)")
    infill.add_argument("--stride", type=int, default=1, help="every K-th problem: a fixed subset (default 1)")
    infill.add_argument(
        "--lines-per-problem", type=int, help="mask only N evenly spaced lines of each solution (default: every line)"
    )
    infill.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all CPUs)")
    infill.add_argument("--results", help="write per-case results as JSON lines here")
    infill.set_defaults(run=_cmd_bench_infill)
    complete = which.add_parser(
        "complete", help="inline completion latency while a cell is typed, idle and while a chat answer streams"
    )
    complete.add_argument(
        "--model", default="chat", help="completion model: chat or a local model's catalog key (default chat)"
    )
    complete.add_argument(
        "--chat-model", default=DEFAULT_MODEL, choices=sorted(CATALOG), help=f"(default {DEFAULT_MODEL})"
    )
    complete.add_argument("--requests", type=int, default=30, help="pauses that ask for a suggestion (default 30)")
    complete.add_argument("--runs", type=int, default=3, help="passes of the whole sequence (default 3)")
    complete.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all CPUs)")
    complete.add_argument("--results", help="write per-request results as JSON lines here")
    complete.set_defaults(run=_cmd_bench_complete)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
