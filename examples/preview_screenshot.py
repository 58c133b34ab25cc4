"""Open a clip in the preview app, set up a strength curve and an A/B wipe, and save a screenshot
of the real window (used for docs/preview.png).

    xvfb-run -a .venv/bin/python examples/preview_screenshot.py CLIP --style NAME -o docs/preview.png

Without CLIP a frame-numbered test clip is generated; with ``--style none`` (or no style
installed) the InvertStylizer test double stands in for a style. Runs offscreen too
(``QT_QPA_PLATFORM=offscreen``), which is how the tests smoke-run it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from stylecut.core import Curve, Interp, Key  # noqa: E402
from stylecut.core.testing import InvertStylizer, make_clip  # noqa: E402
from stylecut.plugin.preview.app import application, build_window  # noqa: E402
from stylecut.plugin.preview.styles import StyleEntry, installed_styles  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clip", nargs="?", help="video to open (default: a generated clip)")
    parser.add_argument("--style", default=None, help="style name ('none': the test double)")
    parser.add_argument("-o", "--output", default="preview.png", help="PNG to write")
    parser.add_argument("--frame", type=float, default=0.55, help="playhead position (fraction of the clip)")
    parser.add_argument("--split", type=float, default=0.42, help="A/B divider (fraction of the width)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    app = application()
    with tempfile.TemporaryDirectory(prefix="stylecut-shot-") as tmp:
        return _shoot(app, args, Path(tmp))


def _shoot(app: object, args: argparse.Namespace, work: Path) -> int:
    clip = Path(args.clip) if args.clip else make_clip(work / "clip.mp4", frames=72, width=640, height=360)
    styles = [] if args.style == "none" else installed_styles()
    if not styles:
        styles = [StyleEntry("invert (test double)", "InvertStylizer: not a style", lambda: InvertStylizer())]
    style = styles[0].name if args.style in (None, "none") else args.style
    window = build_window(clip, style=style, styles=styles, proxy_dir=work / "proxies")
    window.ask_to_save = False
    window.resize(1280, 800)
    window.show()
    model = window.model

    def pump(until: object, what: str) -> None:
        end = time.monotonic() + args.timeout
        while not until():  # type: ignore[operator]
            app.processEvents()  # type: ignore[attr-defined]
            time.sleep(0.005)
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")

    def opened() -> bool:
        return model.clip is not None or (model.last_message is not None and model.last_message[0] == "error")

    pump(opened, "the clip")
    if model.clip is None:
        raise SystemExit(f"cannot open the clip: {model.last_message}")
    clip_info = model.clip
    last = clip_info.last_time
    model.set_curve(Curve((
        Key(0.0, 0.15, Interp.EASE),
        Key(clip_info.snap(last * 0.3), 0.9, Interp.BEZIER, (0.42, 0.0, 0.58, 1.0)),
        Key(clip_info.snap(last * 0.7), 1.0, Interp.LINEAR),
        Key(clip_info.snap(last * 0.9), 0.55, Interp.HOLD),
    )))
    model.select_key(2)
    model.set_marks(int(clip_info.frame_count * 0.2), int(clip_info.frame_count * 0.8))
    model.set_split(args.split)
    pump(lambda: model.proxy_state in ("ready", "failed", "off")
         and model.style_state in ("ready", "error", "none"), "the proxy and the style")
    target = int(round((clip_info.frame_count - 1) * args.frame))
    model.set_playhead(target)
    server = window.controller.server
    pump(lambda: model.frame is not None and model.frame.exact and model.frame.frame == target
         and model.frame.serial == server.latest_serial, "the exact frame")
    for _ in range(30):  # let the window settle (layout, repaint)
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise SystemExit(f"cannot write {out}")
    print(out)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
