"""Datasets: the embedded loaders, the IDX reader (on files written here by hand, good and corrupt), the
IDX datasets' search path and errors, ``nnfs datasets``, and the real Fashion-MNIST from Debian's package."""

from __future__ import annotations

import dataclasses
import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.cli import main
from nnfs_core.datasets import (
    DatasetError,
    DatasetFormatError,
    DatasetInfo,
    DatasetNotFoundError,
    _idx_dataset,
    describe,
    fashion_mnist,
    load,
    read_idx,
    read_idx_header,
)
from nnfs_core.datasets._download import verify
from nnfs_core.errors import NNFSError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
IDX_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
              np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


# -- IDX files written by hand (struct, independently of the reader) ------------------------------------------


def idx_bytes(array):
    """The IDX encoding of ``array``: magic 00 00 TT DD, big-endian uint32 sizes, big-endian data."""
    array = np.asarray(array)
    big = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    header = struct.pack(">BBBB", 0, 0, TYPE_CODES[big], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big).tobytes()


def write(path, data, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def synthetic_splits(n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test, dtype=np.uint8) * 3) % 10,
    }


def write_dataset(directory, arrays=None, gz=(True, False, True, False)):
    """The four files in ``directory``, some gzipped and some raw; returns the arrays written."""
    arrays = arrays or synthetic_splits()
    for (stem, array), compressed in zip(arrays.items(), gz):
        write(directory / (stem + (".gz" if compressed else "")), idx_bytes(array), compressed)
    return arrays


@pytest.fixture
def places(monkeypatch, tmp_path):
    """No NNFS_* dataset variables, the user cache in tmp_path/cache, and no Debian directory."""
    for variable in ("NNFS_DATA", "NNFS_MNIST_URL", "NNFS_FASHION_MNIST_URL"):
        monkeypatch.delenv(variable, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setattr(_idx_dataset, "cache_directory", lambda: cache)
    debian = tmp_path / "usr-share-datasets-fashion-mnist"
    patched = dataclasses.replace(fashion_mnist.FASHION_MNIST,
                                  system_directories=((debian, "apt-get install dataset-fashion-mnist"),))
    monkeypatch.setattr(fashion_mnist, "FASHION_MNIST", patched)
    return {"cache": cache, "debian": debian, "tmp": tmp_path}


# -- embedded datasets -----------------------------------------------------------------------------------------

EMBEDDED = [("digits", 1438, 359, (1, 8, 8)), ("mnist-small", 4000, 1000, (1, 28, 28))]


@pytest.mark.parametrize(("name", "n_train", "n_test", "shape"), EMBEDDED)
def test_embedded_shapes_dtypes_and_ranges(name, n_train, n_test, shape):
    (x_train, y_train), (x_test, y_test) = load(name)
    for x, y, n in ((x_train, y_train, n_train), (x_test, y_test, n_test)):
        assert x.shape == (n, *shape) and x.dtype == np.float32 and x.flags.c_contiguous
        assert y.shape == (n,) and y.dtype == np.int64
        assert x.min() == 0.0 and x.max() == 1.0
        assert set(np.unique(y)) == set(range(10))


@pytest.mark.parametrize(("name", "n_train", "n_test", "shape"), EMBEDDED)
def test_embedded_classes_are_balanced_and_splits_disjoint(name, n_train, n_test, shape):
    (x_train, y_train), (x_test, y_test) = load(name)
    for y in (y_train, y_test):
        fractions = np.bincount(y, minlength=10) / len(y)
        assert fractions.min() > 0.07 and fractions.max() < 0.13, fractions
    train_images = {row.tobytes() for row in x_train.reshape(n_train, -1)}
    assert not any(row.tobytes() in train_images for row in x_test.reshape(n_test, -1))


@pytest.mark.parametrize("name", ["digits", "mnist-small"])
def test_embedded_split_is_fixed_and_each_call_returns_fresh_arrays(name):
    first = load(name)
    first.train.x[:] = -1.0  # what one caller does to its arrays does not reach the next
    second, third = load(name), load(name)
    for a, b in zip(second, third):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
    assert second.train.x.min() == 0.0


@pytest.mark.parametrize(("name", "n_train", "n_test", "shape"), EMBEDDED)
def test_embedded_describe_matches_the_data(name, n_train, n_test, shape):
    info = registry.datasets.get(name).describe()
    assert (info.train_size, info.test_size, info.sample_shape) == (n_train, n_test, shape)
    assert info.available and info.source == "embedded"


def test_names_are_normalised():
    np.testing.assert_array_equal(load("mnist_small").test.y, load("MNIST-Small").test.y)


# -- the IDX reader ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", ">i4", ">f4", ">f8"])
def test_idx_round_trip(tmp_path, gz, dtype):
    array = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    path = write(tmp_path / "a.idx", idx_bytes(array), gz)  # no .gz suffix: gzip is recognised by content
    read = read_idx(path)
    np.testing.assert_array_equal(read, array)
    assert read.dtype.isnative and read.dtype == np.dtype(dtype).newbyteorder("=")
    header = read_idx_header(path)
    assert header.shape == (2, 3, 4) and header.compressed is gz


def test_idx_reads_60k_images_into_one_buffer_without_copies(tmp_path):
    images = np.resize(np.arange(251, dtype=np.uint8), (60000, 28, 28))
    read = read_idx(write(tmp_path / "big", idx_bytes(images)), ndim=3, dtype=np.uint8)
    np.testing.assert_array_equal(read, images)
    assert read.base is not None and read.base.base is None and read.base.nbytes == images.nbytes


GOOD = idx_bytes(np.zeros((3, 2, 2), np.uint8))
CORRUPT = {
    "empty file": (b"", "file ends inside the IDX magic number"),
    "bad magic": (b"\x08\x03" + GOOD[2:], "not an IDX file - the magic number is 08 03"),
    "unknown type": (b"\x00\x00\x07\x03" + GOOD[4:], "not an IDX file"),
    "zero dimensions": (b"\x00\x00\x08\x00", "declares 0 dimensions"),
    "truncated sizes": (GOOD[:9], "file ends inside the IDX sizes"),
    "truncated data": (GOOD[:-1], "truncated"),
    "trailing data": (GOOD + b"\x00", "too long"),
}


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("case", list(CORRUPT))
def test_idx_corrupt_files_are_rejected_naming_the_file(tmp_path, case, gz):
    data, message = CORRUPT[case]
    path = write(tmp_path / "broken-idx3-ubyte", data, gz)
    with pytest.raises(DatasetFormatError) as caught:
        read_idx(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert isinstance(caught.value, OSError) and isinstance(caught.value, NNFSError)


def test_idx_expected_rank_and_type(tmp_path):
    path = write(tmp_path / "labels", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DatasetFormatError, match=r"expected 3 dimension\(s\), the IDX header declares shape \(4,\)"):
        read_idx(path, ndim=3)
    with pytest.raises(DatasetFormatError, match="expected elements of int16"):
        read_idx(path, dtype=">i2")


def test_idx_damaged_gzip_stream_is_rejected(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(4000, dtype=np.uint8).reshape(40, 10, 10)), mtime=0))
    crc_only = bytearray(compressed)
    crc_only[-8] ^= 0xFF  # the data inflates fine, the CRC trailer disagrees
    compressed[len(compressed) // 2] ^= 0xFF
    for name, data in (("crc", crc_only), ("middle", compressed)):
        with pytest.raises(DatasetFormatError, match="corrupt gzip data"):
            read_idx(write(tmp_path / name, bytes(data)))


def test_idx_raw_size_is_checked_from_the_header_alone(tmp_path):
    path = write(tmp_path / "short", GOOD[:-2])
    with pytest.raises(DatasetFormatError, match="truncated .* 28 bytes with the header, but the file has 26 bytes"):
        read_idx_header(path)


def test_idx_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        read_idx(tmp_path / "nothing")


# -- mnist and fashion-mnist from IDX files ----------------------------------------------------------------------


def check_loaded(splits, arrays):
    for split, prefix in zip(splits, ("train", "t10k")):
        images, labels = arrays[f"{prefix}-images-idx3-ubyte"], arrays[f"{prefix}-labels-idx1-ubyte"]
        assert split.x.shape == (len(images), 1, 28, 28) and split.x.dtype == np.float32
        np.testing.assert_array_equal(split.x[:, 0], images.astype(np.float32) / np.float32(255))
        assert split.y.dtype == np.int64
        np.testing.assert_array_equal(split.y, labels)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_idx_dataset_from_directory_argument(places, name):
    arrays = write_dataset(places["tmp"] / "mine")
    check_loaded(load(name, directory=str(places["tmp"] / "mine")), arrays)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_idx_dataset_from_nnfs_data_before_the_cache(places, monkeypatch, name):
    in_cache = write_dataset(places["cache"] / name, synthetic_splits(seed=1))
    check_loaded(load(name), in_cache)
    in_data = write_dataset(places["tmp"] / "data" / name, synthetic_splits(seed=2), gz=(False,) * 4)
    monkeypatch.setenv("NNFS_DATA", str(places["tmp"] / "data"))
    check_loaded(load(name), in_data)


def test_fashion_mnist_falls_back_to_the_debian_directory(places):
    arrays = write_dataset(places["debian"])
    check_loaded(load("fashion_mnist"), arrays)
    with pytest.raises(DatasetNotFoundError):
        load("mnist")  # Debian's location is Fashion-MNIST's only


def test_an_incomplete_directory_is_skipped(places, monkeypatch):
    write_dataset(places["tmp"] / "data" / "mnist")
    (places["tmp"] / "data" / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    monkeypatch.setenv("NNFS_DATA", str(places["tmp"] / "data"))
    arrays = write_dataset(places["cache"] / "mnist")
    check_loaded(load("mnist"), arrays)


def test_not_found_says_where_it_looked_and_what_to_do(places, monkeypatch):
    monkeypatch.setenv("NNFS_DATA", str(places["tmp"] / "data"))
    write(places["cache"] / "fashion-mnist" / "train-images-idx3-ubyte.gz", b"")
    with pytest.raises(DatasetNotFoundError) as caught:
        load("fashion-mnist")
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    for expected in (f"{places['tmp'] / 'data' / 'fashion-mnist'} ($NNFS_DATA/fashion-mnist): does not exist",
                     f"{places['cache'] / 'fashion-mnist'} (the per-user cache): lacks train-labels-idx1-ubyte",
                     str(places["debian"]), "set NNFS_DATA=DIR", "directory=",
                     "apt-get install dataset-fashion-mnist", "NNFS_FASHION_MNIST_URL=URL"):
        assert expected in message


def test_an_explicit_directory_is_the_only_place_looked_at(places, monkeypatch):
    write_dataset(places["cache"] / "mnist")
    with pytest.raises(DatasetNotFoundError, match="the directory= argument") as caught:
        load("mnist", directory=places["tmp"] / "elsewhere")
    assert "per-user cache" not in str(caught.value)


@pytest.mark.parametrize(("change", "message"), [
    ({"t10k-labels-idx1-ubyte": np.zeros(4, np.uint8)}, "holds 5 images but t10k-labels-idx1-ubyte holds 4 labels"),
    ({"train-images-idx3-ubyte": np.zeros((12, 27, 28), np.uint8)}, "images are 28x28, this file holds shape"),
    ({"train-labels-idx1-ubyte": np.full(12, 10, np.uint8)}, r"labels must be in \[0, 10\), found 10"),
    ({"t10k-images-idx3-ubyte": np.zeros((5, 28 * 28), np.uint8)}, r"expected 3 dimension\(s\)"),
    ({"train-labels-idx1-ubyte": np.zeros(12, ">i2")}, "expected elements of uint8"),
])
def test_inconsistent_idx_files_are_rejected(places, change, message):
    write_dataset(places["tmp"] / "bad", {**synthetic_splits(), **change})
    with pytest.raises(DatasetFormatError, match=message):
        load("mnist", directory=places["tmp"] / "bad")


def test_every_core_dataset_describes_itself_without_loading(clean_registry, places):
    """Registry-driven: each of nnfs-core's datasets carries describe(), and it agrees with availability."""
    core = [entry for entry in clean_registry.datasets.entries() if entry.distribution == "nnfs-core"]
    assert {entry.key for entry in core} >= {"digits", "mnistsmall", "mnist", "fashionmnist"}
    for entry in core:
        info = describe(entry.load())
        assert isinstance(info, DatasetInfo), entry.name
        if info.available:
            assert info.train_size > 0 and info.test_size > 0 and len(info.sample_shape) == 3
        else:
            assert info.train_size is info.test_size is info.sample_shape is None
            with pytest.raises(DatasetNotFoundError):
                entry.load()()


# -- nnfs datasets ----------------------------------------------------------------------------------------------


def table_rows(output):
    lines = output.strip().splitlines()
    assert lines[0].split()[:4] == ["NAME", "DISTRIBUTION", "TRAIN", "TEST"]
    return {line.split()[0]: line for line in lines[2:]}


def test_nnfs_datasets_lists_every_dataset_with_sizes_and_sources(places, monkeypatch, capsys):
    write_dataset(places["tmp"] / "data" / "mnist", synthetic_splits(n_train=7, n_test=3))
    monkeypatch.setenv("NNFS_DATA", str(places["tmp"] / "data"))
    assert main(["datasets"]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert set(registry.datasets.names()) <= set(rows)
    assert rows["digits"].split()[1:6] == ["nnfs-core", "1,438", "359", "1x8x8", "embedded"]
    assert rows["mnist_small"].split()[2:6] == ["4,000", "1,000", "1x28x28", "embedded"]
    assert rows["mnist"].split()[2:6] == ["7", "3", "1x28x28", str(places["tmp"] / "data" / "mnist")]
    assert rows["fashion_mnist"].split()[2:5] == ["?", "?", "?"]
    assert rows["fashion_mnist"].endswith("not found - see `nnfs datasets --help`")


def test_nnfs_datasets_reads_only_headers(places, capsys):
    """A gzipped file whose data is cut still describes (only its header is read); loading it fails."""
    arrays = write_dataset(places["debian"], gz=(True,) * 4)
    cut = idx_bytes(arrays["train-images-idx3-ubyte"])[:16 + 100]
    write(places["debian"] / "train-images-idx3-ubyte.gz", cut, gz=True)
    assert main(["datasets"]) == 0
    assert table_rows(capsys.readouterr().out)["fashion_mnist"].split()[2:6] == [
        "12", "5", "1x28x28", str(places["debian"])]
    with pytest.raises(DatasetFormatError, match="truncated"):
        load("fashion-mnist")


def test_nnfs_datasets_shows_a_malformed_file_and_goes_on(places, capsys):
    write_dataset(places["debian"], gz=(False,) * 4)
    with open(places["debian"] / "train-images-idx3-ubyte", "r+b") as handle:
        handle.truncate(16 + 100)  # a raw file's size is checked against its header
    assert main(["datasets"]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert "unavailable - " in rows["fashion_mnist"] and "truncated" in rows["fashion_mnist"]
    assert rows["digits"].split()[5] == "embedded"


def test_nnfs_datasets_mentions_a_configured_url(places, monkeypatch, capsys):
    monkeypatch.setenv("NNFS_FASHION_MNIST_URL", "http://127.0.0.1:9/fashion/")
    assert main(["datasets"]) == 0
    row = table_rows(capsys.readouterr().out)["fashion_mnist"]
    assert row.endswith("not downloaded yet - will download from http://127.0.0.1:9/fashion/")


def test_nnfs_datasets_lists_loaders_without_describe(clean_registry, places, capsys):
    clean_registry.datasets.register("toy_points")(lambda: None)
    assert main(["datasets"]) == 0
    row = table_rows(capsys.readouterr().out)["toy_points"]
    assert row.split()[1:5] == ["<in-process>", "?", "?", "?"]
    assert row.endswith("unknown (the loader has no describe())")


def test_nnfs_datasets_help_says_how_to_make_data_available(places, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["datasets", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for expected in ("NNFS_DATA", "apt-get install dataset-fashion-mnist", "NNFS_MNIST_URL", "NNFS_FASHION_MNIST_URL",
                     str(places["cache"]), "docs/datasets.md"):
        assert expected in out


# -- the real Fashion-MNIST (Debian's dataset-fashion-mnist) ------------------------------------------------------


def require_debian_fashion_mnist():
    if all((DEBIAN_FASHION / f"{stem}.gz").is_file() for stem in IDX_STEMS):
        return
    reason = f"Debian's dataset-fashion-mnist is not installed ({DEBIAN_FASHION} lacks the IDX files; " \
             f"apt-get install dataset-fashion-mnist)"
    if os.environ.get("NNFS_REQUIRE_DATASETS") == "1":
        pytest.fail(f"NNFS_REQUIRE_DATASETS=1 but {reason}")
    pytest.skip(reason)


def test_real_fashion_mnist_from_debian(places):
    require_debian_fashion_mnist()
    (x_train, y_train), (x_test, y_test) = load("fashion-mnist", directory=DEBIAN_FASHION)
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_train), np.full(10, 6000))
    np.testing.assert_array_equal(np.bincount(y_test), np.full(10, 1000))
    # Sample 0 of the test set is an ankle boot (label 9), as in Zalando's README.
    assert y_test[0] == 9 and fashion_mnist.CLASSES[y_test[0]] == "Ankle boot"


def test_real_fashion_mnist_matches_the_known_digests(places):
    require_debian_fashion_mnist()
    for stem, digests in fashion_mnist.DIGESTS.items():
        path = DEBIAN_FASHION / f"{stem}.gz"
        verify(path, digests[1:])  # the .gz digest as Debian ships it
        verify(path, digests[:1])  # the digest of the decompressed IDX bytes


def test_real_fashion_mnist_is_found_at_the_debian_location(monkeypatch, tmp_path):
    require_debian_fashion_mnist()
    for variable in ("NNFS_DATA", "NNFS_FASHION_MNIST_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_idx_dataset, "cache_directory", lambda: tmp_path)
    info = fashion_mnist.describe()
    assert (info.train_size, info.test_size, info.sample_shape) == (60000, 10000, (1, 28, 28))
    assert info.source == str(DEBIAN_FASHION) and info.available
