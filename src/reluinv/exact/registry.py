"""The exact backends by name, the options each takes, and the rule of ``backend="auto"``.

:data:`BACKENDS` maps each name of :data:`EXACT_BACKENDS` to its
:class:`~reluinv.exact.backend.ExactBackend`. A caller's options are checked against the
chosen backend's ``options_type`` (:func:`options_for`): an option it does not take raises
:class:`~reluinv.errors.InvalidArgumentError` naming the option and the backends that take
it, never silently ignored.

**The auto rule** (:func:`auto_candidates`, used by :func:`reluinv.solve_exact`): try the
backends in the order :data:`AUTO_ORDER` gives for the objective, keep those that take
every option the caller gave (``mip_solver="HIGHS"`` leaves only ``"mip"``), and answer with
the first whose ``supports`` accepts the problem and whose model builds (the maxsat
compilation refuses value sets above :data:`~reluinv.exact.order_cnf.MAX_VALUES` while
compiling; auto then falls through to the next backend). The orders come from the
project's measurements on random 3-CNF reductions with a binary latent (``python -m
benchmarks``, README "Exact inversion against python-sat") and on the 49 bundled
instances (``reluinv.validation.bundled``, binary latent, 10 s limit, medians of the
per-instance time ratio maxsat / cpsat):

``"feasible"``: cpsat, maxsat, mip
    On decision questions CP-SAT's presolve answers in about half the time of the maxsat
    backend's CNF compilation: 18-21x CaDiCaL's time against 26-46x on random 3-CNF;
    ratio 1.98 on the bundled set (1.1-3.8 per family, cpsat quicker in every family).
``"l1"``: maxsat, cpsat, mip
    On the l1 optimum of over-constrained MAX-3SAT reductions the maxsat backend runs in
    1.2-2.1x RC2's time, CP-SAT in 7-7.5x; on the bundled set the ratio is 0.40 on the
    over-constrained family (where CP-SAT also hit the limit on 3 of 10, maxsat on 1) and
    0.66 on random 3-CNF, but 5.9 on the partial family (large hard-clause weights) and
    above 1 on tiny formulas, where a fixed compilation cost dominates.
``"linf"``: maxsat, cpsat, mip
    A binary search of CaDiCaL calls after the same compilation: ratio 0.40 on the
    bundled set (0.17-0.47 per family, maxsat quicker in every family).
MIP comes last everywhere and is the only backend for real latent codes, non-integral
networks and leaky ReLU (CP-SAT would scale continuous variables to integers and can
answer wrongly; the CNF compilation needs integers).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from reluinv.errors import InvalidArgumentError, InvalidTypeError
from reluinv.exact.backend import BackendOptions, ExactBackend
from reluinv.exact.cpsat import CPSAT
from reluinv.exact.encodings import BackendName
from reluinv.exact.maxsat_backend import MAXSAT
from reluinv.exact.mip import MIP
from reluinv.exact.result import Objective

__all__ = [
    "AUTO",
    "AUTO_ORDER",
    "BACKENDS",
    "BACKEND_CHOICES",
    "EXACT_BACKENDS",
    "UNIQUENESS_ORDER",
    "BackendChoice",
    "auto_candidates",
    "options_for",
    "takers",
]

#: The backend names :func:`reluinv.solve_exact` accepts besides ``"auto"``, fastest first
#: on the optimisation questions ("l1", "linf"). ``"auto"`` (the default) picks per
#: objective by :data:`AUTO_ORDER`: feasible -> cpsat, maxsat, mip; l1 and linf -> maxsat,
#: cpsat, mip; the first that takes the caller's options and supports the problem (real
#: latents, non-integral networks and leaky ReLU only go to mip), falling through when the
#: maxsat compilation refuses. Measured by ``python -m benchmarks`` on random 3-CNF
#: reductions with a binary latent: on the l1 optimum of over-constrained formulas the
#: maxsat backend runs 1.3-2x RC2's time and CP-SAT 6-7x; on small decision questions
#: CP-SAT's presolve is about 2x quicker than the maxsat backend's compilation (the module
#: docstring has the bundled-set medians).
EXACT_BACKENDS: tuple[BackendName, ...] = ("maxsat", "cpsat", "mip")

AUTO: Literal["auto"] = "auto"
BackendChoice = Literal["auto", "maxsat", "cpsat", "mip"]
#: Every value of ``backend`` :func:`reluinv.solve_exact` accepts.
BACKEND_CHOICES: tuple[BackendChoice, ...] = (AUTO, *EXACT_BACKENDS)

BACKENDS: Mapping[BackendName, ExactBackend] = MappingProxyType(
    {"maxsat": MAXSAT, "cpsat": CPSAT, "mip": MIP})

#: The order ``backend="auto"`` tries, per objective (module docstring).
AUTO_ORDER: Mapping[Objective, tuple[BackendName, ...]] = MappingProxyType({
    "feasible": ("cpsat", "maxsat", "mip"),
    "l1": ("maxsat", "cpsat", "mip"),
    "linf": ("maxsat", "cpsat", "mip"),
})

#: The order ``backend="auto"`` of :func:`reluinv.certify_unique` tries (maxsat has no
#: distance objective; CP-SAT is exact on integer points, the MIP takes the rest).
UNIQUENESS_ORDER: tuple[BackendName, ...] = ("cpsat", "mip")


def takers(option: str, among: tuple[BackendName, ...] = EXACT_BACKENDS
           ) -> tuple[BackendName, ...]:
    """The backends among ``among`` whose options include ``option``."""
    return tuple(name for name in among if option in BACKENDS[name].options_type.names())


def _unused_option_error(option: str, name: BackendName,
                         among: tuple[BackendName, ...]) -> InvalidArgumentError:
    users = takers(option, among)
    taken = (f"only backend {', '.join(repr(b) for b in users)} takes it" if users
             else "no backend takes it here")
    return InvalidArgumentError(f"{option} is not an option of backend {name!r}: {taken}")


def options_for(name: BackendName, given: Mapping[str, object],
                among: tuple[BackendName, ...] = EXACT_BACKENDS) -> BackendOptions:
    """The validated options of backend ``name`` from the caller's ``given`` ones.

    An option ``name`` does not take raises :class:`InvalidArgumentError` naming it and the
    backends (among ``among``) that take it.
    """
    backend = BACKENDS[name]
    accepted = backend.options_type.names()
    for option in given:
        if option not in accepted:
            raise _unused_option_error(option, name, among)
    return backend.options_type(**given)  # type: ignore[arg-type]


def auto_candidates(order: tuple[BackendName, ...], given: Mapping[str, object]
                    ) -> list[tuple[ExactBackend, BackendOptions]]:
    """The backends of ``order`` that take every option in ``given`` and accept its values,
    each with its validated options, in order.

    Raises :class:`InvalidArgumentError` when none does: an option none of them takes, or
    values every one refuses (for example an encoding name no backend registers).
    """
    named = [name for name in order if all(option in BACKENDS[name].options_type.names()
                                          for option in given)]
    if not named:
        spread = ", ".join(f"{option} ({'/'.join(takers(option, order)) or 'none'})"
                           for option in given)
        raise InvalidArgumentError(
            f"no backend takes all of the options given: {spread}; name one with backend="
        )
    chosen: list[tuple[ExactBackend, BackendOptions]] = []
    errors: list[tuple[BackendName, ValueError | TypeError]] = []
    for name in named:
        try:
            chosen.append((BACKENDS[name], options_for(name, given, order)))
        except (InvalidArgumentError, InvalidTypeError) as exc:
            errors.append((name, exc))
    if chosen:
        return chosen
    texts = {str(exc) for _, exc in errors}
    if len(texts) == 1 or isinstance(errors[0][1], TypeError):
        raise errors[0][1]
    raise InvalidArgumentError(
        "no backend accepts the options given: "
        + "; ".join(f"backend {name!r}: {exc}" for name, exc in errors))
