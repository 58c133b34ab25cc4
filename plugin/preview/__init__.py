"""The preview and scrubbing app (``stylecut preview``): PySide6 + pyqtgraph.

This package's own import surface is Qt-free (proxies, the frame server, curve editing, the
style list), so it can be used and tested without a display; the Qt parts (``model``,
``controller``, ``viewer``, ``timeline``, ``panels``, ``export_dialog``, ``window``, ``app``)
import PySide6 and pyqtgraph when imported. Start the app with :func:`run_app` (imported lazily).
"""

from __future__ import annotations

from typing import Any

from .curve_edit import CurveEdit
from .frames import FrameCache, FrameServer, ServedFrame
from .proxy import DEFAULT_PREVIEW_SIZE, ProxyMap, build_proxy, cache_dir, find_proxy, fit_size, proxy_path
from .styles import StyleEntry, installed_styles

__all__ = [
    "DEFAULT_PREVIEW_SIZE",
    "CurveEdit",
    "FrameCache",
    "FrameServer",
    "ProxyMap",
    "ServedFrame",
    "StyleEntry",
    "build_proxy",
    "cache_dir",
    "find_proxy",
    "fit_size",
    "installed_styles",
    "proxy_path",
    "run_app",
]


def run_app(*args: Any, **kwargs: Any) -> int:
    """Run the preview app (see :func:`.app.run_app`); imports Qt."""
    from .app import run_app as _run_app

    return _run_app(*args, **kwargs)
