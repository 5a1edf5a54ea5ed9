"""The reference TRON transaction schema, compiled at test time.

``tests/devnet/proto/tron_transaction.proto`` is written apart from both codecs (the client's
``txcodec`` and the devnet's ``codec``); grpcio-tools' ``protoc`` compiles it and the
protobuf runtime serializes it, so each codec's bytes can be checked against the library's.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

PROTO_DIR = Path(__file__).parents[1] / "devnet" / "proto"
PROTO_FILE = "tron_transaction.proto"


def compile_schema(out_dir: Path, module_name: str) -> ModuleType:
    """Compile the schema with grpcio-tools' protoc into ``out_dir`` and import it as
    ``module_name``.

    Fails the test with protoc's message when the schema does not compile.
    """
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"--proto_path={PROTO_DIR}",
            f"--python_out={out_dir}",
            str(PROTO_DIR / PROTO_FILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"protoc failed: {result.stderr}")
    module_path = out_dir / PROTO_FILE.replace(".proto", "_pb2.py")
    spec = importlib.util.spec_from_file_location(module_name, module_path)
    if spec is None or spec.loader is None:
        pytest.fail(f"cannot import {module_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
