"""Where the data files that ship with the package live.

In a wheel they are inside the package (``_data/``); in a source checkout
they are the top-level ``sample_data/`` and ``themes/`` folders.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder ``name`` (``sample_data`` or ``themes``)."""
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parents[1] / name


def sample_data_dir() -> Path:
    return resource_dir("sample_data")


def themes_dir() -> Path:
    return resource_dir("themes")
