import io

from stylecut.core import Progress
from stylecut.plugin.progress import ProgressBar, format_duration


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_shows_count_percent_fps_and_eta():
    tty = _Tty()
    with ProgressBar("clip", stream=tty) as bar:
        bar(Progress(done=50, total=200, elapsed=2.0))
        line = tty.getvalue()
        assert line.startswith("\r") and "clip" in line and "#######---" in line
        assert "50/200" in line and "25%" in line and "25.0 fps" in line and "ETA 0:06" in line
        assert not line.endswith("\n")
    assert tty.getvalue().endswith("\n")  # the context ends the line, however the render ended


def test_progress_bar_ends_its_line_when_the_render_fails():
    tty = _Tty()
    try:
        with ProgressBar("clip", stream=tty) as bar:
            bar(Progress(done=5, total=200, elapsed=1.0))
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert "5/200" in tty.getvalue() and tty.getvalue().endswith("\n")


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
