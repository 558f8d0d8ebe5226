"""``reluinv invert NET [X.npy]``: run the layer-wise inverter and report what it found.

With ``--hybrid`` it runs :func:`reluinv.invert` instead: the layer-wise inverter, then
the exact MIP where that is inconclusive, the answer replayed exactly.

Under noise with ``--noise-bound B`` a ``verdict`` line follows the status and says what a
``recovered`` established: ``G(z)`` within ``B`` itself, or only within the propagated
bound ``B + spread`` (:class:`~reluinv.layerwise.inverter.LayerwiseResult`'s
``within_noise`` and ``output_spread``), with the residual and the bound it was compared
against.

Both modes search real latent codes, so a problem file whose latent domain is binary or
integer is refused with a usage error rather than answered with a ``z`` outside its
domain: ``reluinv solve`` inverts it exactly. The hybrid's exact stage searches a bare
network's latent code in ``[-r, r]^k`` (``--latent-radius``), and a problem file's in the
problem's own box (``--latent-radius R`` then cuts that box to ``[-R, R]^k``; an infinite
side is cut at the default radius), so its "no pre-image in the box" is about that box; a
layer-wise code outside the problem's box is handed to the exact stage.

Exit codes: 0 ``recovered``, 3 ``no_preimage``, 4 ``inconclusive`` or ``fit`` (a noisy
best fit without ``--noise-bound``: nothing certified) or a solver failure under
``--hybrid`` (nothing known), 2 usage errors and bad input (one error line on stderr).
"""

from __future__ import annotations

import argparse
import math
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from reluinv.cli.common import (
    add_subcommand,
    nonnegative_flag,
    output_file_problem,
    report_failure,
    same_file_as_an_input,
    time_limit_flag,
    write_output,
)
from reluinv.cli.exit_codes import ExitCode
from reluinv.data.files import load_array, load_network_or_problem
from reluinv.data.problem import InversionProblem
from reluinv.errors import ProblemFileError, ReluinvError, UnsupportedProblemError
from reluinv.layerwise.hybrid import BOX_TOLERANCE, InversionResult, box_text, invert
from reluinv.layerwise.inverter import (
    ACTIVE_THRESHOLD,
    NOISE_MODELS,
    LayerDiagnostic,
    LayerwiseResult,
    LayerwiseStatus,
    invert_layerwise,
)

__all__ = ["EXIT_CODES", "format_hybrid", "format_result", "handle", "register"]

#: Exit code per status.
EXIT_CODES = {
    LayerwiseStatus.RECOVERED: ExitCode.OK,
    LayerwiseStatus.NO_PREIMAGE: ExitCode.NO_SOLUTION,
    LayerwiseStatus.INCONCLUSIVE: ExitCode.UNKNOWN,
    LayerwiseStatus.FIT: ExitCode.UNKNOWN,
}


def register(subparsers: Any) -> None:
    parser = add_subcommand(
        subparsers, "invert",
        help="invert a network one layer at a time (LP / least squares per layer)",
        description=(
            "Recover z with G(z) = x by inverting the last layer, then the one before, down "
            "to z (Lei, Jalal, Dhillon, Dimakis 2019). NET is a saved network or problem "
            "(.npz) or an ONNX model (.onnx or gzip-compressed .onnx.gz, by its suffix); "
            "X.npy is the observation "
            "(default: the problem's target). z is searched among real vectors: a problem "
            "whose latent is binary or integer is refused (reluinv solve inverts it "
            "exactly). Prints "
            "the status, under noise a verdict line (G(z) within the noise bound, or only "
            "within the propagated bound), residuals, one line per layer and the time. "
            "Exit code 0 recovered, "
            "3 no pre-image (certified), 4 inconclusive or an uncertified noisy fit (no "
            "--noise-bound), 2 bad input."
        ),
        codes=EXIT_CODES.values(),
    )
    parser.add_argument("net", metavar="NET")
    parser.add_argument("x", metavar="X.npy", nargs="?", default=None)
    parser.add_argument("--noise", choices=NOISE_MODELS, default="none",
                        help="noise model: linf (largest misfit), l1 (the paper's LP (6): "
                             "active rows' summed misfit, the rest within the noise budget), "
                             "l1_total (every row's summed misfit)")
    parser.add_argument("--mask", metavar="M.npy", default=None,
                        help="boolean array: observed outputs (default: the problem's mask)")
    parser.add_argument("--tau", type=nonnegative_flag("--tau"), default=None,
                        help=f"activity threshold (default {ACTIVE_THRESHOLD:g} times the layer's "
                             "largest value, at least 1; under noise "
                             "the thresholds follow the noise and this is a floor)")
    parser.add_argument("--noise-bound", type=nonnegative_flag("--noise-bound"), default=None,
                        help="the bound B on the noise (linf: max |e|, l1: sum |e|). A "
                             "noisy inversion is recovered when every layer's misfit is "
                             "consistent with B and ||G(z) - x|| <= B + spread + tolerance, "
                             "the spread being how far G(z) may move while the top hidden "
                             "layer is known only within its propagated error bound: z is "
                             "then within the propagated bound of the truth, and G(z) need "
                             "not be within B (the verdict line says which, with the "
                             "residual and the bound it was compared against). Without B "
                             "only a fit (exit code 4)")
    parser.add_argument("--hybrid", action="store_true",
                        help="where layer-wise is inconclusive, solve the exact MIP over the "
                             "latent box (reluinv.invert)")
    parser.add_argument("--time-limit", type=time_limit_flag(), default=argparse.SUPPRESS,
                        metavar="S", help="seconds for --hybrid (default 60; inf: none)")
    parser.add_argument("--latent-radius", type=nonnegative_flag("--latent-radius"),
                        default=None, metavar="R",
                        help="--hybrid: the latent box [-R, R]^k (default max(5, 2 "
                             "||z_layerwise||_inf)); for a problem file the box is the "
                             "problem's own, cut to [-R, R]^k when R is given")
    parser.add_argument("--certify-unique", action="store_true",
                        help="--hybrid: certify the pre-image unique in the box, or find "
                             "another")
    parser.add_argument("-o", "--output", metavar="Z.npy", default=None,
                        help="write the latent code found to this file, under exactly this "
                             "name (no suffix is added); checked before anything is solved")
    parser.set_defaults(handler=handle)


def _format_layer(diag: LayerDiagnostic) -> str:
    eps = "-" if diag.eps is None else f"{diag.eps:.3g}"
    status = diag.lp_status or "-"
    cert = ""
    if diag.certificate is not None:
        c = diag.certificate
        cert = (f"  certificate gap {c.gap:.3g} violation {c.violation:.3g} "
                f"radius {c.radius:.3g} verified {c.verified}")
    return (
        f"  {diag.layer:>5} {diag.rows:>5} {diag.tau:>8.2g} {diag.active:>6} {diag.rank:>5} "
        f"{diag.unknowns:>5} {diag.equality_rows:>5} {'yes' if diag.pinned else 'no':>6} "
        f"{diag.method:>6} {eps:>9} {diag.residual:>9.3g} {diag.seconds:>8.4f}  {status}{cert}"
    )


def _noisy_verdict(result: LayerwiseResult, within: bool | None) -> list[str]:
    """The ``verdict`` line of a noisy inversion with a stated bound: what a ``recovered``
    means here, with the residual measured and the bound it was compared against."""
    if (result.noise == "none" or result.noise_estimated or result.z is None
            or within is None or result.noise_level is None):
        return []
    norm, measured = (("linf", result.residual) if result.noise == "linf"
                      else ("l1", result.residual_l1))
    if within:
        return [f"verdict     G(z) within the noise bound: {norm} residual {measured:.3g} "
                f"<= noise bound {result.noise_level:.3g} (+ tolerance)"]
    if result.status is not LayerwiseStatus.RECOVERED:
        return []
    return [f"verdict     within the propagated bound only, G(z) not within the noise "
            f"bound: {norm} residual {measured:.3g} > noise bound {result.noise_level:.3g}; "
            f"<= {result.residual_bound:.3g} = noise bound + spread "
            f"{result.output_spread:.3g} + tolerance"
            + (f"; ||z - z*||_{norm[1:]} <= {result.latent_error_bound:.3g} if the noise is "
               "within the noise bound" if math.isfinite(result.latent_error_bound) else "")]


def format_result(result: LayerwiseResult) -> list[str]:
    """The report printed by ``reluinv invert``."""
    lines = [
        f"status      {result.status.value}",
        *_noisy_verdict(result, result.within_noise),
        f"message     {result.message}",
        f"noise       {result.noise} (tau {result.tau:g}; each layer's in the table below; "
        f"feasibility tol {result.feasibility_tol:g})",
        f"residual    linf {result.residual:.3g}  l1 {result.residual_l1:.3g}  "
        f"l2 {result.residual_l2:.3g}  (bound {result.residual_bound:.3g})",
        *([f"exact       linf {result.exact_residual:.3g} (rational arithmetic at z)"]
          if result.exact_residual is not None else []),
        f"seconds     {result.seconds:.4f}",
        "layers (last first):",
        f"  {'layer':>5} {'rows':>5} {'tau':>8} {'active':>6} {'rank':>5} {'n_in':>5} "
        f"{'eqs':>5} {'pinned':>6} {'method':>6} {'eps':>9} {'residual':>9} {'seconds':>8}"
        "  lp status",
    ]
    lines.extend(_format_layer(diag) for diag in result.layers)
    return lines


def format_hybrid(result: InversionResult) -> list[str]:
    """The report printed by ``reluinv invert --hybrid``: the hybrid's answer, then the
    layer-wise stage's report indented."""
    stages = ", ".join(f"{name} {value:.3f}" for name, value in result.stage_seconds.items())
    verdict: list[str] = []
    if result.status is LayerwiseStatus.RECOVERED and result.path == "layerwise":
        verdict = _noisy_verdict(result.layerwise, result.layerwise.within_noise)
    elif result.status is LayerwiseStatus.RECOVERED and result.noise != "none":
        norm, measured = (("linf", result.residual) if result.noise == "linf"
                          else ("l1", result.residual_l1))
        verdict = [f"verdict     G(z) within the noise bound: {norm} residual {measured:.3g} "
                   f"<= noise bound {result.residual_bound:.3g} (replayed)"]
    lines = [
        f"status      {result.status.value}",
        *verdict,
        f"message     {result.message}",
        f"path        {result.path}",
    ]
    if result.z is not None:
        lines.append(f"residual    linf {result.residual:.3g}  l1 {result.residual_l1:.3g}  "
                     f"(bound {result.residual_bound:.3g}, replay {result.replay})")
    if result.latent_lower is not None and result.latent_upper is not None:
        lines.append(f"box         {box_text(result.latent_lower, result.latent_upper)}"
                     f" (binds: {'yes' if result.box_binds else 'no'})")
    if result.uniqueness is not None:
        u = result.uniqueness
        distance = "" if u.distance is None else f", second pre-image at linf {u.distance:.3g}"
        lines.append(f"uniqueness  {u.status.value}{distance}")
    lines.append(f"seconds     {result.seconds:.4f} ({stages})")
    lines.append("layer-wise stage:")
    lines.extend(f"  {line}" for line in format_result(result.layerwise))
    return lines


#: Flags that only ``--hybrid`` reads: (dest, flag); each is absent, ``None`` or ``False``
#: when not given (``--time-limit inf`` is ``None`` too, so it has no default at all).
HYBRID_FLAGS = (("certify_unique", "--certify-unique"), ("latent_radius", "--latent-radius"),
                ("time_limit", "--time-limit"))
#: ``--time-limit`` of ``--hybrid`` when not given, seconds.
DEFAULT_HYBRID_SECONDS = 60.0


def usage_problem(args: argparse.Namespace) -> str | None:
    """A flag given that this command line would ignore, or an output file that cannot be
    written (``None`` when there is none): checked before anything is read or solved."""
    if not args.hybrid:
        for dest, flag in HYBRID_FLAGS:
            given = (dest in vars(args) if dest == "time_limit"
                     else getattr(args, dest) not in (None, False))
            if given:
                return f"{flag} applies to --hybrid only"
    if args.noise_bound is not None and args.noise == "none":
        return "--noise-bound needs a noise model (--noise linf, l1 or l1_total)"
    if args.output is not None:
        problem = output_file_problem(args.output) or same_file_as_an_input(
            args.output, [args.net, args.x, args.mask])
        if problem is not None:
            return f"-o {args.output}: {problem}"
    return None


def _save_array(path: str, array: npt.NDArray[Any]) -> None:
    """``np.save`` under exactly ``path`` (``np.save`` itself appends ``.npy``)."""
    with open(path, "wb") as stream:
        np.save(stream, array)


def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    problem = usage_problem(args)
    if problem is not None:
        print(f"reluinv invert: error: {problem}", file=err)
        return ExitCode.BAD_INPUT
    path = args.net
    try:
        loaded = load_network_or_problem(path)
        mask: npt.NDArray[Any] | None = None
        x: npt.NDArray[Any] | None = None
        box: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None = None
        if isinstance(loaded, InversionProblem):
            domain = loaded.domain
            if domain.kind != "real":
                raise UnsupportedProblemError(
                    f"{args.net}: the problem's latent code is {domain.kind} (k = "
                    f"{domain.dim}); invert searches real latent codes (layer-wise and "
                    "--hybrid alike), whose answer would not be one of this problem: "
                    "solve it exactly with reluinv solve")
            network, x, mask = loaded.network, loaded.target, loaded.mask
            box = (domain.lower, domain.upper)
        else:
            network = loaded
        if args.x is not None:
            path = args.x
            x = load_array(args.x, "X")
        if x is None:
            raise ProblemFileError(f"{args.net}: a bare network needs an observation X.npy")
        if args.mask is not None:
            path = args.mask
            mask = load_array(args.mask, "mask")
            if mask.dtype != np.bool_ or mask.shape != (network.output_dim,):
                raise ProblemFileError(
                    f"{args.mask}: the mask must be a boolean array of shape "
                    f"({network.output_dim},), got {mask.dtype} {mask.shape}")
        path = args.x if args.x is not None else args.net
        result: LayerwiseResult | InversionResult
        if args.hybrid:
            result = invert(network, x, noise=args.noise, mask=mask, tau=args.tau,
                            noise_bound=args.noise_bound,
                            time_limit=vars(args).get("time_limit",
                                                      DEFAULT_HYBRID_SECONDS),
                            latent_radius=args.latent_radius, latent_box=box,
                            certify_unique=args.certify_unique)
            lines = format_hybrid(result)
        else:
            result = invert_layerwise(network, x, noise=args.noise, mask=mask, tau=args.tau,
                                      noise_bound=args.noise_bound)
            lines = format_result(result)
    except (OSError, ReluinvError, ValueError, TypeError) as exc:  # SolverError: unknown
        return report_failure(path, exc, err)
    outside = _outside_domain(loaded, result.z)
    if outside is not None:
        lines.append(f"domain      {outside}: not an answer to this problem")
    print("\n".join(lines), file=out)
    if args.output is not None and result.z is not None:
        z = result.z
        if not write_output(args.output, lambda target: _save_array(target, z), err):
            return ExitCode.BAD_INPUT
        print(f"wrote       {args.output}", file=out)
    return ExitCode.UNKNOWN if outside is not None else EXIT_CODES[result.status]


#: How far outside a problem's latent box a code may lie (times ``max(1, ||z||_inf)``) and
#: still count as in it: the hybrid's own :data:`~reluinv.layerwise.hybrid.BOX_TOLERANCE`.
DOMAIN_TOLERANCE = BOX_TOLERANCE


def _outside_domain(loaded: object, z: npt.NDArray[Any] | None) -> str | None:
    """Why ``z`` is not in a problem file's latent box, or ``None``. The layer-wise
    inverter searches all of ``R^k``, so a code it recovers can lie outside the box the
    problem states (the real-latent reduction's ``[-1, 2]^k``, where lemma L4's gadget is
    exact); it is then reported and the exit code is "unknown", never "recovered". The
    hybrid searches the problem's box itself; this check stays as its replay."""
    if not isinstance(loaded, InversionProblem) or z is None:
        return None
    lower, upper = loaded.domain.lower, loaded.domain.upper
    excess = float(np.max(np.maximum(lower - z, z - upper), initial=0.0))
    scale = max(1.0, float(np.max(np.abs(z), initial=0.0)))
    if excess <= DOMAIN_TOLERANCE * scale:  # a code on the box's face, up to rounding
        return None
    return (f"z lies outside the problem's latent box by up to {excess:.3g} (box "
            f"[{float(np.min(lower)):g}, {float(np.max(upper)):g}] per coordinate)")
