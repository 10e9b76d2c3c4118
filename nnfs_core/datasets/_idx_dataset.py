"""Finding, downloading and reading a dataset of four IDX files (MNIST's layout), shared by its loaders.

Where the files are looked for, in order (the first directory holding all four wins):

1. ``directory=`` when given - and then only there;
2. ``$NNFS_DATA/<name>`` when ``NNFS_DATA`` is set;
3. the per-user cache, ``<cache>/<name>`` (see ``cache_directory``);
4. system locations (Debian's ``/usr/share/datasets/fashion-mnist`` for Fashion-MNIST).

Each file may be raw (``train-images-idx3-ubyte``) or gzipped (``train-images-idx3-ubyte.gz``). When
none has them and a base URL is configured (``url=`` or the dataset's environment variable), the missing
``.gz`` files are downloaded into the first of 1-3 and verified against the known SHA-256 digests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_core.datasets._errors import DatasetError, DatasetFormatError, DatasetNotFoundError
from nnfs_core.datasets._idx import read_idx, read_idx_header
from nnfs_core.datasets._info import DatasetInfo
from nnfs_core.datasets._types import Split, Splits

__all__ = ["FILES", "IdxDataset", "cache_directory"]

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
NOT_FOUND = "not found - see `nnfs datasets --help`"


def cache_directory() -> Path:
    """The per-user cache of nnfs: ``$XDG_CACHE_HOME/nnfs`` or ``~/.cache/nnfs`` (Linux and others),
    ``~/Library/Caches/nnfs`` (macOS), ``%LOCALAPPDATA%\\nnfs\\Cache`` (Windows)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base, "nnfs", "Cache") if base else Path.home() / "AppData" / "Local" / "nnfs" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "nnfs"
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "nnfs"


def find_file(directory: Path, stem: str) -> Path | None:
    """``directory/stem`` if it is a file, else ``directory/stem.gz``, else None."""
    for path in (directory / stem, directory / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class IdxDataset:
    """An image-classification dataset stored as MNIST's four IDX files.

    ``digests`` maps each file stem to the SHA-256 digests accepted for it (of the decompressed IDX
    bytes, or of the ``.gz`` file as some distributor ships it); a stem without digests cannot be
    downloaded unless the caller supplies one.
    """

    name: str  # the directory name under NNFS_DATA and the cache: "mnist", "fashion-mnist"
    url_variable: str  # environment variable holding a base URL: "NNFS_MNIST_URL"
    digests: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    system_directories: tuple[tuple[Path, str], ...] = ()  # (directory, how it gets there)
    image_shape: tuple[int, int] = (28, 28)
    classes: int = 10

    # -- where -------------------------------------------------------------------------------------------
    def places(self, directory: str | os.PathLike[str] | None = None) -> list[tuple[Path, str]]:
        """The directories looked at, in order, each with why it is looked at."""
        if directory is not None:
            return [(Path(directory), "the directory= argument")]
        places = []
        data = os.environ.get("NNFS_DATA", "").strip()
        if data:
            places.append((Path(data) / self.name, f"$NNFS_DATA/{self.name}"))
        places.append((cache_directory() / self.name, "the per-user cache"))
        return places + list(self.system_directories)

    def find(self, directory: str | os.PathLike[str] | None = None) -> Path | None:
        """The first directory that holds all four files (raw or gzipped), or None."""
        for place, _ in self.places(directory):
            if all(find_file(place, stem) for stem in FILES):
                return place
        return None

    def url(self, url: str | None = None) -> str | None:
        return url or os.environ.get(self.url_variable, "").strip() or None

    # -- loading -------------------------------------------------------------------------------------------
    def load(self, directory: str | os.PathLike[str] | None = None, *, url: str | None = None,
             sha256: Mapping[str, str] | None = None, progress: bool = True) -> Splits:
        """Find (or download) the four files and read them; see the module docstring for where."""
        found = self.find(directory)
        if found is None:
            base_url = self.url(url)
            if base_url is None:
                raise DatasetNotFoundError(self._not_found_message(directory))
            found = self.places(directory)[0][0]
            self._download(base_url, found, self._digests(sha256), progress)
        return Splits(self._read(found, "train"), self._read(found, "t10k"))

    def _read(self, directory: Path, prefix: str) -> Split:
        images_path = find_file(directory, f"{prefix}-images-idx3-ubyte")
        labels_path = find_file(directory, f"{prefix}-labels-idx1-ubyte")
        assert images_path is not None and labels_path is not None  # find() saw them
        images = read_idx(images_path, ndim=3, dtype=np.uint8)
        labels = read_idx(labels_path, ndim=1, dtype=np.uint8)
        if images.shape[1:] != self.image_shape:
            raise DatasetFormatError(f"{images_path}: {self.name} images are {self.image_shape[0]}x"
                                     f"{self.image_shape[1]}, this file holds shape {images.shape}")
        if len(images) != len(labels):
            raise DatasetFormatError(f"{self.name}: {images_path.name} holds {len(images):,} images but "
                                     f"{labels_path.name} holds {len(labels):,} labels (in {directory})")
        if len(labels) and labels.max() >= self.classes:
            raise DatasetFormatError(f"{labels_path}: labels must be in [0, {self.classes}), found {labels.max()}")
        x = images.reshape(len(images), 1, *self.image_shape).astype(np.float32)
        x /= np.float32(255)  # in place: no second float array
        return Split(x, labels.astype(np.int64))

    def _digests(self, sha256: Mapping[str, str] | None) -> dict[str, tuple[str, ...]]:
        """The known digests, with the caller's ``{file name: digest}`` replacing them file by file."""
        from nnfs_core.datasets._download import check_digest

        digests = dict(self.digests)
        for name, digest in (sha256 or {}).items():
            stem = str(name).removesuffix(".gz")
            if stem not in FILES:
                raise DatasetError(f"sha256= names {name!r}, which is not one of the {self.name} files "
                                   f"{', '.join(FILES)} (with or without .gz)")
            try:
                digests[stem] = (check_digest(digest, name),)
            except ValueError as error:
                raise DatasetError(f"{self.name}: {error}") from None
        return digests

    def _download(self, base_url: str, directory: Path, digests: dict[str, tuple[str, ...]], progress: bool) -> None:
        from nnfs_core.datasets._download import download

        missing = [stem for stem in FILES if find_file(directory, stem) is None]
        unknown = [stem for stem in missing if not digests.get(stem)]
        if unknown:
            raise DatasetError(
                f"{self.name}: no SHA-256 digest is known for {', '.join(f'{stem}.gz' for stem in unknown)}, so "
                f"nothing is downloaded. Pass them as sha256={{'{unknown[0]}.gz': '<64 hex digits>', ...}} "
                f"(the digest of the .gz file or of its decompressed content; see docs/datasets.md)"
            )
        for stem in missing:
            download(f"{base_url.rstrip('/')}/{stem}.gz", directory / f"{stem}.gz", digests[stem], progress=progress)

    # -- describing ------------------------------------------------------------------------------------------
    def describe(self) -> DatasetInfo:
        """Sizes from the IDX headers of the files found (nothing else is read), or where they were not."""
        found = self.find()
        if found is None:
            base_url = self.url()
            source = f"not downloaded yet - will download from {base_url}" if base_url else NOT_FOUND
            return DatasetInfo(None, None, None, source, False)
        headers: dict[str, Any] = {}
        for prefix in ("train", "t10k"):
            path = find_file(found, f"{prefix}-images-idx3-ubyte")
            assert path is not None
            headers[prefix] = read_idx_header(path).shape
        train, test = headers["train"], headers["t10k"]
        return DatasetInfo(train[0], test[0], (1, *train[1:]), str(found), True)

    def _not_found_message(self, directory: str | os.PathLike[str] | None) -> str:
        looked = []
        for place, why in self.places(directory):
            missing = [stem for stem in FILES if find_file(place, stem) is None]
            state = "does not exist" if not place.is_dir() else f"lacks {', '.join(missing)}"
            looked.append(f"  {place} ({why}): {state}")
        return (
            f"{self.name}: the four IDX files ({', '.join(FILES)}, each raw or .gz) were not found. Looked in:\n"
            + "\n".join(looked)
            + f"\nTo make {self.name} available: put the files in one of these directories; or set NNFS_DATA=DIR "
            f"with them in DIR/{self.name}; or pass directory=...; "
            + self.how_else
            + f"or configure a download URL (a base URL holding the four .gz files) with {self.url_variable}=URL or "
            f"url=... (see docs/datasets.md)"
        )

    @property
    def how_else(self) -> str:
        return "".join(f"or {how}; " for _, how in self.system_directories)
