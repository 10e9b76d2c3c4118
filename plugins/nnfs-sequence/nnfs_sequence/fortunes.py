"""``fortunes``: a small English text corpus for character-level language modelling, from Debian's fortunes-min.

The three files of BSD ``fortune(6)``'s minimal set - ``fortunes``, ``literature`` and ``riddles``, about
98,000 characters of quotations, jokes and riddles - as Debian's package ``fortunes-min`` installs them in
``/usr/share/games/fortunes`` (``apt-get install fortunes-min``). Licence: BSD (the Regents of the
University of California; see ``/usr/share/doc/fortunes-min/copyright``). nnfs ships none of the text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from nnfs_core.datasets import DatasetInfo, DatasetNotFoundError, Split, SplitsWithMetadata, described_by
from nnfs_core.errors import ConfigError
from nnfs_core.text import CharVocabulary
from nnfs_sequence._text import check_window_options, windows

__all__ = ["load_fortunes", "describe", "read_fortunes"]

FILES = ("fortunes", "literature", "riddles")
DEBIAN_DIRECTORY = Path("/usr/share/games/fortunes")
_INSTALL = "apt-get install fortunes-min"
_SEPARATOR = re.compile(r"^%\n", re.MULTILINE)  # a line holding only "%" ends each fortune
_OVERSTRIKE = re.compile(r".\x08")  # "_\bA": an underlined A on a teletype; the text keeps the A
_CONTROL = re.compile(r"[^\S\n\t ]|[\x00-\x08\x0b-\x1f\x7f]")  # other control and odd white-space characters


def _places(directory: str | os.PathLike[str] | None) -> list[Path]:
    if directory is not None:
        return [Path(directory).expanduser()]
    data = os.environ.get("NNFS_DATA", "").strip()
    return ([Path(data) / "fortunes"] if data else []) + [DEBIAN_DIRECTORY]


def _find(directory: str | os.PathLike[str] | None, files: tuple[str, ...]) -> Path | None:
    return next((place for place in _places(directory) if all((place / name).is_file() for name in files)), None)


def _not_found(directory: str | os.PathLike[str] | None, files: tuple[str, ...]) -> DatasetNotFoundError:
    looked = ", ".join(str(place) for place in _places(directory))
    return DatasetNotFoundError(f"fortunes: the files {', '.join(files)} are in none of {looked}; install Debian's "
                                f"fortunes-min ({_INSTALL}), or put the files in a directory DIR/fortunes and set "
                                f"NNFS_DATA=DIR, or pass directory=")


def read_fortunes(directory: str | os.PathLike[str] | None = None, files: tuple[str, ...] = FILES) -> list[str]:
    """Every fortune of ``files``, in order, each ending with a newline; overstrikes and control characters removed."""
    found = _find(directory, files)
    if found is None:
        raise _not_found(directory, files)
    fortunes = []
    for name in files:
        raw = (found / name).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # the older files are Latin-1
            text = raw.decode("latin-1")
        text = _CONTROL.sub("", _OVERSTRIKE.sub("", text.replace("\r\n", "\n")))
        fortunes += [part if part.endswith("\n") else part + "\n" for part in _SEPARATOR.split(text) if part.strip()]
    return fortunes


def _texts(fortunes: list[str], test_every: int) -> tuple[str, str]:
    """Train and test text: every ``test_every``-th fortune is a test one; fortunes end with a "%" line."""
    train = "".join(f"{text}%\n" for index, text in enumerate(fortunes) if index % test_every != test_every - 1)
    test = "".join(f"{text}%\n" for index, text in enumerate(fortunes) if index % test_every == test_every - 1)
    return train, test


def describe() -> DatasetInfo:
    """Window counts with the default options, where the files are found (reading ~100 kB of text)."""
    if _find(None, FILES) is None:
        return DatasetInfo(None, None, None, f"not found - {_INSTALL}", False)
    splits = load_fortunes()
    return DatasetInfo(len(splits.train.x), len(splits.test.x), splits.train.x.shape[1:],
                       str(_find(None, FILES)), True)


@described_by(describe)
def load_fortunes(*, window: int = 64, stride: int | None = None, target: str = "sequence", test_every: int = 10,
                  directory: str | os.PathLike[str] | None = None, files: Any = FILES) -> SplitsWithMetadata:
    """Windows of character ids over the fortunes, for character-level language modelling.

    Every ``test_every``-th fortune goes to the test split (so both splits hold quotations, jokes and
    riddles, and no window straddles them); each split's fortunes are joined, each followed by a ``%``
    line as in the files, and cut into windows of ``window`` characters every ``stride`` characters.
    The vocabulary is the sorted distinct characters of the whole corpus (about 85); it is returned in
    ``metadata`` (``{"vocabulary": [...]}``), which ``nnfs train`` saves with the model so that
    ``nnfs generate`` needs only the model file. ``nnfs_core.text.CharVocabulary`` encodes and decodes.

    Returns ``((x_train, y_train), (x_test, y_test))`` with x int64 (N, window) and y int64 (N, window),
    the same characters one step later (``target="sequence"``), or (N,), the character after the window
    (``target="next"``).

    Parameters
    ----------
    window : int
        Characters per sample L.
    stride : int, optional
        Characters between the starts of two windows; the window by default (windows do not overlap).
    target : str
        ``"sequence"`` (every step predicts the next character) or ``"next"`` (one label per window).
    test_every : int
        One fortune in ``test_every`` is held out for testing.
    directory : path, optional
        Where the files are; default ``$NNFS_DATA/fortunes``, then Debian's ``/usr/share/games/fortunes``.
    files : sequence of str
        Which fortune files (Debian's ``fortunes`` package adds more, e.g. ``"wisdom"``, ``"science"``).
    """
    window, stride, target = check_window_options("fortunes", window, stride, target)
    if isinstance(test_every, bool) or not isinstance(test_every, int) or test_every < 2:
        raise ConfigError(f"fortunes: test_every must be an integer >= 2, got {test_every!r}")
    if isinstance(files, str) or not files or not all(isinstance(name, str) and "/" not in name for name in files):
        raise ConfigError(f"fortunes: files must be a list of fortune file names such as {list(FILES)}, got {files!r}")
    fortunes = read_fortunes(directory, tuple(files))
    train, test = _texts(fortunes, test_every)
    vocabulary = CharVocabulary.from_text(train + test)
    splits = [windows(text, vocabulary, window=window, stride=stride, target=target, where=f"fortunes ({split})")
              for split, text in (("train", train), ("test", test))]
    return SplitsWithMetadata.of(Split(*splits[0]), Split(*splits[1]), vocabulary.to_metadata())
