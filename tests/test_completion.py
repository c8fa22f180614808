"""Inline completions: fill-in-the-middle prompts and their trimming (pure), the local completer on the real 0.5B model
(a completion, a stale one cancelled, a completion going before a running chat that shares the CPU gate), the
``complete`` message through the real server extension, and ghost text from a real OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from model_server import API_KEY, ModelServer, small_model_path

from opencodeinterpreter_lab.completion.local import LocalCompleter
from opencodeinterpreter_lab.completion.prompt import (
    CELL_MARK,
    CHARS_PER_TOKEN,
    FIM_MIDDLE,
    FIM_PREFIX,
    FIM_SUFFIX,
    STOP_TEXTS,
    Budget,
    CompletionRequest,
    MiddleTrimmer,
    build_prompt,
    estimate_tokens,
    looks_binary,
)
from opencodeinterpreter_lab.completion.service import InlineCompletions
from opencodeinterpreter_lab.engine.base import ChatMessage, EngineError
from opencodeinterpreter_lab.engine.gate import CpuGate
from opencodeinterpreter_lab.engine.llama import EngineConfig, LlamaEngine
from opencodeinterpreter_lab.engine.models import choose_model
from opencodeinterpreter_lab.engine.remote import RemoteConfig, RemoteEngine
from opencodeinterpreter_lab.engine.switch import SwitchableEngine
from opencodeinterpreter_lab.server.app import OpenCodeInterpreter

SMALL = "qwen2.5-coder-0.5b"
ADD = CompletionRequest("def add(a, b):\n    return ", "", max_lines=1)
FIB = CompletionRequest("def fib(n):\n", "\n\nprint(fib(10))\n", max_lines=5)
LONG = CompletionRequest("numbers = [\n    1,\n    2,\n    3,\n", "", max_lines=20)
"""A middle of many short non-blank lines: the longest a ghost text gets."""
SPECIAL = re.compile(r"<\|[a-z_]+\|>")


# ---- the prompt ----------------------------------------------------------------------------------------------------
def test_the_prompt_puts_prefix_and_suffix_around_the_hole() -> None:
    prompt = build_prompt("total = 0\nfor x in xs:\n    total += ", "\nprint(total)\n")
    assert prompt.text == f"{FIM_PREFIX}total = 0\nfor x in xs:\n    total += {FIM_SUFFIX}\nprint(total)\n{FIM_MIDDLE}"


def test_cells_above_come_first_as_percent_cells_in_notebook_order() -> None:
    prompt = build_prompt("z = x + y", "", ["x = 1\n\n", "y = 2"])
    assert prompt.prefix == f"{CELL_MARK}\nx = 1\n\n{CELL_MARK}\ny = 2\n\n{CELL_MARK}\nz = x + y"


def test_cells_above_are_taken_nearest_first_and_whole() -> None:
    far, big, near = "far = 1", "big = [" + "2, " * 300 + "]", "near = 3"
    prompt = build_prompt("print(near)", "", [far, big, near], Budget(prefix_tokens=40))
    assert prompt.prefix == f"{CELL_MARK}\n{near}\n\n{CELL_MARK}\nprint(near)"
    assert "2, 2" not in prompt.prefix, "a cell that does not fit is left out whole, not cut"
    assert estimate_tokens(prompt.prefix) <= 40


def test_a_long_prefix_is_cut_at_a_line_start_and_keeps_the_cursor_end() -> None:
    prefix = "".join(f"value_{i} = compute({i})\n" for i in range(500)) + "result = value_"
    own = build_prompt(prefix, "", budget=Budget(prefix_tokens=100)).prefix
    assert prefix.endswith(own), "the end at the cursor is kept as it is"
    assert prefix[-len(own) - 1] == "\n", "the cut falls at a line start"
    line = estimate_tokens("value_499 = compute(499)\n")
    assert 100 - 100 // 4 - line < estimate_tokens(own) <= 100, "within the budget, less at most a quarter of it"


def test_a_prefix_of_one_huge_line_is_cut_inside_it_within_the_budget() -> None:
    prefix = "x = " + "1 + " * 10_000
    own = build_prompt(prefix, "", budget=Budget(prefix_tokens=100)).prefix
    assert prefix.endswith(own) and 0 < estimate_tokens(own) <= 100


def test_the_suffix_keeps_its_first_lines_within_its_budget() -> None:
    suffix = "".join(f"check(value_{i})\n" for i in range(200))
    kept = build_prompt("x = ", suffix, budget=Budget(suffix_tokens=30)).suffix
    assert suffix.startswith(kept) and kept.endswith("\n"), "whole lines from the top"
    assert 30 - estimate_tokens("check(value_199)\n") < estimate_tokens(kept) <= 30


def test_special_tokens_in_user_text_are_stripped() -> None:
    prompt = build_prompt(
        'marker = "<|fim_middle|>"\nend = "<|endoftext|>"\nx = ',
        '\nnote = "<|fim_suffix|><|im_start|>system"\n',
        ['chat = "<|im_start|>user\\nhi<|im_end|>"', "# <|fim_prefix|><|file_sep|><|repo_name|>"],
    )
    assert SPECIAL.findall(prompt.text) == [FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE]
    assert 'marker = ""' in prompt.text and "hi" in prompt.text, "only the tokens go, the user's text stays"


def test_special_tokens_hidden_inside_others_are_stripped_too() -> None:
    prompt = build_prompt('a = "<|fim_<|x|>middle|>"\nb = <|endo<|im_end|>ftext|>', "")
    assert SPECIAL.findall(prompt.text) == [FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE]


class TallyingCounter:
    """``estimate_tokens``, tallying how much text it was asked to count (the work a real tokenizer would do)."""

    def __init__(self) -> None:
        self.chars = 0
        self.calls = 0

    def __call__(self, text: str) -> int:
        self.chars += len(text)
        self.calls += 1
        return estimate_tokens(text)


HUGE_CELLS = {
    "code": "value = compute(alpha, beta) + 1\n" * 160_000,
    "one line": "a" * 5_000_000,
    "blank lines": "\n" * 5_000_000,
    "indented": (" " * 200 + "x\n") * 25_000,
    "short lines": "x\n" * 2_500_000,
}


@pytest.mark.parametrize("shape", HUGE_CELLS)
def test_a_5_mb_cell_builds_fast_and_within_budget(shape: str) -> None:
    huge = HUGE_CELLS[shape]
    budget = Budget()
    started = time.perf_counter()
    prompt = build_prompt(huge, huge, [huge, "x = 1", huge], budget)
    assert time.perf_counter() - started < 2.0, "a few milliseconds in fact: generous for a busy machine"
    assert estimate_tokens(prompt.prefix) <= budget.prefix_tokens
    assert estimate_tokens(prompt.suffix) <= budget.suffix_tokens
    assert prompt.prefix.endswith(huge[-100:]), "the cursor's end is kept"
    assert len(prompt.text) < 20_000


@pytest.mark.parametrize("shape", HUGE_CELLS)
def test_a_huge_cell_costs_the_tokenizer_work_in_proportion_to_the_budget(shape: str) -> None:
    huge = HUGE_CELLS[shape]
    budget = Budget()
    counter = TallyingCounter()
    build_prompt(huge, huge, [huge, "x = 1", huge], budget, counter)
    assert counter.chars <= 40 * budget.prefix_tokens * CHARS_PER_TOKEN
    assert counter.calls <= 4 * budget.prefix_tokens


@pytest.mark.parametrize("rows", [60, 20])
def test_successive_keystrokes_keep_the_same_prompt_start(rows: int) -> None:
    """llama.cpp reuses the evaluated prompt up to the first difference: typing must move the cut only now and then,
    whether it falls in the cell's own code (60 rows: over the budget alone) or between the cells above (20 rows)."""
    cells = [f"def step_{i}(x):\n    return x + {i}\n" for i in range(40)]
    code = "".join(f"row_{i} = step_{i % 40}(row_{i - 1})\n" for i in range(1, rows))
    typed = "".join(f"final_{i} = step_{i}(row_19) + step_7(row_18)\n" for i in range(30))  # ~400 tokens
    budget = Budget(prefix_tokens=400)
    previous = build_prompt(code, "", cells, budget).prefix
    moved = 0
    cells_kept = set()
    for n in range(1, len(typed) + 1):
        prefix = build_prompt(code + typed[:n], "", cells, budget).prefix
        assert prefix.endswith(typed[max(0, n - 200) : n]) and estimate_tokens(prefix) <= budget.prefix_tokens
        cells_kept.add(prefix.count("def step_"))
        if not prefix.startswith(previous):
            moved += 1
        previous = prefix
    assert moved >= 1, "the typing went past the budget"
    assert (cells_kept == {0}) is (rows == 60), "the cut fell where this case means it to"
    assert moved <= len(typed) // 100, f"the prompt's start moved on {moved} of {len(typed)} keystrokes"


def test_a_request_asks_for_tokens_in_proportion_to_its_lines() -> None:
    assert CompletionRequest("x", "", max_lines=1).max_tokens == 32
    assert CompletionRequest("x", "", max_lines=20).max_tokens == 256


@pytest.mark.parametrize(
    ("text", "binary"),
    [
        ("", False),
        ("def f(x):\n\treturn x\r\n" * 50, False),
        ("x = 1\n\x0c\x0b", False),  # a stray form feed in code
        ("\x00\x01\x02\x03PNG\x1a\x00" * 40, True),
        ("caf\ufffd" * 100, True),  # bytes decoded with errors="replace"
        ("print(1)\n" * 1000 + "\x00" * 100, True),  # the end (near the cursor) decides
    ],
)
def test_looks_binary(text: str, binary: bool) -> None:
    assert looks_binary(text) is binary


# ---- trimming the middle -------------------------------------------------------------------------------------------
def shown(trimmer: MiddleTrimmer, pieces: list[str]) -> list[str]:
    """What ``trimmer`` released after each piece, then at the end."""
    return [trimmer.feed(piece) for piece in pieces] + [trimmer.finish()]


def test_the_middle_ends_after_max_lines() -> None:
    trimmer = MiddleTrimmer("", max_lines=2)
    assert "".join(shown(trimmer, ["a = 1\nb = 2\nc = 3\n"])) == "a = 1\nb = 2"
    assert trimmer.done and trimmer.feed("d = 4\n") == ""


@pytest.mark.parametrize("end", ["\n\n", "\n    \n", f"\n{CELL_MARK}\n", f"\n{CELL_MARK} [markdown]\n"])
def test_the_middle_ends_before_a_blank_line_or_a_new_cell(end: str) -> None:
    trimmer = MiddleTrimmer("", max_lines=10)
    assert "".join(shown(trimmer, [f"x = 1\ny = 2{end}z = 3\n"])) == "x = 1\ny = 2"
    assert trimmer.done


def test_a_repeat_of_the_line_below_the_cursor_is_held_back_then_dropped() -> None:
    trimmer = MiddleTrimmer("\n\nprint(fib(10))\n", max_lines=5)
    released = shown(trimmer, ["    return n\n", "print(", "fib(10", "))", "\n", "x"])
    assert released[0] == "    return n"
    assert released[1:] == ["", "", "", "", "", ""], "'print(fib(10))' may be the repeat: never shown"
    assert trimmer.done


def test_a_line_that_only_starts_like_the_line_below_is_shown_once_it_differs() -> None:
    trimmer = MiddleTrimmer("\nprint(x)\n", max_lines=5)
    released = shown(trimmer, ["y = 1\n", "print(", "y)"])
    assert released == ["y = 1", "", "\nprint(y)", ""]


@pytest.mark.parametrize("stop", STOP_TEXTS)
def test_the_middle_ends_at_a_stop_token(stop: str) -> None:
    trimmer = MiddleTrimmer("", max_lines=3)
    assert trimmer.feed(f"a + b{stop}junk") == "a + b"
    assert trimmer.done and trimmer.feed("more") == "" and trimmer.finish() == ""


@pytest.mark.parametrize(
    ("suffix", "pieces"),
    [
        ("", ["x = 1 ", "+ 2", "\n", "y = 3\n", "\n", "z"]),
        ("\nprint(total)\n", ["total = 0\n", "for v in vs:\n", "    total += v\n", "print(", "total)\n"]),
        ("\nprint(x)\n", ["a", " = [", "\n    1,", "\n", "    2,\n", "]\n", "print(", "x)", "\n"]),
        ("", ["if x:\n", "    ", "y = 1\n", "    z = 2\n", "w = 3\n"]),
        ("", ["x = 1\n", f"{CELL_MARK}\n", "y"]),
        ("", ["x = 1\n", "#", " %%", "\n", "y = 2"]),
        ("", ["x = 1\n", "# %%"]),
    ],
)
def test_what_was_shown_is_never_taken_back(suffix: str, pieces: list[str]) -> None:
    """The client appends each released piece: their sum must be exactly the middle the trimmer keeps."""
    trimmer = MiddleTrimmer(suffix, max_lines=4)
    released = shown(trimmer, pieces)
    assert "".join(released) == trimmer.text.rstrip(), released


# ---- the local completer, on the real 0.5B model -------------------------------------------------------------------
@pytest.fixture(scope="module")
def cache_dir() -> Path:
    """The real model cache (taken before pytest_jupyter points HOME at a temporary folder)."""
    return Path(OpenCodeInterpreter().cache_dir).expanduser()


@pytest.fixture(scope="module")
def gate() -> CpuGate:
    return CpuGate()


@pytest.fixture(scope="module")
def completer(cache_dir: Path, gate: CpuGate) -> Iterator[LocalCompleter]:
    """The 0.5B completer, loaded once for this module. One thread: on two cores shared with other work, llama.cpp
    with a thread per core waits on its busy neighbours at every step (32 tokens in 1.4 to 35 s here, against a
    steady 1.4 s on one thread); the server tests below run the product's default."""
    small = LocalCompleter(choose_model(model=SMALL), cache_dir, gate, n_threads=1)
    asyncio.run(small.ready())
    yield small
    asyncio.run(small.close())


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    """The 0.5B's own tokenizer (its vocabulary only: no weights loaded)."""
    from llama_cpp import Llama

    return Llama(str(small_model_path()), vocab_only=True, verbose=False)


async def ghost_text(completer: LocalCompleter, request: CompletionRequest) -> str:
    """What the editor would show: the completer's middle, trimmed (as the service does it)."""
    trimmer = MiddleTrimmer(request.suffix, request.max_lines)
    generation = completer.fill(request)
    text = ""
    async for piece in generation:
        text += trimmer.feed(piece)
        if trimmer.done:
            generation.cancel()  # the rest is not wanted
    await asyncio.wait_for(generation.finished(), 60)
    return text + trimmer.finish()


@pytest.mark.model
def test_the_prompt_fits_the_completers_context_with_the_models_own_tokenizer(tokenizer: Any) -> None:
    def count(text: str) -> int:
        return len(tokenizer.tokenize(text.encode(), add_bos=False, special=False))

    cells = ['chat = "<|im_start|>user<|im_end|>"', "import numpy as np\n" * 20]
    code = "".join(f"value_{i} = np.sqrt({i}) * 2  # <|endoftext|>\n" for i in range(20_000))
    prompt = build_prompt(code, code, cells, Budget(prefix_tokens=1024), count)
    tokens = tokenizer.tokenize(prompt.text.encode(), add_bos=False, special=True)
    (fim_prefix, fim_suffix, fim_middle), stops = (
        [tokenizer.tokenize(s.encode(), add_bos=False, special=True) for s in texts]
        for texts in ((FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE), STOP_TEXTS)
    )
    specials = {t for special in [fim_prefix, fim_suffix, fim_middle, *stops] for t in special}
    assert len(fim_prefix) == len(fim_suffix) == len(fim_middle) == 1, "each FIM marker is one special token"
    assert [t for t in tokens if t in specials] == fim_prefix + fim_suffix + fim_middle
    assert len(tokens) + CompletionRequest("", "", max_lines=20).max_tokens <= 2048, "the completer's n_ctx"


@pytest.mark.model
async def test_an_obvious_line_is_completed(completer: LocalCompleter) -> None:
    assert await ghost_text(completer, ADD) == "a + b"


@pytest.mark.model
async def test_the_cells_above_and_the_code_below_shape_the_middle(completer: LocalCompleter) -> None:
    converter = 'def celsius_to_kelvin(c):\n    """Degrees Celsius in kelvin."""\n    return c + 273.15'
    request = CompletionRequest(
        "temps = [10, 20, 30]\nkelvins = [", "\nprint(kelvins)\n", ("import math", converter), max_lines=2
    )
    middle = await ghost_text(completer, request)
    assert "celsius_to_kelvin(" in middle, "it calls the function a cell above defines"
    assert "print(kelvins)" not in middle, "and does not repeat the line below the cursor"


@pytest.mark.model
async def test_a_stale_completion_stops_within_a_token_and_the_next_one_answers(completer: LocalCompleter) -> None:
    stale = completer.fill(LONG)
    pieces = 0
    made_when_cancelled = 0
    async for _ in stale:
        pieces += 1
        if pieces == 3:
            made_when_cancelled = stale.usage.completion_tokens
            stale.cancel()  # the user typed on
    await asyncio.wait_for(stale.finished(), 30)
    assert stale.cancelled
    assert stale.usage.completion_tokens <= made_when_cancelled + 1 < LONG.max_tokens
    assert await ghost_text(completer, ADD) == "a + b"


@pytest.mark.model
async def test_a_queued_stale_completion_never_runs(completer: LocalCompleter) -> None:
    stale = completer.fill(LONG)
    fresh = completer.fill(ADD)
    stale.cancel()
    middle = "".join([piece async for piece in fresh])
    await asyncio.wait_for(stale.finished(), 30)
    assert stale.usage.completion_tokens <= 1, "cancelled before (or within a token of) its start"
    assert middle.startswith("a + b")


COUNT_TO_100: list[ChatMessage] = [
    {"role": "user", "content": "Count from 1 to 100, separated by commas, nothing else."}
]


@pytest.mark.model
async def test_a_completion_goes_before_a_running_chat_which_then_carries_on(
    completer: LocalCompleter, gate: CpuGate, cache_dir: Path
) -> None:
    """The chat engine shares the completer's CPU gate: it pauses at a token boundary while the completion
    computes, then goes on from where it stopped (its own context, its KV cache untouched)."""
    config = EngineConfig(model=choose_model(model=SMALL), cache_dir=cache_dir, n_ctx=2048, n_threads=1)
    chat = LlamaEngine(config, gate)
    try:
        await chat.ready()
        answer = chat.generate(COUNT_TO_100, max_tokens=64, temperature=0.0)
        pieces: list[str] = []
        streaming = asyncio.Event()

        async def listen() -> None:
            async for piece in answer:
                pieces.append(piece)
                if len(pieces) >= 8:
                    streaming.set()

        listening = asyncio.create_task(listen())
        await asyncio.wait_for(streaming.wait(), 120)
        chat_tokens_at_start = answer.usage.completion_tokens
        fill = completer.fill(ADD)
        chat_tokens_at_first_piece: int | None = None
        middle = ""
        async for piece in fill:
            if chat_tokens_at_first_piece is None:
                chat_tokens_at_first_piece = answer.usage.completion_tokens
            middle += piece
        chat_tokens_at_end = answer.usage.completion_tokens
        assert not listening.done(), "the completion ended while the chat was still streaming"
        await asyncio.wait_for(listening, 120)
    finally:
        await chat.close()

    assert middle.startswith("a + b")
    assert chat_tokens_at_first_piece is not None and chat_tokens_at_first_piece - chat_tokens_at_start <= 3, (
        "the completion's first piece came within a few chat tokens"
    )
    during = chat_tokens_at_end - chat_tokens_at_start
    assert fill.usage.completion_tokens >= 16
    assert during * 4 <= fill.usage.completion_tokens, f"the chat made {during} tokens while the completion computed"
    assert not answer.cancelled
    assert answer.usage.completion_tokens - chat_tokens_at_end >= 20, "the chat carried on after the completion"
    numbers = [int(n) for n in re.findall(r"\d+", "".join(pieces))][:-1]  # the last one may be cut off
    assert len(numbers) >= 15 and numbers == list(range(1, len(numbers) + 1)), "it went on where it stopped"


@pytest.mark.model
async def test_while_a_chat_generates_a_suggestion_keeps_to_one_line(cache_dir: Path) -> None:
    """One line instead of several halves what a completion costs a streaming chat (README, Performance)."""
    gate = CpuGate()
    chat = SwitchableEngine(LlamaEngine(EngineConfig(choose_model(model=SMALL), cache_dir)), SMALL)
    completions = InlineCompletions(chat, gate, cache_dir, n_threads=1)
    try:
        idle = "".join([piece async for piece in completions.ghost_text(LONG, SMALL)])
        with gate.background():  # what the chat engine holds while it generates
            busy = "".join([piece async for piece in completions.ghost_text(LONG, SMALL)])
    finally:
        await completions.close()
        await chat.close()
    assert idle.count("\n") >= 1, idle
    assert busy and "\n" not in busy and idle.startswith(busy), (idle, busy)


@pytest.mark.model
async def test_an_unknown_completion_model_is_refused_by_name(tmp_path: Path) -> None:
    chat = SwitchableEngine(LlamaEngine(EngineConfig(model=choose_model(model=SMALL), cache_dir=tmp_path)), SMALL)
    completions = InlineCompletions(chat, CpuGate(), tmp_path)
    try:
        for _ in range(2):  # and again without retrying the load
            with pytest.raises(EngineError, match="Unknown model 'no-such-model'"):
                async for _piece in completions.ghost_text(ADD, "no-such-model"):
                    pass
    finally:
        await completions.close()
    assert chat.status.state == "absent", "the chat model was not touched"
    await chat.close()


# ---- through the real server ---------------------------------------------------------------------------------------
@pytest.fixture
def extension_config(cache_dir: Path) -> dict[str, Any]:
    return {"cache_dir": str(cache_dir)}


def complete(request_id: str, prefix: str, suffix: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "complete", "id": request_id, "prefix": prefix, "suffix": suffix, **extra}


async def messages_until_ends(client: Any, ids: set[str]) -> list[dict[str, Any]]:
    """Every message of ``ids`` until each of them ended (done or error)."""
    received: list[dict[str, Any]] = []
    ended: set[str] = set()
    while ended != ids:
        message = await client.receive(timeout=120)
        if message.get("id") in ids:
            received.append(message)
            if message["type"] in ("done", "error"):
                ended.add(message["id"])
    return received


@pytest.mark.model
async def test_a_complete_request_streams_ghost_text_then_done(connect: Any) -> None:
    client = await connect()
    await client.send(complete("warm-up", ""))  # what the editor sends on focus: load, suggest nothing
    text, end = await client.receive_until_end("warm-up")
    assert (text, end["type"], end["cancelled"]) == ("", "done", False)

    await client.send(complete("k1", ADD.prefix, "\n", context=["import math"], max_lines=1))
    messages = await messages_until_ends(client, {"k1"})
    *tokens, end = messages
    assert tokens and all(m["type"] == "token" for m in tokens)
    assert "".join(m["text"] for m in tokens) == "a + b"
    assert end["type"] == "done" and end["cancelled"] is False


@pytest.mark.model
async def test_a_newer_complete_request_cancels_the_older_one(connect: Any) -> None:
    client = await connect()
    await client.send(complete("old", LONG.prefix, max_lines=LONG.max_lines))
    while (await client.receive(timeout=120)).get("type") != "token":
        pass
    await client.send(complete("new", ADD.prefix, max_lines=1))
    messages = await messages_until_ends(client, {"old", "new"})
    old_end = next(i for i, m in enumerate(messages) if m["id"] == "old" and m["type"] != "token")
    new_tokens = [i for i, m in enumerate(messages) if m["id"] == "new" and m["type"] == "token"]
    assert messages[old_end]["type"] == "done", messages[old_end]
    assert new_tokens and old_end < new_tokens[0], "the stale suggestion ended before the new one streamed"
    assert "".join(messages[i]["text"] for i in new_tokens) == "a + b"
    assert messages[-1] == {**messages[-1], "id": "new", "type": "done", "cancelled": False}


async def test_a_malformed_complete_request_gets_a_clear_error(connect: Any) -> None:
    client = await connect()
    await client.send(complete("zero", "x = ", max_lines=0))
    _, end = await client.receive_until_end("zero")
    assert end["type"] == "error"
    assert "Invalid complete message" in end["message"] and "max_lines" in end["message"]
    await client.send(complete("unknown", "x = ", model="no-such-model"))
    _, end = await client.receive_until_end("unknown")
    assert end["type"] == "error" and "no-such-model" in end["message"]


async def test_binary_looking_text_gets_done_without_tokens(connect: Any) -> None:
    client = await connect()
    await client.send(complete("bin", "\x00\x01\x02\x03\x89PNG\x1a" * 60, "\x00\xff" * 10))
    text, end = await client.receive_until_end("bin")
    assert (text, end["type"], end["cancelled"]) == ("", "done", False)


@pytest.mark.parametrize("extension_config", [{"inline_completions": False}])
async def test_completions_turned_off_by_the_server_are_refused(connect: Any) -> None:
    client = await connect()
    await client.send(complete("off", ADD.prefix))
    _, end = await client.receive_until_end("off")
    assert end["type"] == "error" and "not available" in end["message"]


# ---- from a remote OpenAI-compatible server ------------------------------------------------------------------------
async def texts(pieces: AsyncIterator[str]) -> str:
    return "".join([piece async for piece in pieces])


async def test_a_remote_chat_engine_serves_ghost_text_through_plain_completions(
    model_server: ModelServer, tmp_path: Path
) -> None:
    remote = RemoteEngine(RemoteConfig(model_server.base_url, api_key=API_KEY))
    completions = InlineCompletions(SwitchableEngine(remote, "remote:"), CpuGate(), tmp_path)
    asked_before = model_server.log.count("POST /v1/completions")
    try:
        add = await texts(completions.ghost_text(ADD))
        fib = await texts(completions.ghost_text(FIB, "chat"))
    finally:
        await completions.close()
        await remote.close()
    assert add == "a + b"
    assert "fib(n - 1)" in fib.replace("n-1", "n - 1") and "print(fib(10))" not in fib, fib
    assert "fim" not in add + fib and "<|" not in add + fib, "the FIM markers were read as the model's tokens"
    assert model_server.log.count("POST /v1/completions") == asked_before + 2, "both from the remote server"
    assert not await asyncio.to_thread(os.listdir, tmp_path), "no local model was prepared"
