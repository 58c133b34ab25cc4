import io

from stylecut.core import Progress
from stylecut.plugin.progress import ProgressBar, format_duration


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_shows_count_percent_fps_and_eta():
    bar = ProgressBar("clip", stream=_Tty())
    line = bar.line(Progress(done=50, total=200, elapsed=2.0))
    assert "50/200" in line and "25.0%" in line and "25.0 fps" in line and "ETA 0:06" in line


def test_progress_bar_draws_on_a_tty_and_is_silent_otherwise():
    tty, pipe = _Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar("clip", stream=stream)
        bar(Progress(10, 10, 1.0))
    assert "10/10" in tty.getvalue() and tty.getvalue().endswith("\n")
    assert pipe.getvalue() == ""
    quiet = _Tty()
    ProgressBar("clip", stream=quiet, quiet=True)(Progress(10, 10, 1.0))
    assert quiet.getvalue() == ""


def test_format_duration():
    assert format_duration(None) == "--:--"
    assert format_duration(65) == "1:05"
    assert format_duration(3725) == "1:02:05"
