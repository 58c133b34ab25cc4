"""Choosing float32 or bfloat16 compute for the CPU at hand."""

from __future__ import annotations

from pathlib import Path

from stylecut.core.errors import ModelError

__all__ = ["cpu_has_fast_bf16", "resolve_precision"]

PRECISIONS = ("auto", "float32", "bfloat16", "mixed_bfloat16")


def cpu_has_fast_bf16() -> bool:
    """True on CPUs with AMX-BF16 or AVX512-BF16 (oneDNN then runs bf16 convolutions natively)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def resolve_precision(name: str, *, backend: str = "tensorflow") -> str:
    """``"float32"`` or ``"bfloat16"`` for a requested precision (``auto`` picks by CPU)."""
    if name not in PRECISIONS:
        raise ModelError(f"precision must be one of {PRECISIONS}. Received: precision={name!r}")
    if name == "auto":
        return "bfloat16" if backend == "tensorflow" and cpu_has_fast_bf16() else "float32"
    return "bfloat16" if name in ("bfloat16", "mixed_bfloat16") else "float32"
