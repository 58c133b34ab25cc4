import pytest
from stylecut.core import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.MediaError, ValueError),
        (errors.MediaNotFoundError, FileNotFoundError),
        (errors.NotMediaError, ValueError),
        (errors.CorruptMediaError, ValueError),
        (errors.NoVideoStreamError, ValueError),
        (errors.EmptyMediaError, ValueError),
        (errors.SeekError, IndexError),
        (errors.OutputExistsError, FileExistsError),
        (errors.OutputIsInputError, ValueError),
        (errors.OutputDirError, NotADirectoryError),
        (errors.OutputWriteError, OSError),
        (errors.EncodeSettingsError, ValueError),
        (errors.TimecodeError, ValueError),
        (errors.KeyframeError, ValueError),
        (errors.ModelError, ValueError),
        (errors.StyleNotFoundError, LookupError),
    ],
)
def test_each_error_is_a_stylecut_error_and_its_builtin(cls, builtin):
    exc = cls("message. Received: x=1")
    assert isinstance(exc, errors.StylecutError)
    assert isinstance(exc, builtin)
    assert str(exc) == "message. Received: x=1"


def test_every_public_error_is_documented_in_the_module_tree():
    doc = errors.__doc__
    for name in errors.__all__:
        assert name in doc, name
