"""stylecut's model zoo: style registry (and, where Keras is installed, generators).

Only this package imports Keras/TensorFlow, and only when a style is actually used.
"""

from .registry import (
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
