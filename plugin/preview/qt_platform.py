"""Whether Qt can open a window here, checked before Qt tries (it aborts the process when its
platform plugin cannot load, with a message that names no package)."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

__all__ = ["XCB_PACKAGES", "platform_problem"]

# The libraries Qt's X11 (xcb) platform plugin loads that minimal Linux installs lack, with
# their Debian/Ubuntu packages.
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}


def _loads(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def platform_problem(env: Mapping[str, str] | None = None,
                     loads: Callable[[str], bool] | None = None,
                     platform: str | None = None) -> str | None:
    """One line saying why Qt's platform plugin cannot start a window, or None when it can
    (or when it is not the X11 plugin on Linux, which this does not check)."""
    env = os.environ if env is None else env
    loads = _loads if loads is None else loads  # looked up per call, so tests can replace it
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if chosen and chosen != "xcb":
        return None
    if not chosen and env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return None
    if not env.get("DISPLAY"):
        return ("the preview app has no display to open a window on (DISPLAY is not set); run it "
                "in a desktop session (QT_QPA_PLATFORM=offscreen runs it without a window)")
    missing = [library for library in XCB_PACKAGES if not loads(library)]
    if not missing:
        return None
    return (f"Qt's X11 platform plugin (xcb) cannot load: {', '.join(missing)} missing; install "
            f"them with: sudo apt-get install {' '.join(XCB_PACKAGES.values())}")
