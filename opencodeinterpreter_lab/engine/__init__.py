"""The engine: the model that writes the code. ``llama.py`` runs a GGUF in-process with llama.cpp; ``models.py``
resolves which GGUF (a path, a hub download, or the embedded model assembled from PyPI)."""
