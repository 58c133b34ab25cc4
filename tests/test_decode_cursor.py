"""The one decode cursor behind VideoReader and the preview: walks end on their target,
sequential walks decode on without seeking, a cancelled walk resumes where it stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from stylecut.core.errors import SeekError
from stylecut.core.media import DecodeCursor, VideoReader, build_index
from stylecut.core.testing import make_clip, read_frame_number

GOP = 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("cursor") / "gop12.mp4", frames=48, width=64,
                     height=48, fps=24, codec="libx264", audio=False,
                     options={"x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=2"})


def _number(frame) -> int:  # type: ignore[no-untyped-def]
    return read_frame_number(frame.to_ndarray(format="rgb24"))


def _walked(cursor: DecodeCursor, n: int) -> list[int]:
    out = []
    for i, frame in cursor.walk(n):
        assert _number(frame) == i
        out.append(i)
    return out


def test_a_walk_seeks_to_the_keyframe_before_its_target_and_ends_on_it(clip: Path):
    cursor = DecodeCursor(clip, build_index(clip))
    try:
        assert _walked(cursor, 30) == list(range(24, 31))
        assert cursor.position == 30
    finally:
        cursor.close()


def test_walks_forward_decode_on_and_walks_back_or_far_ahead_seek(clip: Path):
    cursor = DecodeCursor(clip, build_index(clip))
    try:
        _walked(cursor, 13)
        assert cursor.can_continue(20)  # no keyframe between 13 and 20
        assert _walked(cursor, 20) == list(range(14, 21))
        assert cursor.can_continue(26)  # keyframe 24 saves fewer than 5 frames
        assert not cursor.can_continue(40)  # a seek to keyframe 36 skips 15
        assert _walked(cursor, 40) == list(range(36, 41))
        assert not cursor.can_continue(40) and not cursor.can_continue(3)
        assert _walked(cursor, 3) == [0, 1, 2, 3]
    finally:
        cursor.close()


def test_a_cancelled_walk_resumes_where_it_stopped(clip: Path):
    cursor = DecodeCursor(clip, build_index(clip))
    try:
        seen = []
        for i, _ in cursor.walk(35):
            seen.append(i)
            if i == 27:
                break  # a newer target arrived
        assert seen == [24, 25, 26, 27] and cursor.position == 27
        assert _walked(cursor, 29) == [28, 29]
        cursor.reset()
        assert not cursor.can_continue(30)
        assert _walked(cursor, 30) == list(range(24, 31))
    finally:
        cursor.close()


def test_the_reader_reads_through_its_cursor(clip: Path):
    with VideoReader(clip) as reader:
        assert read_frame_number(reader.read(17)) == 17
        assert reader.cursor.position == 17
        assert [f.index for f in reader.frames(18, 22)] == [18, 19, 20, 21]
        assert read_frame_number(reader.read(22)) == 22  # on from 21, no seek
        assert reader.cursor.position == 22
        assert read_frame_number(reader.read(5)) == 5


def test_a_frame_the_file_lacks_is_a_seek_error(tmp_path: Path, clip: Path):
    index = build_index(clip)
    short = make_clip(tmp_path / "short.mp4", frames=10, width=64, height=48, fps=24,
                      codec="libx264", audio=False)
    cursor = DecodeCursor(short, index)  # the long clip's index: frames 10.. are not there
    try:
        with pytest.raises(SeekError, match="Could not decode frame 30"):
            _walked(cursor, 30)
        assert cursor.position == -1 and not cursor.can_continue(31)
    finally:
        cursor.close()
