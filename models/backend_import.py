"""Import the Keras backend without TensorFlow's C++ start-up lines on the terminal.

Called explicitly where a command is about to load a model (``registry.load_stylizer``, the
``train``/``export-style`` commands), not as a side effect of importing a module.
"""

from __future__ import annotations

import os
import sys

__all__ = ["import_backend_quietly"]


def import_backend_quietly() -> None:
    """Import TensorFlow with the process's stderr (fd 2) muted: TF 2.21 prints oneDNN/absl start-up
    lines from C++ before its log level applies (TF_CPP_MIN_LOG_LEVEL does not silence them).
    Python errors still propagate; a no-op when TF is loaded or another Keras backend is chosen."""
    if "tensorflow" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    try:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    except ImportError:
        pass  # Keras reports a missing/broken backend itself
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
