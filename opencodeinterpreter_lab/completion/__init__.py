"""Inline completions: fill-in-the-middle prompts, the completers that serve them, and their scheduling."""
