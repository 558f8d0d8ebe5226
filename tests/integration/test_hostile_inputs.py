"""Hostile inputs, across the whole package: one line, the right exit code, no traceback.

One table of inputs a careless or hostile user can hand reluinv: malformed and oversized
formulas (plain and compressed), damaged ``.npz`` / ``.npy`` / ``.onnx`` / ``.vnnlib``
files, bad flag values and output paths, and bad arguments to the public functions.

* A **command-line row** runs ``reluinv.cli.main(argv)`` in this process (fast: no
  interpreter start) and asserts the exit code from the one exit-code table
  (:mod:`reluinv.cli.exit_codes`), exactly one line on standard error that names the input
  (the file or the flag), the place (a line number, a field, an index) and the rule, and no
  ``Traceback`` anywhere.
* An **API row** calls a public function and asserts the error type (the package's own
  errors are also ``ValueError`` / ``TypeError``) and a one-line message naming the
  argument and the rule.

The per-module tables (``test_formula.py``, ``test_exit_codes.py``, ...) stay where they
are; this one is the cross-cutting table. The last test proves that no subcommand can let
an unexpected exception escape as a traceback.
"""

from __future__ import annotations

import bz2
import gzip
import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import scipy.sparse as sp
from onnx import TensorProto, helper
from pysat.formula import CNF

import reluinv as ri
from reluinv.arguments import check_time_limit
from reluinv.cli import SUBCOMMANDS, build_parser, main
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.formula import DimacsLimits, TextLimits
from reluinv.data.vnnlib import VnnlibError, parse_vnnlib
from reluinv.errors import (
    DimacsError,
    InvalidArgumentError,
    InvalidTypeError,
    NonFiniteError,
    ShapeError,
)
from reluinv.oracles.proofcheck import check_drup_proof
from reluinv.validation.vnncomp import export_vnncomp

OK, BAD = int(ExitCode.OK), int(ExitCode.BAD_INPUT)

# -- the hostile files --------------------------------------------------------------------

#: name -> text of the formula files (written as UTF-8 unless bytes).
FORMULAS: dict[str, str | bytes] = {
    "good.cnf": "p cnf 2 2\n1 2 0\n-1 0\n",
    "plus.cnf": "p cnf 2 1\n+1 -2 0\n",  # the reproducer, verbatim
    "negzero.cnf": "p cnf 2 2\n1 -0\n2 0\n",  # `1 -0`: the -0 would end the clause
    "bom.cnf": b"\xef\xbb\xbfp cnf 2 1\n1 -2 0\n",  # UTF-8 BOM: accepted
    "huge-header.cnf": "p cnf 1180591620717411303424 1\n1 0\n",  # the OverflowError
    "many-clauses.cnf": "p cnf 1 5000000\n1 0\n",
    "three-vars.cnf": "p cnf 3 2\n1 2 0\n3 0\n",
    "empty.cnf": "",
    "comments-only.cnf": "c nothing here\nc at all\n",
    "second-header.cnf": "p cnf 1 1\np cnf 1 1\n1 0\n",
    "literal-over.cnf": "p cnf 2 1\n1 3 0\n",
    "too-many.cnf": "p cnf 1 1\n1 0\n-1 0\n",
    "too-few.cnf": "p cnf 1 2\n1 0\n",
    "unterminated.cnf": "p cnf 2 1\n1 2\n",
    "hex.cnf": "p cnf 20 1\n0x12 0\n",
    "float.cnf": "p cnf 2 1\n1.5 0\n",
    "long-literal.cnf": "p cnf 2 1\n" + "1" * 5000 + " 0\n",
    "header-dnf.cnf": "p dnf 1 1\n1 0\n",
    "header-negative.cnf": "p cnf -1 1\n1 0\n",
    "header-plus.cnf": "p cnf +2 1\n1 0\n",
    "header-fields.cnf": "p cnf 1 1 7\n1 0\n",
    "after-percent.cnf": "p cnf 1 1\n1 0\n%\n1 0\n",
    "no-header.cnf": "1 2 0\n",
    "weight-zero.wcnf": "p wcnf 2 1 10\n0 1 2 0\n",
    "weight-float.wcnf": "p wcnf 2 1 10\n1.5 1 2 0\n",
    "top-zero.wcnf": "p wcnf 2 1 0\n1 1 2 0\n",
    "new-format-big.wcnf": "h 1 2000000 0\n",
    "latin1.cnf": b"c caf\xe9\np cnf 1 1\n1 0\n",
    "no-vars.cnf": "p cnf 0 0\n",
    "no-vars-empty-clause.cnf": "p cnf 0 1\n0\n",
    "long-last-line.cnf": "p cnf 1 1\n1 0\nc a comment with no newline after it",
}


def _write_compressed(folder: Path) -> None:
    # A decompression bomb in miniature: 2 MiB of one comment line (the default line limit
    # is 1 MiB), a few kilobytes on disk.
    with gzip.open(folder / "long-line.cnf.gz", "wb") as stream:
        stream.write(b"c " + b"x" * (2 * 2**20) + b"\n")
    # 20 000 short comment lines: fine by line, over a --max-bytes of 10 000.
    with bz2.open(folder / "many-lines.cnf.bz2", "wb") as stream:
        stream.write(b"p cnf 1 1\n" + b"c padding\n" * 20_000 + b"1 0\n")
    (folder / "not-gzip.cnf.gz").write_text("p cnf 1 1\n1 0\n")
    whole = gzip.compress(b"p cnf 1 1\n" + b"c padding\n" * 1000 + b"1 0\n")
    (folder / "truncated.cnf.gz").write_bytes(whole[: len(whole) // 2])


def _write_arrays(folder: Path) -> None:
    problem = ri.encode(ri.parse_dimacs("p cnf 2 1\n1 2 0\n"))
    problem.save(folder / "problem.npz")
    entries = dict(np.load(folder / "problem.npz"))
    metadata = json.loads(str(entries["metadata"]))
    (folder / "empty.npz").write_bytes(b"")
    (folder / "text.npz").write_text("p cnf 1 1\n1 0\n")
    whole = (folder / "problem.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(whole[: len(whole) // 2])
    damaged = bytearray(whole)
    damaged[200] ^= 0xFF  # inside the first member's data: a CRC error on reading it
    (folder / "crc.npz").write_bytes(bytes(damaged))
    np.save(folder / "array.npy", np.zeros(3))
    (folder / "array-as.npz").write_bytes((folder / "array.npy").read_bytes())
    np.savez(folder / "object.npz", **{**entries, "W1": np.array([[1, None]], dtype=object)})
    no_domain = {key: value for key, value in metadata.items() if key != "domain"}
    np.savez(folder / "no-domain.npz", **{**entries, "metadata": np.array(json.dumps(no_domain))})
    np.savez(folder / "metadata-text.npz", **{**entries, "metadata": np.array("not json {")})
    np.savez(folder / "metadata-list.npz", **{**entries, "metadata": np.array("[1, 2]")})
    np.savez(folder / "no-target.npz",
             **{key: value for key, value in entries.items() if key != "target"})
    np.savez(folder / "metadata-only.npz", metadata=entries["metadata"])
    np.savez(folder / "nan-target.npz",
             **{**entries, "target": np.full(entries["target"].shape, np.nan)})
    net = ri.random_network([2, 6, 10], rng=np.random.default_rng(0))
    net.save(folder / "net.npz")
    nan_weights = dict(np.load(folder / "net.npz"))
    nan_weights["W1"] = nan_weights["W1"].copy()
    nan_weights["W1"][0, 0] = np.nan
    np.savez(folder / "nan-weights.npz", **nan_weights)
    x = net.forward(np.array([0.5, -0.25]))
    np.save(folder / "x.npy", x)
    (folder / "empty.npy").write_bytes(b"")
    (folder / "text.npy").write_text("1 2 3\n")
    (folder / "truncated.npy").write_bytes((folder / "x.npy").read_bytes()[:-5])
    np.save(folder / "object.npy", np.array([1, None], dtype=object), allow_pickle=True)
    np.save(folder / "complex.npy", x.astype(complex))
    np.save(folder / "strings.npy", np.array([str(v) for v in x]))
    np.save(folder / "short.npy", x[:3])
    np.save(folder / "nan.npy", np.where(np.arange(10) == 4, np.nan, x))
    np.save(folder / "huge.npy", np.full(10, 1e308))
    np.save(folder / "mask-none.npy", np.zeros(10, dtype=bool))
    np.save(folder / "mask-float.npy", np.ones(10))
    np.save(folder / "mask-short.npy", np.ones(3, dtype=bool))
    with zipfile.ZipFile(folder / "zip.npz", "w") as archive:
        archive.writestr("readme.txt", "not an array")


def _write_models(folder: Path) -> None:
    net = ri.random_network([2, 3], rng=np.random.default_rng(0))
    ri.write_onnx(net, folder / "net.onnx")
    ri.write_onnx(net, folder / "NET.ONNX")
    np.save(folder / "x3.npy", net.forward(np.array([0.5, -0.25])))
    whole = (folder / "net.onnx").read_bytes()
    (folder / "truncated.onnx").write_bytes(whole[: len(whole) // 2])
    (folder / "net.onnx.gz").write_bytes(gzip.compress(whole))  # as VNN-COMP ships them
    (folder / "not-gzip.onnx.gz").write_bytes(whole)
    packed = gzip.compress(whole)
    (folder / "truncated.onnx.gz").write_bytes(packed[: len(packed) // 2])
    (folder / "text.onnx").write_text("p cnf 1 1\n1 0\n")
    (folder / "empty.onnx").write_bytes(b"")
    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["X"], ["Y"])], "sigmoid",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])])
    onnx.save(helper.make_model(graph), folder / "sigmoid.onnx")
    custom = helper.make_graph(
        [helper.make_node("Gemm", ["X", "W"], ["H"]),
         helper.make_node("Relu", ["H"], ["Y"], domain="com.example")], "custom",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])],
        [onnx.numpy_helper.from_array(np.eye(2, dtype=np.float32), "W")])
    onnx.save(helper.make_model(custom), folder / "custom-domain.onnx")
    cancels = helper.make_graph(  # (relu(W x) + 1e8) - 1e8 is 0 in float32
        [helper.make_node("Gemm", ["X", "W"], ["H"]), helper.make_node("Relu", ["H"], ["R"]),
         helper.make_node("Add", ["R", "C"], ["S"]), helper.make_node("Sub", ["S", "C"], ["Y"])],
        "cancels", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])],
        [onnx.numpy_helper.from_array(np.eye(2, dtype=np.float32), "W"),
         onnx.numpy_helper.from_array(np.array([1e8], dtype=np.float32), "C")])
    onnx.save(helper.make_model(cancels), folder / "cancels.onnx")
    (folder / "underflow.vnnlib").write_text(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
        "(assert (>= Y_0 1e-400))\n")
    (folder / "garbage.vnnlib").write_text("hello world\n")
    (folder / "unbalanced.vnnlib").write_text(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(assert (<= X_0 1.0)\n")
    (folder / "wrong-index.vnnlib").write_text(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
        "(assert (<= X_7 1.0))\n")
    (folder / "latin1.vnnlib").write_bytes(b"; caf\xe9\n(declare-const X_0 Real)\n")
    (folder / "empty.vnnlib").write_text("")
    # VNN-LIB size limits: a 2 MiB comment line in a few kilobytes of gzip; a valid
    # property padded to 20 000 bytes (over a --max-bytes of 10 000)
    with gzip.open(folder / "long-line.vnnlib.gz", "wb") as stream:
        stream.write(b"; " + b"x" * (2 * 2**20) + b"\n")
    (folder / "padded.vnnlib").write_text(
        "; padding\n" * 2000 + "".join(f"(declare-const X_{i} Real)\n" for i in range(2))
        + "".join(f"(declare-const Y_{j} Real)\n" for j in range(3))
        + "(assert (>= X_0 0.0))\n(assert (<= X_0 1.0))\n(assert (>= X_1 0.0))\n"
        "(assert (<= X_1 1.0))\n(assert (>= Y_0 -1.0))\n")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    for name, text in FORMULAS.items():
        if isinstance(text, bytes):
            (base / name).write_bytes(text)
        else:
            (base / name).write_text(text, encoding="utf-8")
    (base / "a-file").write_text("")
    (base / "good.jsonl").write_text(json.dumps(
        {"path": "good.cnf", "family": "x", "verdict": "agree", "key": "k"}) + "\n")
    (base / "a-folder").mkdir()
    (base / "earlier.jsonl").write_text(json.dumps(
        {"path": "other.cnf", "family": "x", "verdict": "agree", "key": "e"}) + "\n")
    _write_compressed(base)
    _write_arrays(base)
    _write_models(base)
    return base


# -- command-line rows --------------------------------------------------------------------

#: id -> (argv with ``{d}`` for the folder, exit code, fragments the one stderr line must
#: hold: the input's name, the place, the rule). Ids ending ``-issue`` are the issue's
#: reproducers, verbatim.
CLI_ROWS: dict[str, tuple[list[str], int, list[str]]] = {
    # formulas: the parser's rules
    "plus-literal-issue": (["check", "{d}/plus.cnf"], BAD, ["plus.cnf:2", "'+1'"]),
    "minus-zero-issue": (["check", "{d}/negzero.cnf"], BAD, ["negzero.cnf:2", "'-0'"]),
    "huge-header-issue": (["check", "{d}/huge-header.cnf"], BAD,
                          ["huge-header.cnf:1", "1180591620717411303424 variables", "max_vars"]),
    "header-clauses-over-limit": (["check", "{d}/many-clauses.cnf"], BAD,
                                  ["many-clauses.cnf:1", "5000000 clauses", "--max-clauses"]),
    "empty-file": (["check", "{d}/empty.cnf"], BAD, ["empty.cnf", "no 'p cnf'"]),
    "comments-only": (["info", "{d}/comments-only.cnf"], BAD, ["comments-only.cnf", "header"]),
    "second-header": (["check", "{d}/second-header.cnf"], BAD,
                      ["second-header.cnf:2", "second 'p' line"]),
    "literal-over-n": (["check", "{d}/literal-over.cnf"], BAD,
                       ["literal-over.cnf:2", "literal 3 exceeds"]),
    "too-many-clauses": (["check", "{d}/too-many.cnf"], BAD, ["too-many.cnf:3", "more clauses"]),
    "too-few-clauses": (["check", "{d}/too-few.cnf"], BAD, ["too-few.cnf", "declares 2 clauses"]),
    "unterminated": (["check", "{d}/unterminated.cnf"], BAD,
                     ["unterminated.cnf", "not terminated by 0"]),
    "hex-literal": (["check", "{d}/hex.cnf"], BAD, ["hex.cnf:2", "'0x12'"]),
    "float-literal": (["check", "{d}/float.cnf"], BAD, ["float.cnf:2", "'1.5'"]),
    "5000-digit-literal": (["check", "{d}/long-literal.cnf"], BAD,
                           ["long-literal.cnf:2", "at most 100 digits"]),
    "header-not-cnf": (["check", "{d}/header-dnf.cnf"], BAD,
                       ["header-dnf.cnf:1", "malformed header"]),
    "header-negative": (["check", "{d}/header-negative.cnf"], BAD,
                        ["header-negative.cnf:1", "variables", "non-negative integer"]),
    "header-plus-sign": (["check", "{d}/header-plus.cnf"], BAD,
                         ["header-plus.cnf:1", "'+2'", "non-negative integer"]),
    "header-extra-field": (["check", "{d}/header-fields.cnf"], BAD,
                           ["header-fields.cnf:1", "at most 4"]),
    "clause-after-percent": (["check", "{d}/after-percent.cnf"], BAD,
                             ["after-percent.cnf:4", "'%'"]),
    "no-header": (["check", "{d}/no-header.cnf"], BAD, ["no-header.cnf:1", "missing 'p cnf'"]),
    "wcnf-weight-zero": (["check", "{d}/weight-zero.wcnf"], BAD,
                         ["weight-zero.wcnf:2", "weight '0'"]),
    "wcnf-weight-float": (["check", "{d}/weight-float.wcnf"], BAD,
                          ["weight-float.wcnf:2", "weight '1.5'"]),
    "wcnf-top-zero": (["check", "{d}/top-zero.wcnf"], BAD, ["top-zero.wcnf:1", "top = 0"]),
    "header-less-vars-over-limit": (["check", "{d}/new-format-big.wcnf"], BAD,
                                    ["new-format-big.wcnf:1", "variable 2000000", "max_vars"]),
    "not-utf8": (["check", "{d}/latin1.cnf"], BAD, ["latin1.cnf", "UTF-8"]),
    "missing-formula": (["check", "{d}/missing.cnf"], BAD, ["missing.cnf", "no such file"]),
    "formula-is-folder": (["check", "{d}/a-folder"], BAD, ["a-folder", "directory"]),
    # formulas: size limits and compression
    "gz-long-comment-line": (["check", "{d}/long-line.cnf.gz"], BAD,
                             ["long-line.cnf.gz:1", "longer than 1048576", "--max-line-length"]),
    "bz2-over-max-bytes": (["check", "{d}/many-lines.cnf.bz2", "--max-bytes", "10000"], BAD,
                           ["many-lines.cnf.bz2", "larger than 10000 bytes", "decompressed"]),
    "max-line-length-flag": (["info", "{d}/good.cnf", "--max-line-length", "5"], BAD,
                             ["good.cnf:1", "longer than 5"]),
    "last-line-over-line-limit": (["info", "{d}/long-last-line.cnf", "--max-line-length",
                                   "20"], BAD, ["long-last-line.cnf:3", "longer than 20"]),
    "max-vars-flag": (["reduce", "{d}/three-vars.cnf", "--max-vars", "2", "-o", "{d}/o.npz"], BAD,
                      ["three-vars.cnf:1", "3 variables", "limit of 2"]),
    "max-clauses-flag": (["solve", "{d}/three-vars.cnf", "--max-clauses", "1"], BAD,
                         ["three-vars.cnf:1", "2 clauses", "limit of 1"]),
    "not-gzip": (["check", "{d}/not-gzip.cnf.gz"], BAD, ["not-gzip.cnf.gz", "decompressed"]),
    "truncated-gzip": (["info", "{d}/truncated.cnf.gz"], BAD,
                       ["truncated.cnf.gz", "decompressed"]),
    # the same formulas through the other readers
    "reduce-plus": (["reduce", "{d}/plus.cnf", "-o", "{d}/o.npz"], BAD, ["plus.cnf:2", "'+1'"]),
    "solve-minus-zero": (["solve", "{d}/negzero.cnf"], BAD, ["negzero.cnf:2", "'-0'"]),
    "info-huge-header": (["info", "{d}/huge-header.cnf"], BAD, ["huge-header.cnf:1", "max_vars"]),
    "export-huge-header": (["export", "{d}/huge-header.cnf", "--format", "vnncomp", "--out",
                            "{d}/bench"], BAD, ["huge-header.cnf:1", "max_vars"]),
    "export-no-variables-issue": (["export", "{d}/good.cnf", "{d}/no-vars.cnf", "--format",
                                   "vnncomp", "--out", "{d}/bench"], BAD,
                                  ["no-vars.cnf: 0 variables", "at least one latent variable"]),
    "export-no-variables-real-latent": (["export", "{d}/no-vars-empty-clause.cnf", "--format",
                                         "vnncomp", "--encoding", "real_latent", "--out",
                                         "{d}/bench"], BAD,
                                        ["no-vars-empty-clause.cnf: 0 variables",
                                         "at least one latent variable"]),
    # saved problems and networks
    "npz-empty-issue": (["solve", "{d}/empty.npz"], BAD, ["empty.npz", "not a NumPy .npz"]),
    "npz-truncated-issue": (["solve", "{d}/truncated.npz"], BAD, ["truncated.npz", ".npz"]),
    "npz-text-issue": (["info", "{d}/text.npz"], BAD, ["text.npz", "not a NumPy .npz"]),
    "npz-is-npy": (["invert", "{d}/array-as.npz"], BAD, ["array-as.npz", "single .npy array"]),
    "npz-bad-crc": (["solve", "{d}/crc.npz"], BAD, ["crc.npz", "CRC"]),
    "npz-object-array": (["solve", "{d}/object.npz"], BAD, ["object.npz", "pickled object"]),
    "npz-no-domain-issue": (["solve", "{d}/no-domain.npz"], BAD, ["no-domain.npz", "domain"]),
    "npz-metadata-not-json": (["info", "{d}/metadata-text.npz"], BAD,
                              ["metadata-text.npz", "'metadata'", "JSON"]),
    "npz-metadata-list": (["solve", "{d}/metadata-list.npz"], BAD,
                          ["metadata-list.npz", "JSON object"]),
    "npz-no-target": (["solve", "{d}/no-target.npz"], BAD, ["no-target.npz", "'target'"]),
    "npz-metadata-only": (["info", "{d}/metadata-only.npz"], BAD,
                          ["metadata-only.npz", "no 'network' entry"]),
    "npz-zip-not-numpy": (["invert", "{d}/zip.npz", "{d}/x.npy"], BAD,
                          ["zip.npz", "no 'network' entry"]),
    "npz-network-to-solve": (["solve", "{d}/net.npz"], BAD, ["net.npz", "not a problem"]),
    "npz-nan-weight": (["invert", "{d}/nan-weights.npz", "{d}/x.npy"], BAD,
                       ["nan-weights.npz", "weights[0][0, 0] is nan; weights[0] must be finite"]),
    "npz-missing": (["solve", "{d}/missing.npz"], BAD, ["missing.npz", "no such file"]),
    "npz-nan-target-issue": (["solve", "{d}/nan-target.npz"], BAD,
                             ["nan-target.npz: target[0] is nan; target must be finite"]),
    # observations and masks
    "npy-empty": (["invert", "{d}/net.npz", "{d}/empty.npy"], BAD, ["empty.npy", ".npy"]),
    "npy-text-issue": (["invert", "{d}/net.npz", "{d}/text.npy"], BAD, ["text.npy", ".npy"]),
    "npy-truncated": (["invert", "{d}/net.npz", "{d}/truncated.npy"], BAD,
                      ["truncated.npy", ".npy"]),
    "npy-pickle": (["invert", "{d}/net.npz", "{d}/object.npy"], BAD, ["object.npy", "pickle"]),
    "npy-complex-issue": (["invert", "{d}/net.npz", "{d}/complex.npy"], BAD,
                          ["complex.npy", "real numbers", "complex"]),
    "npy-strings-issue": (["invert", "{d}/net.npz", "{d}/strings.npy"], BAD,
                          ["strings.npy", "real numbers"]),
    "npy-wrong-shape": (["invert", "{d}/net.npz", "{d}/short.npy"], BAD,
                        ["short.npy", "shape (n,) = (10,)"]),
    "npy-nan": (["invert", "{d}/net.npz", "{d}/nan.npy"], BAD, ["nan.npy", "x[4] is nan"]),
    "npy-huge": (["invert", "{d}/net.npz", "{d}/huge.npy"], BAD,
                 ["huge.npy", "x[0] = 1e+308", "beyond 1e+150"]),
    "npy-huge-noisy": (["invert", "{d}/net.npz", "{d}/huge.npy", "--noise", "l1",
                        "--noise-bound", "1"], BAD, ["huge.npy", "beyond 1e+15 "]),
    "noise-bound-huge": (["invert", "{d}/net.npz", "{d}/x.npy", "--noise", "linf",
                          "--noise-bound", "1e300"], BAD, ["noise_bound = 1e+300"]),
    "npy-missing": (["invert", "{d}/net.npz", "{d}/missing.npy"], BAD,
                    ["missing.npy", "no such file"]),
    "mask-all-false-issue": (["invert", "{d}/net.npz", "{d}/x.npy", "--mask",
                              "{d}/mask-none.npy"], BAD, ["mask", "at least one entry"]),
    "mask-float": (["invert", "{d}/net.npz", "{d}/x.npy", "--mask", "{d}/mask-float.npy"],
                   BAD, ["mask-float.npy", "the mask must be a boolean array"]),
    "mask-short": (["invert", "{d}/net.npz", "{d}/x.npy", "--mask", "{d}/mask-short.npy"],
                   BAD, ["mask-short.npy", "(10,)"]),
    # ONNX and VNN-LIB
    "onnx-text": (["info", "{d}/text.onnx"], BAD, ["text.onnx", "not an ONNX model"]),
    "onnx-empty": (["invert", "{d}/empty.onnx", "{d}/x.npy"], BAD, ["empty.onnx", "ONNX"]),
    "onnx-truncated": (["info", "{d}/truncated.onnx"], BAD, ["truncated.onnx", "ONNX"]),
    "onnx-gz-not-gzip": (["info", "{d}/not-gzip.onnx.gz"], BAD,
                         ["not-gzip.onnx.gz", "cannot be decompressed as gzip"]),
    "onnx-gz-truncated": (["verify", "{d}/truncated.onnx.gz", "{d}/padded.vnnlib"], BAD,
                          ["truncated.onnx.gz", "cannot be decompressed as gzip"]),
    "onnx-unsupported-op": (["info", "{d}/sigmoid.onnx"], BAD, ["sigmoid.onnx", "Sigmoid"]),
    "onnx-missing": (["verify", "{d}/missing.onnx", "{d}/garbage.vnnlib"], BAD,
                     ["missing.onnx", "no such file"]),
    "vnnlib-garbage": (["verify", "{d}/net.onnx", "{d}/garbage.vnnlib"], BAD,
                       ["garbage.vnnlib:1", "outside parentheses"]),
    "vnnlib-unbalanced": (["verify", "{d}/net.onnx", "{d}/unbalanced.vnnlib"], BAD,
                          ["unbalanced.vnnlib:3", "'(' is never closed"]),
    "vnnlib-wrong-index": (["verify", "{d}/net.onnx", "{d}/wrong-index.vnnlib"], BAD,
                           ["wrong-index.vnnlib", "X_7"]),
    "vnnlib-not-utf8": (["verify", "{d}/net.onnx", "{d}/latin1.vnnlib"], BAD,
                        ["latin1.vnnlib", "UTF-8"]),
    "vnnlib-missing": (["verify", "{d}/net.onnx", "{d}/missing.vnnlib"], BAD,
                       ["missing.vnnlib", "no such file"]),
    "verify-saved-problem": (["verify", "{d}/problem.npz", "{d}/padded.vnnlib"], BAD,
                             ["problem.npz", "a saved problem, not a network"]),
    "verify-out-folder": (["verify", "{d}/net.onnx", "{d}/padded.vnnlib", "--out", "{d}"], BAD,
                          ["--out", "is a folder"]),
    "invert-output-under-file": (["invert", "{d}/net.npz", "{d}/x.npy", "-o",
                                  "{d}/a-file/z.npy"], BAD, ["a-file/z.npy"]),
    "vnnlib-long-line-gz-issue": (["verify", "{d}/net.onnx", "{d}/long-line.vnnlib.gz"], BAD,
                                  ["long-line.vnnlib.gz:1", "longer than 1048576",
                                   "--max-line-length"]),
    "vnnlib-over-max-bytes-issue": (["verify", "{d}/net.onnx", "{d}/padded.vnnlib",
                                     "--max-bytes", "10000"], BAD,
                                    ["padded.vnnlib", "larger than 10000 bytes", "--max-bytes"]),
    "vnnlib-over-max-line-length": (["verify", "{d}/net.onnx", "{d}/padded.vnnlib",
                                     "--max-line-length", "8"], BAD,
                                    ["padded.vnnlib:1", "longer than 8", "max_line_length"]),
    "vnnlib-max-bytes-zero": (["verify", "{d}/net.onnx", "{d}/padded.vnnlib",
                               "--max-bytes", "0"], BAD, ["--max-bytes", "at least 1"]),
    # flags
    "time-limit-negative-issue": (["check", "{d}/good.cnf", "--time-limit", "-5"], BAD,
                                  ["--time-limit", "positive", "-5"]),
    "time-limit-zero-issue": (["check", "{d}/good.cnf", "--time-limit", "0"], BAD,
                              ["--time-limit", "positive", "0"]),
    "time-limit-nan-issue": (["check", "{d}/good.cnf", "--time-limit", "nan"], BAD,
                             ["--time-limit", "positive", "nan"]),
    "time-limit-text": (["solve", "{d}/good.cnf", "--time-limit", "soon"], BAD,
                        ["--time-limit", "number of seconds", "'soon'"]),
    "real-l1-budget-zero": (["check", "{d}/good.cnf", "--real-l1-budget", "0"], BAD,
                            ["--real-l1-budget", "positive", "0"]),
    "real-l1-budget-text": (["check", "{d}/good.cnf", "--real-l1-budget", "soon"], BAD,
                            ["--real-l1-budget", "number of seconds", "'soon'"]),
    "real-mip-budget-negative": (["check", "{d}/good.cnf", "--real-mip-budget", "-1"], BAD,
                                 ["--real-mip-budget", "positive", "-1"]),
    "timeout-negative": (["verify", "{d}/net.onnx", "{d}/garbage.vnnlib", "--timeout", "-1"],
                         BAD, ["--timeout", "positive"]),
    "workers-zero": (["validate", "{d}/good.cnf", "--workers", "0"], BAD,
                     ["--workers", "at least 1"]),
    "shard-out-of-range": (["validate", "{d}/good.cnf", "--shard", "3/2"], BAD,
                           ["--shard", "1 <= I <= N"]),
    "max-bytes-zero": (["check", "{d}/good.cnf", "--max-bytes", "0"], BAD,
                       ["--max-bytes", "at least 1"]),
    "max-vars-negative": (["info", "{d}/good.cnf", "--max-vars=-1"], BAD,
                          ["--max-vars", "at least 1"]),
    "max-line-length-text": (["solve", "{d}/good.cnf", "--max-line-length", "long"], BAD,
                             ["--max-line-length", "integer", "'long'"]),
    "tau-negative": (["invert", "{d}/net.npz", "{d}/x.npy", "--tau", "-1"], BAD,
                     ["--tau", ">= 0"]),
    "latent-radius-negative": (["invert", "{d}/net.npz", "{d}/x.npy", "--hybrid",
                                "--latent-radius", "-1"], BAD, ["--latent-radius", ">= 0"]),
    "latent-radius-without-hybrid": (["invert", "{d}/net.npz", "{d}/x.npy",
                                      "--latent-radius", "2"], BAD,
                                     ["--latent-radius applies to --hybrid only"]),
    "lam-zero": (["reduce", "{d}/good.cnf", "--lam", "0", "-o", "{d}/o.npz"], BAD,
                 ["--lam", "at least 1"]),
    "unknown-backend": (["solve", "{d}/good.cnf", "--backend", "magic"], BAD,
                        ["--backend", "'magic'"]),
    "unknown-subcommand": (["frobnicate"], BAD, ["frobnicate", "invalid choice"]),
    "missing-argument": (["check"], BAD, ["FILE", "required"]),
    # output paths
    "validate-out-folder-issue": (["validate", "{d}/good.cnf", "--out", "{d}/a-folder"], BAD,
                                  ["--out", "a-folder", "is a folder"]),
    "validate-out-under-file-issue": (["validate", "{d}/good.cnf", "--out",
                                       "{d}/a-file/x.jsonl"], BAD,
                                      ["--out", "a-file", "not a folder"]),
    "validate-missing-path": (["validate", "{d}/missing-folder", "--out", "{d}/v2.jsonl",
                               "--quiet"], BAD,
                              ["missing-folder", "no such file"]),
    "reduce-output-under-file": (["reduce", "{d}/good.cnf", "-o", "{d}/a-file/p.npz"], BAD,
                                 ["a-file/p.npz"]),
    "validate-out-holds-an-earlier-run": (
        ["validate", "{d}/good.cnf", "--out", "{d}/earlier.jsonl"], BAD,
        ["--out", "earlier.jsonl", "already holds 1 line(s) of an earlier run", "--resume",
         "--overwrite"]),
    "validate-resume-and-overwrite": (
        ["validate", "{d}/good.cnf", "--out", "{d}/v3.jsonl", "--resume", "--overwrite"], BAD,
        ["--resume", "--overwrite", "give one"]),
    "verify-out-is-the-property": (
        ["verify", "{d}/net.onnx", "{d}/padded.vnnlib", "--out", "{d}/padded.vnnlib"], BAD,
        ["--out", "padded.vnnlib", "writing there would destroy it"]),
    "invert-output-is-the-observation": (
        ["invert", "{d}/net.npz", "{d}/x.npy", "-o", "{d}/x.npy"], BAD,
        ["-o", "x.npy", "writing there would destroy it"]),
    "reduce-output-folder": (["reduce", "{d}/good.cnf", "-o", "{d}/a-folder"], BAD,
                             ["a-folder", "is a folder; give a file name"]),
    "report-folder": (["report", "{d}/a-folder"], BAD, ["a-folder", "is a folder"]),
    "onnx-custom-domain": (["info", "{d}/custom-domain.onnx"], BAD,
                           ["custom-domain.onnx", "operator domain 'com.example'"]),
    "onnx-float32-fold-cancels": (["info", "{d}/cancels.onnx"], BAD,
                                  ["cancels.onnx", "computes other values than its folded"]),
    "vnnlib-underflow": (["verify", "{d}/net.onnx", "{d}/underflow.vnnlib"], BAD,
                         ["underflow.vnnlib:4", "'1e-400' is below the float64 range"]),
    "report-missing": (["report", "{d}/missing.jsonl"], BAD, ["missing.jsonl", "no such file"]),
    "report-not-results": (["report", "{d}/good.cnf"], BAD, ["good.cnf", "no records"]),
}

CLI_ROWS.update({
    "merge-out-folder": (["merge", "{d}/good.jsonl", "--out", "{d}/a-folder"], BAD,
                         ["--out", "a-folder", "is a folder"]),
    "export-out-under-file": (["export", "{d}/good.cnf", "--format", "vnncomp", "--out",
                               "{d}/a-file/bench"], BAD,
                              ["a-file/bench", "a-file is a file, not a folder"]),
})
if Path("/dev/full").is_char_device():  # never a regular file: it would be written to
    CLI_ROWS["validate-out-dev-full-issue"] = (
        ["validate", "{d}/good.cnf", "--out", "/dev/full"], BAD,
        ["--out", "/dev/full", "not a regular file"])
    # merge writes beside the target and renames over it: a device would be replaced
    CLI_ROWS["merge-out-dev-full"] = (["merge", "{d}/good.jsonl", "--out", "/dev/full"], BAD,
                                      ["--out", "/dev/full", "not a regular file"])

if Path("/proc/self").is_dir():  # a folder that takes no new file, whoever runs the tests
    for _id, _argv in {
        "invert-output-in-proc-issue": ["invert", "{d}/net.npz", "{d}/x.npy", "-o",
                                        "/proc/z.npy"],
        "reduce-output-in-proc": ["reduce", "{d}/good.cnf", "-o", "/proc/z.npy"],
        "verify-out-in-proc": ["verify", "{d}/net.onnx", "{d}/padded.vnnlib", "--out",
                               "/proc/z.npy"],
        "merge-out-in-proc": ["merge", "{d}/good.jsonl", "--out", "/proc/z.npy"],
        "export-out-in-proc": ["export", "{d}/good.cnf", "--format", "vnncomp", "--out",
                               "/proc/z.npy"],
        "generate-instances-out-in-proc": ["generate-instances", "--out", "/proc/z.npy",
                                           "--family", "pigeonhole"],
    }.items():
        CLI_ROWS[_id] = (_argv, BAD, ["/proc/z.npy", "cannot be created there ("])


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``reluinv.cli.main(argv)`` in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    captured = capsys.readouterr()
    return int(stopped.value.code or 0), captured.out, captured.err


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(("argv", "code", "fragments"), CLI_ROWS.values(), ids=CLI_ROWS.keys())
def test_command_line_row(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
    fragments: list[str],
) -> None:
    got, out, err = run_cli([arg.replace("{d}", str(folder)) for arg in argv], capsys)
    assert "Traceback" not in out + err
    lines = stderr_lines(err)  # usage errors too are one line (no argparse usage first)
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "allow_pickle" not in lines[0]  # never NumPy's advice to load pickles
    assert got == code, err


#: Inputs the issue found refused that are in fact fine.
ACCEPTED = {
    "utf8-bom-issue": ["info", "{d}/bom.cnf"],
    "time-limit-inf": ["check", "{d}/good.cnf", "--time-limit", "inf", "--no-layerwise"],
    "max-flags-raised": ["info", "{d}/huge-header.cnf", "--max-vars",
                         "2000000000000000000000000"],
    "vnnlib-padded-within-limits": ["verify", "{d}/net.onnx", "{d}/padded.vnnlib"],
    "verify-onnx-suffix-any-case": ["verify", "{d}/NET.ONNX", "{d}/padded.vnnlib"],
    "verify-onnx-gz-issue": ["verify", "{d}/net.onnx.gz", "{d}/padded.vnnlib"],
    "info-onnx-gz": ["info", "{d}/net.onnx.gz"],
    "invert-onnx-gz": ["invert", "{d}/net.onnx.gz", "{d}/x3.npy"],
}


@pytest.mark.parametrize("argv", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepted_rows(folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    got, out, err = run_cli([arg.replace("{d}", str(folder)) for arg in argv], capsys)
    assert (got, stderr_lines(err)) == (OK, [])
    assert "Traceback" not in out + err


@pytest.mark.slow
def test_validate_records_a_file_over_the_line_limit_and_goes_on(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hostile file in a run is that file's error record, not the run's end."""
    results = folder / "mixed.jsonl"
    got, out, _ = run_cli(["validate", str(folder / "good.cnf"), str(folder / "long-line.cnf.gz"),
                           "--out", str(results), "--quiet"], capsys)
    records = [json.loads(line) for line in results.read_text().splitlines()]
    verdicts = {Path(r["path"]).name: r["verdict"] for r in records}
    assert verdicts == {"good.cnf": "agree", "long-line.cnf.gz": "error"}
    error = next(r["error"] for r in records if r["verdict"] == "error")
    assert "long-line.cnf.gz:1: line longer than 1048576 characters" in error
    assert got == BAD
    assert "Traceback" not in out


# -- API rows -----------------------------------------------------------------------------

SMALL = ri.parse_dimacs("p cnf 2 1\n1 2 0\n")
NET = ri.random_network([2, 6, 10], rng=np.random.default_rng(0))
X = NET.forward(np.array([0.5, -0.25]))

#: id -> (call, error type, fragments of the one-line message).
API_ROWS: dict[str, tuple[Callable[[], Any], type[Exception], list[str]]] = {
    "solve_sat-None-issue": (lambda: ri.solve_sat(None), InvalidTypeError,
                             ["formula", "NoneType"]),
    "solve_maxsat-text": (lambda: ri.solve_maxsat("p cnf 1 1\n1 0\n"),
                          InvalidTypeError, ["formula", "str"]),
    "Formula-float-literal-issue": (lambda: ri.Formula(2, [[1, 2.5]]),
                                    InvalidTypeError, ["clauses[0][1]", "2.5", "int"]),
    "Formula-float-weight-issue": (lambda: ri.Formula(2, [[1]], weights=[1.5]),
                                   InvalidTypeError, ["weights[0]", "1.5", "int"]),
    "Formula-bool-literal": (lambda: ri.Formula(2, [[True]]), InvalidTypeError,
                             ["clauses[0][0]", "int"]),
    "Formula-clauses-None": (lambda: ri.Formula(2, None), InvalidTypeError,
                             ["clauses", "NoneType"]),
    "Formula-flat-clauses": (lambda: ri.Formula(2, [1, 2]), InvalidTypeError,
                             ["clauses[0]", "int"]),
    "Formula-string-clause": (lambda: ri.Formula(2, ["1 2"]), InvalidTypeError,
                              ["clauses[0]", "str"]),
    "Formula-num_vars-text": (lambda: ri.Formula("2", []), InvalidArgumentError,
                              ["num_vars", "int"]),
    "Formula-literal-zero": (lambda: ri.Formula(2, [[0]]), InvalidArgumentError,
                             ["clauses[0]", "literal 0"]),
    "parse_dimacs-format-bogus-issue": (lambda: ri.parse_dimacs("p cnf 1 1\n1 0\n",
                                                                format="bogus"),
                                        InvalidArgumentError, ["format", "'bogus'"]),
    "read_dimacs-format-bogus": (lambda: ri.read_dimacs("x.cnf", format="bogus"),
                                 InvalidArgumentError, ["format", "'bogus'"]),
    "read_dimacs-None": (lambda: ri.read_dimacs(None), InvalidTypeError,
                         ["path", "NoneType"]),
    "parse_dimacs-bytes": (lambda: ri.parse_dimacs(b"p cnf 1 1\n1 0\n"),
                           InvalidTypeError, ["text", "bytes"]),
    "parse_dimacs-None": (lambda: ri.parse_dimacs(None), InvalidTypeError,
                          ["text", "NoneType"]),
    "parse_dimacs-minus-zero": (lambda: ri.parse_dimacs("p cnf 2 2\n1 -0\n2 0\n"), DimacsError,
                                ["<string>:2", "'-0'"]),
    "parse_dimacs-limits-typo": (lambda: ri.parse_dimacs("p cnf 1 1\n1 0\n",
                                                         limits={"max_var": 3}),
                                 InvalidArgumentError, ["limits", "'max_var'"]),
    "parse_dimacs-over-max-vars": (lambda: ri.parse_dimacs("p cnf 3 0\n",
                                                           limits=DimacsLimits(max_vars=2)),
                                   DimacsError, ["<string>:1", "limit of 2"]),
    "DimacsLimits-zero": (lambda: DimacsLimits(max_clauses=0), InvalidArgumentError,
                          ["max_clauses", "at least 1"]),
    "DimacsLimits-float": (lambda: DimacsLimits(max_bytes=1.5), InvalidTypeError,
                           ["max_bytes", "int"]),
    "format_dimacs-text": (lambda: ri.format_dimacs("p cnf 1 1\n1 0\n"), InvalidTypeError,
                           ["formula", "str"]),
    "write_dimacs-path-None": (lambda: ri.write_dimacs(SMALL, None), InvalidTypeError,
                               ["path", "NoneType"]),
    "falsified-None": (lambda: SMALL.falsified(None), InvalidTypeError,
                       ["assignment", "NoneType"]),
    "falsified-two": (lambda: SMALL.falsified([2, 0]), InvalidArgumentError,
                      ["assignment[0]", "0 or 1"]),
    "invert_layerwise-complex-x-issue": (lambda: ri.invert_layerwise(NET, X.astype(complex)),
                                         InvalidTypeError, ["x", "complex"]),
    "invert_layerwise-string-x-issue": (lambda: ri.invert_layerwise(NET, "0.5"),
                                        InvalidTypeError, ["x", "str"]),
    "invert_layerwise-string-array-x-issue": (
        lambda: ri.invert_layerwise(NET, np.array([str(v) for v in X])),
        InvalidTypeError, ["x", "real numbers"]),
    "invert_layerwise-bool-x": (lambda: ri.invert_layerwise(NET, X > 0), InvalidTypeError,
                                ["x", "bool"]),
    "invert_layerwise-mask-all-false-issue": (
        lambda: ri.invert_layerwise(NET, X, mask=np.zeros(10, dtype=bool)),
        InvalidArgumentError, ["mask", "at least one entry"]),
    "invert_layerwise-mask-int": (lambda: ri.invert_layerwise(NET, X, mask=np.ones(10, int)),
                                  ShapeError, ["mask", "boolean"]),
    "invert_layerwise-noise-l2": (lambda: ri.invert_layerwise(NET, X, noise="l2"),
                                  InvalidArgumentError, ["noise", "'l2'"]),
    "invert_layerwise-nan-x": (lambda: ri.invert_layerwise(NET, X * np.nan), NonFiniteError,
                               ["x[0]", "finite"]),
    "invert_layerwise-network-None": (lambda: ri.invert_layerwise(None, X),
                                      InvalidTypeError, ["network", "NoneType"]),
    "random_network-runaway-issue": (
        lambda: ri.random_network([1, 10**9], rng=np.random.default_rng(0)),
        InvalidArgumentError, ["sizes", "1000000000 weights", "max_weights"]),
    "random_network-over-max-weights": (
        lambda: ri.random_network([2, 10], rng=np.random.default_rng(0), max_weights=19),
        InvalidArgumentError, ["20 weights", "max_weights = 19"]),
    "random_network-seed-not-rng": (lambda: ri.random_network([2, 3], rng=0),
                                    InvalidTypeError, ["rng", "Generator"]),
    "random_network-one-size": (lambda: ri.random_network([2], rng=np.random.default_rng(0)),
                                ShapeError, ["sizes", "two"]),
    "check_instance-None": (lambda: ri.check_instance(None), InvalidTypeError,
                            ["formula_or_path", "NoneType"]),
    "check_instance-time-limit-negative": (lambda: ri.check_instance(SMALL, time_limit=-5),
                                           InvalidArgumentError, ["time_limit", "positive"]),
    "check_instance-time-limit-nan": (lambda: ri.check_instance(SMALL, time_limit=math.nan),
                                      InvalidArgumentError, ["time_limit", "nan"]),
    "check_instance-time-limit-text": (lambda: ri.check_instance(SMALL, time_limit="5"),
                                       InvalidTypeError, ["time_limit", "str"]),
    "check_time_limit-zero": (lambda: check_time_limit(0, "--time-limit"), InvalidArgumentError,
                              ["--time-limit", "positive"]),
    "encode-None": (lambda: ri.encode(None), InvalidTypeError,
                    ["formula", "NoneType"]),
    "encode-latent-bogus": (lambda: ri.encode(SMALL, latent="bogus"),
                            InvalidArgumentError, ["latent", "'bogus'"]),
    "solve_exact-None": (lambda: ri.solve_exact(None), InvalidTypeError,
                         ["problem", "NoneType"]),
    "solve_exact-backend": (lambda: ri.solve_exact(ri.encode(SMALL), backend="magic"),
                            InvalidArgumentError, ["backend", "'magic'"]),
    "solve_sat-proof-text": (lambda: ri.solve_sat(SMALL, proof="yes"),
                             InvalidTypeError, ["proof", "str"]),
    "from_pysat-list": (lambda: ri.Formula.from_pysat([[1, 2]]),
                        InvalidTypeError, ["obj", "list"]),
    "from_pysat-num_vars-small": (lambda: ri.Formula.from_pysat(CNF(from_clauses=[[3]]), 2),
                                  InvalidArgumentError, ["num_vars = 2", "obj.nv = 3"]),
    "read_onnx-None": (lambda: ri.read_onnx(None), InvalidTypeError, ["path", "NoneType"]),
    "read_vnnlib-None": (lambda: ri.read_vnnlib(None, 2, 3), InvalidTypeError,
                         ["path", "NoneType"]),
    "read_vnnlib-negative-inputs": (lambda: ri.read_vnnlib("missing.vnnlib", -1, 3),
                                    InvalidArgumentError, ["n_inputs"]),
    "invert-None": (lambda: ri.invert(None, X), InvalidTypeError,
                    ["network", "NoneType"]),
    "invert-time-limit-zero": (lambda: ri.invert(NET, X, time_limit=0), InvalidArgumentError,
                               ["time_limit", "positive", "got 0"]),
    "decode-None-issue": (lambda: ri.decode(ri.encode(SMALL), None), InvalidTypeError,
                          ["z", "sequence of numbers", "NoneType"]),
    "decode-text": (lambda: ri.decode(ri.encode(SMALL), "01"), InvalidTypeError,
                    ["z", "str"]),
    "lift-text-issue": (lambda: ri.lift(ri.encode(SMALL), "x"), InvalidTypeError,
                        ["assignment", "0/1 values", "str"]),
    "lift-None": (lambda: ri.lift(ri.encode(SMALL), None), InvalidTypeError,
                  ["assignment", "NoneType"]),
    "lift-text-values": (lambda: ri.lift(ri.encode(SMALL), ["0", "1"]), InvalidTypeError,
                         ["assignment[0]", "'0'", "str"]),
    "falsified-text-values": (lambda: SMALL.falsified(["1", 0]), InvalidTypeError,
                              ["assignment[0]", "'1'", "str"]),
    "falsified-half": (lambda: SMALL.falsified([0.5, 0]), InvalidArgumentError,
                       ["assignment[0]", "0.5", "0 or 1"]),
    "forward-text-issue": (lambda: NET.forward("abc"), InvalidTypeError,
                           ["z", "array of numbers", "str"]),
    "forward-text-array": (lambda: NET.forward(np.array(["0.5", "1"])), InvalidTypeError,
                           ["z", "real numbers", "<U3"]),
    "forward-complex": (lambda: NET.forward(np.array([0.5, 1j])), InvalidTypeError,
                        ["z", "real numbers", "complex128"]),
    "forward-object-text": (lambda: NET.forward([0.5, "1"]), InvalidTypeError,
                            ["z", "real numbers"]),
    "forward-bool-array": (lambda: NET.forward(np.array([True, False])), InvalidTypeError,
                           ["z", "real numbers", "bool"]),
    "forward-bool-in-list": (lambda: NET.forward([0.5, True]), InvalidTypeError,
                             ["z", "real numbers", "bool"]),
    "loss-None": (lambda: ri.encode(SMALL).loss(None), InvalidTypeError,
                  ["z", "NoneType"]),
    "check_drup_proof-None-issue": (lambda: check_drup_proof(None, ["0"]), InvalidTypeError,
                                    ["clauses", "NoneType"]),
    "check_drup_proof-lines-None": (lambda: check_drup_proof([[1], [-1]], None),
                                    InvalidTypeError, ["proof_lines", "NoneType"]),
    "check_drup_proof-one-string": (lambda: check_drup_proof([[1], [-1]], "0"),
                                    InvalidTypeError, ["proof_lines", "str"]),
    "check_drup_proof-int-line": (lambda: check_drup_proof([[1], [-1]], [0]),
                                  InvalidTypeError, ["proof_lines[0]", "int"]),
    "check_drup_proof-flat-clauses": (lambda: check_drup_proof([1, -1], ["0"]),
                                      InvalidTypeError, ["clauses[0]", "int"]),
    "parse_vnnlib-long-line": (lambda: parse_vnnlib("; " + "x" * 20, 1, 1,
                                                    limits=TextLimits(max_line_length=10)),
                               VnnlibError, ["<string>:1", "longer than 10"]),
    "parse_vnnlib-bytes": (lambda: parse_vnnlib(b"(declare-const X_0 Real)", 1, 1),
                           InvalidTypeError, ["text", "bytes"]),
    "read_vnnlib-limits-dict": (lambda: ri.read_vnnlib("p.vnnlib", 1, 1,
                                                       limits={"max_bytes": 5}),
                                InvalidTypeError, ["limits", "TextLimits", "dict"]),
    "TextLimits-zero": (lambda: TextLimits(max_line_length=0), InvalidArgumentError,
                        ["max_line_length", "at least 1"]),
    "to_dense-over-max-entries": (lambda: NET.to_sparse().to_dense(max_entries=71),
                                  InvalidArgumentError,
                                  ["2 x 6 x 10 network needs 72 weights", "max_entries = 71",
                                   "stays sparse"]),
    "to_dense-max-entries-text": (lambda: NET.to_sparse().to_dense(max_entries="72"),
                                  InvalidTypeError, ["max_entries", "int", "str"]),
    "random_network-max-weights-float": (
        lambda: ri.random_network([2, 3], rng=np.random.default_rng(0), max_weights=1e9),
        InvalidTypeError, ["max_weights", "int", "float"]),
    "write_onnx-csr-too-large-issue": (
        lambda: ri.write_onnx(ri.ReluNetwork([sp.csr_array((10**5, 10**4))]), "never.onnx"),
        InvalidArgumentError, ["write_onnx", "needs 1000000000 weights", "max_entries"]),
    "write_onnx-no-input": (
        lambda: ri.write_onnx(ri.encode(ri.parse_dimacs("p cnf 0 1\n0\n")).network,
                              "never.onnx"),
        InvalidArgumentError, ["write_onnx", "0 x 0 x 1 network", "W1", "no entries"]),
    "export_vnncomp-no-variables": (
        lambda: export_vnncomp([ri.parse_dimacs("p cnf 0 0\n")], "never-written"),
        InvalidArgumentError, ["formula 0: 0 variables", "at least one latent variable"]),
    "verify-None": (lambda: ri.verify(NET, None), InvalidTypeError,
                    ["prop", "NoneType"]),
}


@pytest.mark.parametrize(("call", "error", "fragments"), API_ROWS.values(), ids=API_ROWS.keys())
def test_api_row(call: Callable[[], Any], error: type[Exception], fragments: list[str]) -> None:
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_the_table_has_at_least_80_hostile_inputs() -> None:
    assert len(CLI_ROWS) + len(API_ROWS) >= 80


# -- the last resort ----------------------------------------------------------------------

#: A valid command line per subcommand (the handler is replaced, so nothing is computed).
VALID_ARGV = {
    "validate": ["validate", "x.cnf"], "report": ["report", "r.jsonl"],
    "merge": ["merge", "r.jsonl", "--out", "all.jsonl"], "check": ["check", "x.cnf"],
    "info": ["info", "x.cnf"], "reduce": ["reduce", "x.cnf", "-o", "p.npz"],
    "solve": ["solve", "x.cnf"], "invert": ["invert", "net.npz", "x.npy"],
    "generate-instances": ["generate-instances"],
    "verify": ["verify", "net.onnx", "p.vnnlib"],
    "export": ["export", "x.cnf", "--format", "vnncomp", "--out", "bench"],
}


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if a.dest == "command"]
    return sorted(actions[0].choices)


def test_every_subcommand_is_covered_by_the_last_resort_test() -> None:
    assert sorted(VALID_ARGV) == subcommands()
    assert len(SUBCOMMANDS) <= len(VALID_ARGV)


ODD_ERRORS = [KeyError("domain"), AttributeError("'list' object has no attribute 'get'"),
              OverflowError("cannot fit 'int' into an index-sized integer"),
              MemoryError(), RuntimeError("two\nlines"), ZeroDivisionError("division by zero")]


@pytest.mark.parametrize("command", sorted(VALID_ARGV))
@pytest.mark.parametrize("error", ODD_ERRORS, ids=lambda e: type(e).__name__)
def test_no_command_path_leaks_a_traceback(
    command: str, error: Exception, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every subcommand's implementation replaced by one that raises an error no handler
    expects: one line naming the subcommand, "please report", exit 2."""
    import argparse

    real_parse = argparse.ArgumentParser.parse_args

    def parse_then_break(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        namespace = real_parse(self, *args, **kwargs)
        if getattr(namespace, "command", None) == command:

            def broken(*_: object) -> int:
                raise error

            namespace.handler = broken
        return namespace

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_break)
    got, out, err = run_cli(VALID_ARGV[command], capsys)
    lines = stderr_lines(err)
    assert got == BAD
    assert len(lines) == 1, err
    assert lines[0].startswith(f"reluinv {command}: internal error: {type(error).__name__}")
    assert "please report" in lines[0]
    assert "Traceback" not in out + err
