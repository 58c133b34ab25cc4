"""stylecut's model zoo: style registry (and, where Keras is installed, generators).

Only this package imports Keras/TensorFlow, and only when a style is actually used.
"""

import os

# Every stylecut.models module is imported after this line: TensorFlow (imported later, by the
# generator modules) keeps its C++ start-up logging out of the CLI's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .registry import (  # noqa: E402
    StyleCard,
    default_style,
    find_style,
    list_styles,
    load_stylizer,
    shipped_styles_dir,
    user_styles_dir,
)

__all__ = [
    "StyleCard", "default_style", "find_style", "list_styles", "load_stylizer", "shipped_styles_dir",
    "user_styles_dir",
]
