"""Benchmarks and their data, apart from the product: ``fix.py`` (failing cells, ``fix_cases*.py``), ``humaneval.py``
(scored in ``sandbox.py``), ``stream.py`` (decode speed and first-token time through the WebSocket)."""
