"""Hostile and broken files at ``Network.load``: a hand-made corpus and thousands of hypothesis mutations.

The contract: whatever the bytes, only :class:`ModelFormatError` (or its documented subclass
``MissingComponentError``) escapes, each load returns in well under a second, allocates little (a
tracemalloc peak per load), and nothing in the file is ever executed.
"""

from __future__ import annotations

import gc
import io
import json
import pathlib
import struct
import time
import tracemalloc
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnfs_core import Network, registry
from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence import DEFAULT_LIMITS, MissingComponentError, save_checkpoint
from nnfs_core.protocols import BaseOptimizer

# CPU time may grow with the number of layers a file declares, never with the sizes it claims: a valid file of
# 1500 nested layers takes 0.17 s to load (0.84 s with tracemalloc on, as here), so each declared layer gets
# 2 ms on top of a fixed half second; a budget bypass costs seconds to minutes.
MAX_SECONDS = 0.5
SECONDS_PER_LAYER = 0.002
MAX_PEAK_BYTES = 32 * 2**20
MARKER = pathlib.Path(__file__).with_name("_fuzz_pickle_marker_must_never_exist")
measured = {"loads": 0, "refused": 0, "max_seconds": 0.0, "max_peak": 0}


class FuzzMomentum(BaseOptimizer):
    def __init__(self, learning_rate: float = 0.05) -> None:
        super().__init__(learning_rate)

    def update(self, param, grad, state):
        velocity = state.setdefault("velocity", np.zeros_like(param))
        velocity *= param.dtype.type(0.9)
        velocity += grad
        param -= param.dtype.type(self.learning_rate) * velocity


@pytest.fixture(scope="module", autouse=True)
def tracing():
    registry.optimizers.register("fuzz_momentum", override=True)(FuzzMomentum)
    tracemalloc.start()
    yield
    tracemalloc.stop()
    registry.optimizers.unregister("fuzz_momentum")
    print(f"\nfuzz: {measured['loads']} loads, {measured['refused']} refused, "
          f"max {measured['max_seconds'] * 1e3:.1f} ms, max tracemalloc peak {measured['max_peak'] / 2**20:.2f} MiB")


def _declared_layers(data: bytes) -> int:
    """How many layer specs (nested ones included) the file's header declares; 0 when it has no readable header."""
    def count(node) -> int:
        if isinstance(node, dict):
            return ("name" in node) + sum(count(value) for value in node.values())
        if isinstance(node, list):
            return sum(count(value) for value in node)
        return 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return count(json.loads(archive.read("header.json"))["network"]["layers"])
    except Exception:
        return 0


def attempt(data: bytes, directory: pathlib.Path) -> ModelFormatError | None:
    """Load ``data`` as a file; any exception but ModelFormatError fails the test, as do time and memory."""
    path = directory / "fuzz.nnfs"
    path.write_bytes(data)
    gc.disable()  # time the loader, not a collection of hypothesis's garbage (CPU time: other processes do not count)
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    start = time.process_time()
    error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Network.load(path)
    except ModelFormatError as caught:
        error = caught
    finally:
        elapsed = time.process_time() - start
        gc.enable()
    peak = tracemalloc.get_traced_memory()[1] - baseline
    measured["loads"] += 1
    measured["refused"] += error is not None
    measured["max_seconds"] = max(measured["max_seconds"], elapsed)
    measured["max_peak"] = max(measured["max_peak"], peak)
    allowed = MAX_SECONDS + SECONDS_PER_LAYER * _declared_layers(data)
    assert elapsed < allowed, f"a load took {elapsed:.3f} s of CPU time (allowed {allowed:.3f} s)"
    assert peak < MAX_PEAK_BYTES, f"a load allocated {peak / 2**20:.1f} MiB"
    assert not MARKER.exists(), "a pickle in the file was executed"
    return error


# -- valid files to start from ---------------------------------------------------------------------------------
def _network(dtype="float32"):
    layers = ["flatten", {"name": "dense", "output_size": 12}, "batch_norm", "relu", {"name": "dropout", "rate": 0.2},
              {"name": "dense", "output_size": 3}]
    return Network(layers, optimizer=FuzzMomentum(), loss="cross_entropy", metrics=["accuracy"], dtype=dtype, seed=0)


def _make_bases(directory: pathlib.Path) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 1, 4, 4)), rng.integers(0, 3, 40)
    bases = {}
    net = _network()
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)
    net.save(directory / "model.nnfs")
    bases["model"] = (directory / "model.nnfs").read_bytes()
    net.save_weights(directory / "weights.nnfs")
    bases["weights"] = (directory / "weights.nnfs").read_bytes()

    class StopAfterCheckpoint(ModelCheckpoint):
        def _save(self, network, epoch, batch, logs):
            save_checkpoint(network, directory / "checkpoint.nnfs", epoch=epoch, batch=batch)
            network.stop_training = True

    _network("float64").fit(x, y, epochs=3, batch_size=8, verbose=0,
                            callbacks=[StopAfterCheckpoint("unused", every_n_batches=7)])
    bases["checkpoint"] = (directory / "checkpoint.nnfs").read_bytes()
    return bases


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    return _make_bases(tmp_path_factory.mktemp("bases"))


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def zip_of(members, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def with_header(data: bytes, change) -> bytes:
    members = members_of(data)
    header = json.loads(members[0][1])
    change(header)
    return zip_of([("header.json", json.dumps(header).encode()), *members[1:]])


def npy(descr: str, shape, payload: bytes = b"", fortran=False, version=(1, 0)) -> bytes:
    text = repr({"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}).encode("latin1")
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    size = struct.pack("<H" if version == (1, 0) else "<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + payload


def set_member(data: bytes, name: str, content: bytes) -> bytes:
    return zip_of([(n, content if n == name else d) for n, d in members_of(data)])


class _Boom:
    def __reduce__(self):
        return (pathlib.Path.touch, (MARKER,))


def _patch_central(data: bytes, member: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of ``member``'s central-directory entry (offsets as in the zip specification)."""
    at = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length].decode() == member:
            break
        extra, comment = struct.unpack_from("<HH", data, at + 30)
        at = data.index(b"PK\x01\x02", at + 46 + name_length + extra + comment)
    patched = bytearray(data)
    struct.pack_into(fmt, patched, at + offset, value)
    return bytes(patched)


def _bomb_member() -> bytes:
    """A deflate stream of 200 MB of zeros (about 200 KB), made without holding 200 MB."""
    compressor, chunk = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(2**20)
    return b"".join([*(compressor.compress(chunk) for _ in range(200)), compressor.flush()])


def _bomb(base: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members_of(base):
            if name != "layers.1.params.weight.npy":
                archive.writestr(name, data)
        info = zipfile.ZipInfo("layers.1.params.weight.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, b"")
    raw = bytearray(buffer.getvalue())  # splice the bomb in place of the empty member's data, sizes patched
    body = _bomb_member()
    local = raw.rindex(b"PK\x03\x04", 0, raw.index(b"PK\x01\x02"))
    name_length, extra = struct.unpack_from("<HH", raw, local + 26)
    data_at = local + 30 + name_length + extra
    raw[data_at : data_at + 2] = body  # the empty deflate stream is 2 bytes
    struct.pack_into("<III", raw, local + 14, zlib.crc32(bytes(0)), len(body), 200 * 2**20)
    data = bytes(raw)
    data = _patch_central(data, "layers.1.params.weight.npy", 20, "<I", len(body))
    data = _patch_central(data, "layers.1.params.weight.npy", 24, "<I", 200 * 2**20)
    end = data.rindex(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", data, end + 16)[0]
    return data[:end + 16] + struct.pack("<I", cd_offset + len(body) - 2) + data[end + 20:]


def _duplicate(base: bytes) -> bytes:
    members = members_of(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        return zip_of([*members, members[1]])


def _flag(base: bytes, member: str, offset: int, fmt: str, value: int) -> bytes:
    return _patch_central(base, member, offset, fmt, value)


def _shape_lie(header):
    header["arrays"]["layers.1.params.weight"]["shape"] = [16, 12]  # same bytes as [12, 16], other shape


def _corpus(bases):
    model, checkpoint = bases["model"], bases["checkpoint"]
    weight = "layers.1.params.weight"
    pickled = io.BytesIO()
    np.lib.format.write_array(pickled, np.array([_Boom()], dtype=object), allow_pickle=True)

    def edit(change, base=model):
        return with_header(base, change)

    return {
        "empty": b"",
        "text": b"this is not a model\n" * 10,
        "gzip magic": b"\x1f\x8b\x08\x00" + bytes(100),
        "npy file": npy("<f4", (2,), bytes(8)),
        "end record only": b"PK\x05\x06" + bytes(18),
        "wrong magic": b"PK\x05\x06" + model[4:],
        **{f"truncated to {fraction}": model[: int(len(model) * fraction)] for fraction in (0.1, 0.5, 0.9, 0.999)},
        "truncated by one": model[:-1],
        "flipped in header": bytes(b ^ 0x40 if i == 200 else b for i, b in enumerate(model)),
        "flipped in weights": bytes(b ^ 0x01 if i == len(model) // 2 else b for i, b in enumerate(model)),
        "flipped in directory": bytes(b ^ 0x01 if i == len(model) - 24 else b for i, b in enumerate(model)),
        "header not JSON": set_member(model, "header.json", b"{'format': 'nnfs-model'"),
        "header with NaN": set_member(model, "header.json", b'{"format": NaN}'),
        "header is a list": set_member(model, "header.json", b"[1, 2, 3]"),
        "header not UTF-8": set_member(model, "header.json", b'{"format": "\xff\xfe"}'),
        "huge header": set_member(model, "header.json", b" " * (2**20 + 10) + b"{}"),
        "deep header": set_member(model, "header.json", b"[" * 100_000 + b"]" * 100_000),
        "duplicate key": set_member(model, "header.json", b'{"format": "nnfs-model", "format": "nnfs-model"}'),
        "huge integer": set_member(model, "header.json", b'{"format_version": ' + b"9" * 5000 + b"}"),
        "other format": edit(lambda h: h.update(format="keras")),
        "newer version": edit(lambda h: h.update(format_version=3)),
        "version as text": edit(lambda h: h.update(format_version="1")),
        "unknown kind": edit(lambda h: h.update(kind="script")),
        "shape lie, same size": edit(_shape_lie),
        "shape lie, other size": edit(lambda h: h["arrays"][weight].update(shape=[12, 17])),
        "dtype lie, same size": edit(lambda h: h["arrays"][weight].update(dtype="int32")),
        "dtype lie": edit(lambda h: h["arrays"][weight].update(dtype="float64")),
        "dtype object": edit(lambda h: h["arrays"][weight].update(dtype="object")),
        "dtype complex": edit(lambda h: h["arrays"][weight].update(dtype="complex128")),
        "10**12 elements": edit(lambda h: h["arrays"][weight].update(shape=[10**6, 10**6])),
        "10**12 int8": edit(lambda h: h["arrays"][weight].update(shape=[10**12], dtype="int8")),
        "negative size": edit(lambda h: h["arrays"][weight].update(shape=[-12, -16])),
        "64 dimensions": edit(lambda h: h["arrays"][weight].update(shape=[1] * 64)),
        "array of another layer": edit(lambda h: h["arrays"].update({"layers.99.params.weight": {"shape": [1],
                                                                                              "dtype": "float32"}})),
        "pickled object array": set_member(edit(lambda h: h["arrays"][weight].update(shape=[1], dtype="float64")),
                                           f"{weight}.npy", pickled.getvalue()),
        "object npy": set_member(model, f"{weight}.npy", pickled.getvalue()),
        "structured npy": set_member(model, f"{weight}.npy", npy("[('a', '<f4')]", (12, 16), bytes(768))),
        "big-endian npy": set_member(model, f"{weight}.npy", npy(">f4", (12, 16), bytes(768))),
        "fortran npy": set_member(model, f"{weight}.npy", npy("<f4", (12, 16), bytes(768), fortran=True)),
        "npy version 3": set_member(model, f"{weight}.npy", npy("<f4", (12, 16), bytes(768), version=(3, 0))),
        "npy code in header": set_member(model, f"{weight}.npy", npy("<f4", (12, 16), bytes(768)).replace(
            b"'descr': '<f4'", b"'descr': __import__('os').system('false')", 1)),
        "npy huge header length": set_member(model, f"{weight}.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 5000)
                                             + b" " * 956),
        "npy short data": set_member(model, f"{weight}.npy", npy("<f4", (12, 16), bytes(700))),
        "npy long data": set_member(model, f"{weight}.npy", npy("<f4", (12, 16), bytes(800))),
        "dot-dot member": zip_of([*members_of(model), ("../evil.npy", npy("<f4", (1,), bytes(4)))]),
        "absolute member": zip_of([*members_of(model), ("/etc/evil.npy", npy("<f4", (1,), bytes(4)))]),
        "directory member": zip_of([*members_of(model), ("sub/evil.npy", npy("<f4", (1,), bytes(4)))]),
        "windows member": zip_of([*members_of(model), ("C:\\evil.npy", npy("<f4", (1,), bytes(4)))]),
        "dot-dot in table": edit(lambda h: h["arrays"].update({"../evil": {"shape": [1], "dtype": "float32"}})),
        "missing member": zip_of(members_of(model)[:-1]),
        "extra member": zip_of([*members_of(model), ("extra.npy", npy("<f4", (1,), bytes(4)))]),
        "no header": zip_of(members_of(model)[1:]),
        "duplicate member": _duplicate(model),
        "encrypted flag": _flag(model, f"{weight}.npy", 8, "<H", 1),
        "bzip2 method": _flag(model, f"{weight}.npy", 10, "<H", 12),
        "lzma method": _flag(model, f"{weight}.npy", 10, "<H", 14),
        "declared size 4 GB": _flag(model, f"{weight}.npy", 24, "<I", 2**32 - 1),
        "declared offset past end": _flag(model, f"{weight}.npy", 42, "<I", 2**31),
        "zip bomb": _bomb(model),
        "65535 members declared": model[:-14] + struct.pack("<HH", 65535, 65535) + model[-10:],
        "zip64 locator": model[: model.rindex(b"PK\x05\x06")] + b"PK\x06\x07" + bytes(16) + model[
            model.rindex(b"PK\x05\x06"):],
        "deflated header bomb": zip_of([("header.json", b" " * 900_000 + b"{}"), *members_of(model)[1:]],
                                       zipfile.ZIP_DEFLATED),
        "huge output_size": edit(lambda h: h["network"]["layers"][1].update(output_size=10**7)),
        "huge input_shape": edit(lambda h: h["network"].update(input_shape=[1, 4, 10**8])),
        "input 2**20 wide": edit(lambda h: h["network"].update(input_shape=[2**20])),
        "output_size as text": edit(lambda h: h["network"]["layers"][1].update(output_size="12")),
        "unknown layer": edit(lambda h: h["network"]["layers"][3].update(name="no_such_layer")),
        "unknown argument": edit(lambda h: h["network"]["layers"][1].update(exec="print(1)")),
        "output shape lie": edit(lambda h: h["layers"][1].update(output_shape=[13])),
        "trainable as text": edit(lambda h: h["layers"][1].update(trainable="yes")),
        "component kind": edit(lambda h: h["components"][0].update(kind="modules")),
        "dtype of network": edit(lambda h: h["network"].update(dtype="int8")),
        "negative seed": edit(lambda h: h["network"].update(seed=-5)),
        "unknown marker": edit(lambda h: h.update(optimizer_state={"learning_rate": {"$eval": "1"}})),
        "dangling array reference": edit(lambda h: h.update(optimizer_state={"x": {"$array": "nowhere"}})),
        "optimizer index out of range": edit(lambda h: h.update(optimizer_state={"learning_rate": 0.1,
                                                                                 "iterations": 1, "99.v": 1.0})),
        "optimizer state of nobody": edit(lambda h: h.update(optimizer_state={
            "learning_rate": 0.1, "iterations": 1, "group_learning_rates": [], "state": {"layers.99.weight": {}}})),
        "optimizer state as list": edit(lambda h: h.update(optimizer_state=[1, 2])),
        "generator state bogus": edit(lambda h: h["generators"].update(network={"bit_generator": "PCG64",
                                                                                "state": "x"})),
        "generator type": edit(lambda h: h["generators"]["network"].update(bit_generator="MT19937")),
        "generator of nobody": edit(lambda h: h["generators"].update({"layers.9.rng": h["generators"]["network"]})),
        "negative epoch": edit(lambda h: h["training"].update(epoch=-1), checkpoint),
        "history of text": edit(lambda h: h["training"]["history"].update(history={"loss": ["a"]}), checkpoint),
        "history epochs of text": edit(lambda h: h["training"]["history"].update(epoch=["0"]), checkpoint),
    }


def test_the_corpus_is_refused_quickly_and_cheaply(bases, tmp_path):
    assert all(attempt(data, tmp_path) is None for data in bases.values())  # the bases themselves load
    refused = {}
    for name, data in _corpus(bases).items():
        error = attempt(data, tmp_path)
        assert error is not None, f"{name}: loaded without an error"
        refused[name] = str(error)
    assert "pip install" in refused["unknown layer"] or "no_such_layer" in refused["unknown layer"]
    assert "format version 3" in refused["newer version"] and "upgrade" in refused["newer version"]
    assert "zip bomb" in refused["zip bomb"]
    assert "not an nnfs model file" in refused["wrong magic"]
    assert "10**12" not in refused["10**12 elements"] and "limit" in refused["10**12 elements"]
    assert all(message.startswith(str(tmp_path / "fuzz.nnfs")) for message in refused.values()), refused


def test_the_costliest_lie_within_the_build_budget_stays_small(bases, tmp_path):
    """A Dense claiming the most outputs the build budget allows (its weight, bias and their gradients,
    2 x 17 values per output on 16 inputs, with the other layers within 2**18) is built, then refused
    because its output does not match the header's; that is the most a lying architecture can cost."""
    rest = 6 * 12 + 2 * 3 * 13  # BatchNorm(12) and Dense(12 -> 3), as the header declares them
    widest = (DEFAULT_LIMITS.min_build_budget - rest) // (2 * 17)
    for base, itemsize in ((bases["model"], 4), (bases["checkpoint"], 8)):
        data = with_header(base, lambda h: h["network"]["layers"][1].update(output_size=widest))
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        assert f"builds to output shape [{widest}]" in str(attempt(data, tmp_path))
        peak = tracemalloc.get_traced_memory()[1] - baseline
        assert 0.9 * 2**18 * itemsize < peak < 6 * 2**18 * itemsize  # weight, gradient and the initializer's draws
        too_big = with_header(base, lambda h: h["network"]["layers"][1].update(output_size=widest + 1))
        assert "more than the load budget of 262144" in str(attempt(too_big, tmp_path))


def test_an_unknown_component_is_a_missing_component_error(bases, tmp_path):
    data = with_header(bases["model"], lambda h: h["components"][3].update(name="relu_from_mars",
                                                                            distribution="nnfs-mars", version="3.0"))
    error = attempt(data, tmp_path)
    assert isinstance(error, MissingComponentError) and "pip install 'nnfs-mars==3.0'" in str(error)


# -- hypothesis: bytes, header values, members, zip fields --------------------------------------------------------
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SLOW_FUZZ = settings(FUZZ, max_examples=3000, derandomize=False)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from([0, -1, 1, 2**31, 2**63, 10**12, 10**100])
    | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["../x", "/etc", "$array", "float32", "relu"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def byte_mutations(draw, bases):
    data = bytearray(bases[draw(st.sampled_from(sorted(bases)))])
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "set", "delete", "insert", "truncate"]))
        if action == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[position] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[position:]
        if not data:
            break
    return bytes(data)


@st.composite
def header_mutations(draw, bases):
    base = bases[draw(st.sampled_from(sorted(bases)))]
    members = members_of(base)
    header = json.loads(members[0][1])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(header))[1:]))
        parent = header
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "number"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "number" and isinstance(parent[path[-1]], int):
            parent[path[-1]] += draw(st.sampled_from([-1, 1, 7, -10**9, 10**9, 2**40]))
        else:
            parent[path[-1]] = draw(json_values)
    return zip_of([("header.json", json.dumps(header).encode()), *members[1:]])


@st.composite
def member_mutations(draw, bases):
    members = members_of(bases[draw(st.sampled_from(sorted(bases)))])
    index = draw(st.integers(0, len(members) - 1))
    name, data = members[index]
    action = draw(st.sampled_from(["random", "truncate", "npy", "deflate"]))
    if action == "random":
        data = draw(st.binary(max_size=256))
    elif action == "truncate":
        data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    elif action == "npy":
        descr = draw(st.sampled_from(["<f4", "<f8", "|O", "<c16", ">f4", "|V8", "<U3", "|b1", "<i8", "<m8[s]"]))
        shape = draw(st.lists(st.integers(0, 2**40), max_size=3))
        data = npy(descr, shape, draw(st.binary(max_size=64)))
    compression = zipfile.ZIP_DEFLATED if action == "deflate" else zipfile.ZIP_STORED
    return zip_of(members[:index] + [(name, data)] + members[index + 1 :], compression)


# central-directory fields: (offset, struct format) - version, flags, method, time, crc, sizes, lengths, offset
_FIELDS = [(6, "<H"), (8, "<H"), (10, "<H"), (12, "<H"), (16, "<I"), (20, "<I"), (24, "<I"), (28, "<H"),
           (30, "<H"), (32, "<H"), (42, "<I")]


@st.composite
def zip_field_mutations(draw, bases):
    base = bases[draw(st.sampled_from(sorted(bases)))]
    member = draw(st.sampled_from([name for name, _ in members_of(base)]))
    offset, fmt = draw(st.sampled_from(_FIELDS))
    value = draw(st.integers(0, 2 ** (8 * struct.calcsize(fmt)) - 1))
    return _patch_central(base, member, offset, fmt, value)


def _fuzz_test(strategy, fuzz_settings):
    @fuzz_settings
    @given(data=st.data())
    def check(bases, tmp_path, data):
        attempt(data.draw(strategy(bases)), tmp_path)

    return check


test_byte_mutations = _fuzz_test(byte_mutations, FUZZ)
test_header_mutations = _fuzz_test(header_mutations, FUZZ)
test_member_mutations = _fuzz_test(member_mutations, FUZZ)
test_zip_field_mutations = _fuzz_test(zip_field_mutations, FUZZ)
test_byte_mutations_long = pytest.mark.slow(_fuzz_test(byte_mutations, SLOW_FUZZ))
test_header_mutations_long = pytest.mark.slow(_fuzz_test(header_mutations, SLOW_FUZZ))
test_member_mutations_long = pytest.mark.slow(_fuzz_test(member_mutations, SLOW_FUZZ))
test_zip_field_mutations_long = pytest.mark.slow(_fuzz_test(zip_field_mutations, SLOW_FUZZ))


# -- the load budget: the shapes that once bypassed it ---------------------------------------------------------
# Float-valued sizes, totals over many layers, arrays that no layer uses, and outputs far larger than the
# network's parameters. Each generated file is checked against the guarantee of docs/file-format.md ("The
# load budget"): with V = sum over the layer arrays of min(values, bytes on disk // 4),
#   load:                  peak <= bytes of the file's arrays + 3 x itemsize x max(2**18, 256 V) + 1 MiB
#   predict of one sample: peak <= 2 x itemsize x max(2**24, 256 V) + 1 MiB
# and both take CPU time that grows with the number of layers declared, never with the sizes claimed.
sizes = st.one_of(st.integers(1, 2**22), st.floats(1.0, 2.0**22), st.integers(1, 2**22).map(str))
small = st.integers(1, 2**12)
parameter_free = st.one_of(  # these load when within the budget, and then one sample is predicted
    st.builds(lambda factor, mode: {"name": "up_sampling2d", "scale_factor": factor, "mode": mode},
              st.one_of(st.floats(0.5, 5000.0), st.integers(1, 5000), st.tuples(st.floats(0.5, 3000.0), small)),
              st.sampled_from(["nearest", "bilinear"])),
    st.builds(lambda padding: {"name": "zero_pad2d", "padding": padding}, st.one_of(small, st.floats(0.0, 4096.0))),
    st.builds(lambda size: {"name": "adaptive_avg_pool2d", "output_size": size}, st.one_of(small, sizes)),
    st.sampled_from([{"name": "relu"}, {"name": "max_pool2d", "kernel_size": 2}]),
)
with_parameters = st.one_of(
    st.builds(lambda size: {"name": "dense", "output_size": size}, sizes),
    st.builds(lambda out, kernel, padding: {"name": "conv2d", "out_channels": out, "kernel_size": kernel,
                                            "padding": padding}, sizes, st.integers(1, 64), small),
    st.builds(lambda out, stride: {"name": "conv_transpose2d", "out_channels": out, "kernel_size": 2,
                                   "stride": stride}, st.integers(1, 64), small),
)
leaf_layers = st.one_of(parameter_free, parameter_free, with_parameters, st.just({"name": "flatten"}))
paths = st.lists(leaf_layers, min_size=1, max_size=3)
# combinators count their children, each at its own input shape, as they build them: nested paths of the
# same shapes, a residual (whose body mostly changes the shape: refused by build) and merged branches
combinators = st.one_of(
    st.builds(lambda layers: {"name": "sequential", "layers": layers}, paths),
    st.builds(lambda body, projection: {"name": "residual", "body": body, "projection": projection},
              paths, st.one_of(st.none(), paths)),
    st.builds(lambda branches, merge: {"name": "branch", "branches": branches, "merge": merge},
              st.lists(st.one_of(st.just("identity"), paths,
                                 paths.map(lambda layers: [{"name": "sequential", "layers": layers}])),
                       min_size=1, max_size=3),
              st.sampled_from(["add", "multiply", "concatenate"])),
)
budget_layers = st.one_of(leaf_layers, leaf_layers, combinators)


def _parameter_free_base() -> bytes:
    buffer = io.BytesIO()
    net = Network(["relu"], input_shape=(1, 8, 8), seed=0).build()
    path = pathlib.Path(MARKER.parent / "_fuzz_budget_base.nnfs")
    try:
        net.save(path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
        buffer.close()


@st.composite
def budget_bypasses(draw, base):
    members = members_of(base)
    header = json.loads(members[0][1])
    layers = draw(st.lists(budget_layers, min_size=1, max_size=5))
    if draw(st.booleans()):  # totals: one block repeated up to 100 times
        layers = layers * draw(st.integers(2, 100))
    header["network"].update(layers=layers, dtype=draw(st.sampled_from(["float32", "float64"])),
                             input_shape=draw(st.sampled_from([[1, 8, 8], [3, 32, 32], [2, 4, 300]])))
    header["layers"] = [{"output_shape": None, "trainable": True}] * len(layers)
    header["components"] = []
    extra = []
    for index in range(draw(st.integers(0, 64))):  # arrays no layer uses: 4096 zero bytes, deflated
        name = draw(st.sampled_from([f"layers.0.params.junk{index}", *[f"optimizer.junk{index}"] * 3]))
        header["arrays"][name] = {"shape": [4096], "dtype": "uint8"}
        extra.append((f"{name}.npy", npy("|u1", (4096,), bytes(4096))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in [("header.json", json.dumps(header).encode()), *members[1:]]:
            archive.writestr(name, content)
        for name, content in extra:
            archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _guaranteed(data: bytes) -> tuple[int, int, int, int]:
    """(array bytes, itemsize, held budget, per-sample budget) of the guarantee, computed from the file itself."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        header = json.loads(archive.read("header.json"))
        stored, array_bytes = 0, 0
        for name, spec in header["arrays"].items():
            info = archive.getinfo(f"{name}.npy")
            array_bytes += info.file_size
            if name.startswith("layers."):
                stored += min(int(np.prod(spec["shape"])), info.compress_size // 4)
    limits = DEFAULT_LIMITS
    return (array_bytes, np.dtype(header["network"]["dtype"]).itemsize,
            max(limits.min_build_budget, limits.budget_per_stored_value * stored),
            max(limits.min_sample_budget, limits.budget_per_stored_value * stored))


def _predict_one(network) -> tuple[int, float]:
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    start = time.process_time()
    network.predict(np.zeros((1, *network.input_shape), network.dtype))
    return tracemalloc.get_traced_memory()[1] - baseline, time.process_time() - start


@pytest.fixture(scope="module")
def budget_base():
    return _parameter_free_base()


def _budget_test(fuzz_settings):
    @fuzz_settings
    @given(data=st.data())
    def check(budget_base, tmp_path, data):
        file = data.draw(budget_bypasses(budget_base))
        array_bytes, itemsize, held, sample = _guaranteed(file)
        path = tmp_path / "fuzz.nnfs"
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        error = attempt(file, tmp_path)
        peak = tracemalloc.get_traced_memory()[1] - baseline
        assert peak <= array_bytes + 3 * itemsize * held + 2**20
        if error is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                network = Network.load(path)
            peak, seconds = _predict_one(network)
            assert peak <= 2 * itemsize * sample + 2**20, f"one sample's predict allocated {peak / 2**20:.1f} MiB"
            allowed = 4 * MAX_SECONDS + SECONDS_PER_LAYER * _declared_layers(file)
            assert seconds < allowed, f"one sample's predict took {seconds:.3f} s of CPU time (allowed {allowed:.3f} s)"

    return check


test_budget_bypasses = _budget_test(settings(FUZZ, max_examples=25))
test_budget_bypasses_long = pytest.mark.slow(_budget_test(SLOW_FUZZ))
