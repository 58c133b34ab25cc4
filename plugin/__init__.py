"""Editor-facing surfaces of stylecut: the ``stylecut`` CLI (more front-ends to come)."""

from .cli import cli, main

__all__ = ["cli", "main"]
