"""The remote engine's benchmark: what the extension adds on top of an OpenAI-compatible server.

Against one server (``--base-url``), with the same model, prompts and greedy decoding on both sides:

1. decode speed streamed through a real Jupyter server's WebSocket ÷ read directly from the server with the
   ``openai`` client, alternating runs so that noise hits both alike (target ≥ 0.97);
2. time to first token added by the extension: the median of paired differences (target ≤ 50 ms);
3. load: 8 chats on 8 WebSocket connections at once vs the same 8 requests sent to the server directly at once;
   total wall times, twice each, alternating (target: within 10%, i.e. the extension adds no serialisation of its own).

Only ratios within one run mean anything; the machine is noisy.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from ..server.app import DEFAULT_SYSTEM_PROMPT
from .stream import DECODE_PROMPT, StreamRun, _Server, _ws_stream

LOAD_PROMPT = "Write a Python function that returns the n-th Fibonacci number. Only code."
SYSTEM = {"role": "system", "content": DEFAULT_SYSTEM_PROMPT}
"""Sent on both sides, so that the extension forwards exactly the request the direct side sends."""


async def _direct_stream(
    client: openai.AsyncOpenAI, model: str, messages: list[dict[str, str]], tokens: int
) -> StreamRun:
    sent = time.perf_counter()
    first = last = 0.0
    pieces = 0
    stream = await client.chat.completions.create(
        model=model,
        messages=cast("list[ChatCompletionMessageParam]", messages),
        max_tokens=tokens,
        temperature=0,
        stream=True,
    )
    async with stream:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                last = time.perf_counter()
                first = first or last
                pieces += 1
    return StreamRun(first - sent, pieces, last - first)


async def _load(server: _Server, client: openai.AsyncOpenAI, model: str, tokens: int, through: bool) -> float:
    """Seconds for 8 different chats sent at once, through 8 WebSocket connections or directly."""
    load = [[SYSTEM, {"role": "user", "content": f"({n}) {LOAD_PROMPT}"}] for n in range(8)]
    sockets = [await server.connect() for _ in load] if through else []
    started = time.perf_counter()
    if through:
        runs = await asyncio.gather(*(_ws_stream(ws, m, tokens) for ws, m in zip(sockets, load, strict=True)))
    else:
        runs = await asyncio.gather(*(_direct_stream(client, model, m, tokens) for m in load))
    elapsed = time.perf_counter() - started
    for ws in sockets:
        ws.close()
    print(
        f"  8 at once {'through the extension' if through else 'direct':>21}: {elapsed:6.2f} s, "
        f"{sum(r.pieces for r in runs)} pieces",
        flush=True,
    )
    return elapsed


async def _measure(server: _Server, client: openai.AsyncOpenAI, model: str, tokens: int, runs: int) -> dict[str, Any]:
    ws = await server.connect()
    decode = [SYSTEM, {"role": "user", "content": DECODE_PROMPT}]
    await _ws_stream(ws, decode, 4)  # warm both paths (connections, the server's prompt cache)
    await _direct_stream(client, model, decode, 4)
    direct: list[StreamRun] = []
    through: list[StreamRun] = []
    for _ in range(runs):  # alternate, so that noise hits both sides alike
        direct.append(await _direct_stream(client, model, decode, tokens))
        through.append(await _ws_stream(ws, decode, tokens))
    ws.close()
    load_direct, load_through = [], []
    for _ in range(2):
        load_direct.append(await _load(server, client, model, tokens, through=False))
        load_through.append(await _load(server, client, model, tokens, through=True))
    return {
        "direct": direct,
        "through": through,
        "load_direct": statistics.median(load_direct),
        "load_through": statistics.median(load_through),
    }


def run_remote_benchmark(base_url: str, api_model: str, api_key: str, tokens: int, runs: int) -> int:
    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "unused", max_retries=0)

    async def served_model() -> str:
        return api_model or (await client.models.list()).data[0].id

    model = asyncio.run(served_model())
    print(f"model {model} at {base_url}, {tokens} tokens x {runs} runs; 8 concurrent chats", flush=True)
    server = _Server({"base_url": base_url, "api_model": model, "api_key": api_key, "max_concurrent_requests": 8})
    try:
        server.wait_until_ready()
        client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "unused", max_retries=0)
        results = asyncio.run(_measure(server, client, model, tokens, runs))
    finally:
        server.stop()

    direct, through = results["direct"], results["through"]
    direct_tps = statistics.median(r.tokens_per_second for r in direct)
    through_tps = statistics.median(r.tokens_per_second for r in through)
    added_ttft = statistics.median(t.first_token_s - d.first_token_s for d, t in zip(direct, through, strict=True))
    load_ratio = results["load_through"] / results["load_direct"]
    direct_ttft = statistics.median(r.first_token_s for r in direct)
    load_direct, load_through = results["load_direct"], results["load_through"]
    print(f"decode tok/s   direct {direct_tps:6.2f}   through the extension {through_tps:6.2f}")
    print(f"first token s  direct {direct_ttft:6.3f}   added by the extension {added_ttft * 1000:+.0f} ms")
    print(f"8 concurrent   direct {load_direct:6.2f} s   through the extension {load_through:6.2f} s")
    print(
        f"through/direct {through_tps / direct_tps:.3f} (target >= 0.97); added TTFT {added_ttft * 1000:.0f} ms "
        f"(target <= 50); 8-chat time ratio {load_ratio:.3f} (target <= 1.10)"
    )
    return 0
