"""Inline completion latency as a user gets it, on the machine's own cores, idle and while a chat answer streams.

A notebook of about a thousand tokens of code sits above a new cell; the user types that cell's code and, at
pauses (the end of a word), the frontend asks for a ghost text: cells above + this cell's prefix, as
``InlineCompletions.ghost_text`` serves it (trimmer included). Each request starts once the previous one has
ended (nothing is cancelled), after the time it takes to type the characters in between. Measured: pause → first
shown piece, and pause → the suggestion's end, from the request on (JupyterLab's debounce, 250 ms by default, comes
before it in the browser).

The same typing then runs while the chat engine (its own ``LlamaEngine``, sharing the :class:`CpuGate`) streams a
long answer. Completions go first; the chat pauses at its next token. What that costs the chat is its decode speed
with completions running against the same chat alone.

Each run, in this order: typing on an idle machine; the chat alone; the chat with the typing during it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..completion.local import LocalCompleter
from ..completion.prompt import Budget, CompletionRequest, build_prompt
from ..completion.service import InlineCompletions
from ..engine.base import ChatMessage, EngineError, Generation
from ..engine.gate import CpuGate
from ..engine.llama import EngineConfig, LlamaEngine, _common_prefix
from ..engine.models import ModelChoice, choose_model, resolve_model
from ..engine.switch import SwitchableEngine
from .infill import p90

if TYPE_CHECKING:
    from llama_cpp import Llama

NOTEBOOK: tuple[str, ...] = (
    """import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

pd.set_option("display.max_columns", 30)
DATA = "data/sales_2023.csv\"""",
    """sales = pd.read_csv(DATA, parse_dates=["date"])
sales = sales.rename(columns=str.lower)
sales["revenue"] = sales["quantity"] * sales["unit_price"]
sales.head()""",
    """missing = sales.isna().mean().sort_values(ascending=False)
print(missing[missing > 0])
sales = sales.dropna(subset=["customer_id", "unit_price"])
sales["region"] = sales["region"].fillna("unknown").str.strip().str.title()""",
    """def remove_outliers(frame: pd.DataFrame, column: str, k: float = 1.5) -> pd.DataFrame:
    \"\"\"Rows whose ``column`` lies within ``k`` interquartile ranges of the quartiles.\"\"\"
    q1, q3 = frame[column].quantile([0.25, 0.75])
    spread = q3 - q1
    inside = frame[column].between(q1 - k * spread, q3 + k * spread)
    return frame[inside]


sales = remove_outliers(sales, "revenue")
print(len(sales), "rows after removing outliers")""",
    """by_region = (
    sales.groupby("region")
    .agg(orders=("order_id", "nunique"), revenue=("revenue", "sum"), customers=("customer_id", "nunique"))
    .sort_values("revenue", ascending=False)
)
by_region["revenue_per_customer"] = by_region["revenue"] / by_region["customers"]
by_region.round(2)""",
    """customers = sales.groupby("customer_id").agg(
    first_order=("date", "min"),
    last_order=("date", "max"),
    orders=("order_id", "nunique"),
    spent=("revenue", "sum"),
)
customers["tenure_days"] = (customers["last_order"] - customers["first_order"]).dt.days
customers["segment"] = pd.qcut(customers["spent"], 4, labels=["low", "mid", "high", "top"])
customers.groupby("segment", observed=True)["orders"].describe()""",
    """fig, axes = plt.subplots(1, 2, figsize=(12, 4))
by_region["revenue"].plot.bar(ax=axes[0], color="tab:blue")
axes[0].set_title("Revenue by region")
axes[0].set_ylabel("revenue")
customers["spent"].plot.hist(ax=axes[1], bins=40, log=True)
axes[1].set_title("Spend per customer")
fig.tight_layout()""",
    """from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

features = customers[["orders", "tenure_days"]].to_numpy()
target = customers["spent"].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(features, target, test_size=0.2, random_state=0)
model = LinearRegression().fit(X_train, y_train)
print(f"R^2 on the test set: {model.score(X_test, y_test):.3f}")""",
    """def cohort_table(frame: pd.DataFrame) -> pd.DataFrame:
    \"\"\"Share of each monthly cohort of new customers still ordering n months later.\"\"\"
    first = frame.groupby("customer_id")["date"].transform("min").dt.to_period("M")
    month = frame["date"].dt.to_period("M")
    age = (month - first).apply(lambda offset: offset.n)
    counts = frame.assign(cohort=first, age=age).pivot_table(
        index="cohort", columns="age", values="customer_id", aggfunc="nunique"
    )
    return counts.div(counts[0], axis=0).round(3)


retention = cohort_table(sales)
retention.iloc[:, :6]""",
    """top_products = (
    sales.groupby(["category", "product"])["revenue"]
    .sum()
    .groupby(level="category", group_keys=False)
    .nlargest(3)
    .reset_index()
)
top_products["share"] = top_products["revenue"] / sales["revenue"].sum()
top_products.style.format({"revenue": "{:,.0f}", "share": "{:.1%}"})""",
    """weekly = sales.set_index("date")["revenue"].resample("W").sum()
rolling = weekly.rolling(4, center=True).mean()
ax = weekly.plot(figsize=(10, 3), alpha=0.5, label="weekly")
rolling.plot(ax=ax, label="4-week mean")
ax.legend()""",
)
"""The cells above the one being typed (a small sales analysis)."""

NEW_CELL = """monthly = sales.groupby(sales["date"].dt.to_period("M"))["revenue"].sum()
growth = monthly.pct_change().mul(100).round(1)
best = growth.idxmax()
print(f"Best month: {best} ({growth[best]}% growth)")
fig, ax = plt.subplots(figsize=(8, 4))
monthly.plot(ax=ax, marker="o")
ax.set_title("Monthly revenue")
"""
"""What the user types, character by character."""

CHAT_PROMPT: list[ChatMessage] = [{"role": "user", "content": "Write a long tutorial about pandas."}]
CHAT_TOKENS = 2000
CHAT_ALONE_S = 20.0
"""How long the chat runs alone for its baseline speed."""
TYPING_CHARS_PER_S = 5.0
"""About 60 words a minute: the time between two pauses is the time to type what lies between them."""
N_CTX = 2048
"""The completer's context (LocalCompleter's default); its prompt budget is half of it."""
NEW_TOKENS_NOTED = 64
"""Requests that evaluate more new prompt tokens than this are counted (a cell dropped from the prompt's top)."""


def pause_points(text: str) -> list[int]:
    """Where a typist pauses: right after each word (identifier, keyword or number) is complete."""
    return [m.end() for m in re.finditer(r"\w+", text)]


def pick_evenly(points: Sequence[int], count: int) -> list[int]:
    """``count`` of ``points`` evenly spaced, the last always included (all of them when there are fewer)."""
    if count >= len(points):
        return list(points)
    return [points[len(points) - 1 - (k * len(points)) // count] for k in reversed(range(count))]


def typing_requests(cells_above: Sequence[str], cell: str, count: int) -> list[CompletionRequest]:
    """The requests the frontend sends while ``cell`` is typed at the end of a new cell, ``count`` pauses."""
    return [
        CompletionRequest(prefix=cell[:end], suffix="", cells_above=tuple(cells_above))
        for end in pick_evenly(pause_points(cell), count)
    ]


@dataclass
class Suggestion:
    prefix_chars: int
    new_tokens: int
    """Prompt tokens not shared with the previous request's prompt: what llama.cpp evaluates first."""
    first_s: float | None
    """Pause → first shown piece; None for an empty suggestion."""
    end_s: float
    text: str


@dataclass
class ChatRun:
    tokens_per_second: float | None
    """The engine's own figure (timings.tokens_per_second)."""
    pieces_per_second: float
    """Pieces received over wall-clock time, first piece to last (≈ tokens/s, what the reader sees)."""
    tokens: int


@dataclass
class Run:
    idle: list[Suggestion] = field(default_factory=list)
    busy: list[Suggestion] = field(default_factory=list)
    chat_alone: ChatRun | None = None
    chat_with_completions: ChatRun | None = None


class PromptSizes:
    """The completer's prompt for each request, tokenized as it does, to tell how much each one evaluates anew."""

    def __init__(self, tokenizer: Llama) -> None:
        self._tokenizer = tokenizer
        self._budget = Budget(prefix_tokens=min(1024, N_CTX // 2))
        self._previous: list[int] = []

    def count(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def new_tokens(self, request: CompletionRequest) -> int:
        fim = build_prompt(request.prefix, request.suffix, request.cells_above, self._budget, self.count)
        tokens: list[int] = self._tokenizer.tokenize(fim.text.encode("utf-8"), add_bos=False, special=True)
        shared = _common_prefix(self._previous, tokens)
        self._previous = tokens
        return len(tokens) - shared


async def suggest(service: InlineCompletions, request: CompletionRequest, model: str) -> tuple[float | None, str]:
    """One ghost text: seconds to its first shown piece (None if empty) and the text."""
    started = time.perf_counter()
    first: float | None = None
    text = ""
    async for piece in service.ghost_text(request, model):
        if first is None:
            first = time.perf_counter() - started
        text += piece
    return first, text


async def type_cell(
    service: InlineCompletions, requests: Sequence[CompletionRequest], model: str, sizes: PromptSizes
) -> list[Suggestion]:
    """Type the cell: wait the typing time to each pause, ask, wait for the suggestion to end; next pause."""
    suggestions = []
    typed = 0
    for request in requests:
        await asyncio.sleep((len(request.prefix) - typed) / TYPING_CHARS_PER_S)
        typed = len(request.prefix)
        new_tokens = sizes.new_tokens(request)
        started = time.perf_counter()
        first, text = await suggest(service, request, model)
        end = time.perf_counter() - started
        suggestions.append(Suggestion(len(request.prefix), new_tokens, first, end, text))
    return suggestions


class ChatReader:
    """Consumes a chat generation, timing its pieces."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self.times: list[float] = []
        self.started = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for _ in self.generation:
                self.times.append(time.perf_counter())
                self.started.set()
        finally:
            self.started.set()  # an error or an empty answer: nobody waits forever

    async def stop(self) -> ChatRun:
        """Cancel the generation and wait for its end; the speeds it kept up until then."""
        self.generation.cancel()
        with contextlib.suppress(EngineError):
            await self._task
        await self.generation.finished()
        span = self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0
        return ChatRun(
            tokens_per_second=self.generation.timings.tokens_per_second,
            pieces_per_second=(len(self.times) - 1) / span if span else 0.0,
            tokens=self.generation.usage.completion_tokens,
        )


async def one_run(
    service: InlineCompletions,
    chat: SwitchableEngine,
    requests: Sequence[CompletionRequest],
    model: str,
    sizes: PromptSizes,
) -> Run:
    run = Run()
    run.idle = await type_cell(service, requests, model, sizes)

    alone = ChatReader(chat.generate(CHAT_PROMPT, CHAT_TOKENS, 0.0))
    await alone.started.wait()
    await asyncio.sleep(CHAT_ALONE_S)
    run.chat_alone = await alone.stop()

    busy = ChatReader(chat.generate(CHAT_PROMPT, CHAT_TOKENS, 0.0))
    await busy.started.wait()  # the chat is decoding: now the user types
    run.busy = await type_cell(service, requests, model, sizes)
    run.chat_with_completions = await busy.stop()
    return run


def latency_lines(label: str, suggestions: Sequence[Suggestion]) -> list[str]:
    """Median and p90 of pause → first piece and pause → end, and how many requests re-evaluated much."""
    firsts = [s.first_s for s in suggestions if s.first_s is not None]
    ends = [s.end_s for s in suggestions]
    if not ends:
        return [f"{label}: no requests"]
    lines = [f"{label} ({len(ends)} requests, {len(firsts)} with a suggestion):"]
    if firsts:
        lines.append(f"  pause -> first piece  median {statistics.median(firsts):.2f} s  p90 {p90(firsts):.2f} s")
    lines.append(f"  pause -> end          median {statistics.median(ends):.2f} s  p90 {p90(ends):.2f} s")
    slow = [s.end_s for s in suggestions if s.new_tokens > NEW_TOKENS_NOTED]
    note = f" (median {statistics.median(slow):.2f} s to end)" if slow else ""
    lines.append(f"  requests that evaluated more than {NEW_TOKENS_NOTED} new prompt tokens: {len(slow)}{note}")
    return lines


def summarize(runs: Sequence[Run], model_name: str, chat_name: str) -> str:
    """The report. Each pass's first request (entering the cell: the notebook evaluated anew) is shown apart."""
    passes = [r.idle for r in runs if r.idle] + [r.busy for r in runs if r.busy]
    idle = [s for r in runs for s in r.idle[1:]]
    busy = [s for r in runs for s in r.busy[1:]]
    lines = [f"completions: {model_name}; chat: {chat_name}; {len(runs)} run(s)"]
    if passes:
        entering = [p[0].end_s for p in passes]
        tokens = statistics.median(p[0].new_tokens for p in passes)
        lines.append(
            f"first request of a pass (~{tokens:.0f} prompt tokens evaluated): median {statistics.median(entering):.2f}"
            f" s to end (idle and busy passes; outside the statistics below)"
        )
    lines += latency_lines("idle machine", idle)
    lines += latency_lines("while the chat streams", busy)
    lines.append(f"chat decode alone:            {_speeds([r.chat_alone for r in runs if r.chat_alone])}")
    shared = [r.chat_with_completions for r in runs if r.chat_with_completions]
    lines.append(f"chat decode with completions: {_speeds(shared)}")
    firsts_idle = [s.first_s for s in idle if s.first_s is not None]
    firsts_busy = [s.first_s for s in busy if s.first_s is not None]
    if firsts_idle and firsts_busy:
        lines.append(
            f"targets (pause -> first piece): idle median {statistics.median(firsts_idle):.2f} s (<= 0.8), "
            f"p90 {p90(firsts_idle):.2f} s (<= 1.5); while the chat streams median "
            f"{statistics.median(firsts_busy):.2f} s (<= 2.0)"
        )
    lines.append("requests are sequential: each starts after the previous suggestion ended; none is cancelled")
    return "\n".join(lines)


def _speeds(chats: Sequence[ChatRun]) -> str:
    if not chats:
        return "not measured"
    engine = [c.tokens_per_second for c in chats if c.tokens_per_second]
    own = statistics.median(c.pieces_per_second for c in chats)
    engine_text = f"{statistics.median(engine):.2f}" if engine else "n/a"
    return f"{engine_text} tok/s (engine), {own:.2f} pieces/s (wall clock), {sum(c.tokens for c in chats)} tokens"


async def run_benchmark(
    model: str, chat_model: str, cache_dir: Path, threads: int, requests: int, runs: int, results: Path | None
) -> str:
    gate = CpuGate()
    chat_engine = LlamaEngine(EngineConfig(choose_model(model=chat_model), cache_dir, n_threads=threads), gate)
    chat = SwitchableEngine(chat_engine, chat_model)
    service = InlineCompletions(chat, gate, cache_dir, threads)
    try:
        await chat.ready()
        async for _ in service.ghost_text(CompletionRequest("", ""), model):  # a warm-up: loads the model
            pass
        completer = service._completer_for(model)  # the one the warm-up loaded
        if not isinstance(completer, LocalCompleter):
            raise EngineError("This benchmark measures in-process completions.")
        with _tokenizer(completer.model, cache_dir) as tokenizer:
            sizes = PromptSizes(tokenizer)
            plan = typing_requests(NOTEBOOK, NEW_CELL, requests)
            context = sizes.count("".join(NOTEBOOK))
            print(f"notebook above: {len(NOTEBOOK)} cells, {context} tokens; {len(plan)} requests a pass", flush=True)
            done = []
            for index in range(runs):
                done.append(await one_run(service, chat, plan, model, sizes))
                _write(results, index, done[-1])
        return summarize(done, completer.model.name, chat_engine.config.model.name)
    finally:
        await service.close()
        await chat.close()


@contextlib.contextmanager
def _tokenizer(model: ModelChoice, cache_dir: Path) -> Iterator[Llama]:
    """The model's vocabulary alone (no weights): to tokenize prompts as the completer does."""
    from llama_cpp import Llama

    path = resolve_model(model, cache_dir, lambda message, fraction: None)
    tokenizer = Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        yield tokenizer
    finally:
        tokenizer.close()


def _write(results: Path | None, index: int, run: Run) -> None:
    if results is None:
        return
    results.parent.mkdir(parents=True, exist_ok=True)
    with results.open("a" if index else "w") as sink:
        for phase in ("idle", "busy"):
            for number, suggestion in enumerate(getattr(run, phase)):
                row: dict[str, Any] = {"run": index, "phase": phase, "request": number, **asdict(suggestion)}
                sink.write(json.dumps(row) + "\n")
        for phase in ("chat_alone", "chat_with_completions"):
            chat = getattr(run, phase)
            if chat is not None:
                sink.write(json.dumps({"run": index, "phase": phase, **asdict(chat)}) + "\n")


def main(
    model: str, chat_model: str, cache_dir: Path, threads: int, requests: int, runs: int, results: Path | None
) -> int:
    try:
        summary = asyncio.run(run_benchmark(model, chat_model, cache_dir, threads, requests, runs, results))
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(summary, flush=True)
    return 0
