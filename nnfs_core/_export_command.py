"""``nnfs export MODEL.nnfs --format onnx -o model.onnx``: a saved model in a format other tools run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nnfs_core.errors import ConfigError

FORMATS = ("onnx",)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "export", help="write a saved model as an ONNX file (onnxruntime and other tools run it)",
        description="Export a saved model for inference: dropout becomes the identity and BatchNorm uses its running "
                    "statistics. Needs the onnx package: pip install 'nnfs-core[onnx]'. See docs/interop.md.")
    parser.add_argument("model", help="a saved model (.nnfs)")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="the format to write (default: onnx)")
    parser.add_argument("-o", "--output", required=True, metavar="PATH", help="the file to write (model.onnx)")
    parser.add_argument("--opset", type=int, default=None,
                        help="the ONNX operator set to write for (default 17, the oldest the exporters support)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None,
                        help="the precision of the exported graph (default: the model's; float32 for a float64 "
                             "model that onnxruntime should run with convolutions)")
    parser.add_argument("--trust-file", action="store_true",
                        help="load the model without the load budget (a file you trust; see docs/file-format.md)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nnfs_core._config_checks import writable_directory_problem
    from nnfs_core._model_commands import _load_model
    from nnfs_core.onnx import DEFAULT_OPSET, save_onnx
    from nnfs_core.onnx._export import require_onnx

    output = Path(args.output)
    if output.is_dir():
        raise ConfigError(f"--output {args.output} is a directory; name the .onnx file to write")
    problem = writable_directory_problem(output.parent)
    if problem:
        raise ConfigError(f"--output {args.output}: cannot write {output}: {problem}")
    require_onnx()  # before the model is loaded, so a missing package is the first thing said
    network = _load_model(args.model, args.trust_file)
    opset = DEFAULT_OPSET if args.opset is None else args.opset
    output.parent.mkdir(parents=True, exist_ok=True)
    written = save_onnx(network, output, opset=opset, dtype=args.dtype)
    dtype = args.dtype or network.dtype.name
    input_dtype = dtype if network.input_dtype.kind == "f" else network.input_dtype.name
    shape = ", ".join(["N", *map(str, network.input_shape)])
    print(f"{written}: ONNX opset {opset}, input 'input' ({shape}) {input_dtype}, output 'output' "
          f"(N, {', '.join(map(str, network.layers[-1].output_shape))}) {dtype}")
    return 0
