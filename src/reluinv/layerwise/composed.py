"""The composed route: a pre-image of an undetermined layer that the layers below produce.

When the active rows of a realizable layer ``i`` have rank ``r`` below its ``n_{i-1}``
unknowns (a trained decoder's output with few active pixels; ``r = 0`` when no row is
active), the layer's pre-images form a polyhedron, and most of its points are outputs of
no code: the true ``h_{i-1}`` is ``s(W_{i-1} s(... s(W_1 z + b_1) ...) + b_{i-1})``. This
route looks for the layer's pre-image among those outputs, with the code ``z`` as the
unknown: Gauss-Newton on the composed map (:func:`composed_preimage`), restarted when it
stalls, then LPs with its best activation pattern fixed (:func:`pattern_preimage`).

*Notation.* The layers below, top first, are a :class:`Below`: ``(W_{i-1}, b_{i-1}),
..., (W_1, b_1)`` with activation slope ``alpha`` (``0`` for ReLU). With the activation
pattern of every unit fixed (``D_j = diag(1 if pre > 0 else alpha)`` on layer ``j``),
the map is affine: ``pre_1 = W_1 z + b_1`` and ``pre_j = W_j D_{j-1} pre_{j-1} + b_j``,
so ``h_{i-1} = D_{i-1} (P z + q)`` with ``P = W_{i-1} D_{i-2} ... D_1 W_1``. Its Jacobian
through the layer's rows ``A`` is ``A D_{i-1} W_{i-1} ... D_1 W_1``, computed from the
top down (:func:`_jacobian`).

Going down to ``z`` matters on deeper nets: a pre-image found through the layer below
alone is an output of that layer at some ``u``, but ``u`` need not be an output of the
layers under it. On a 10 x 40 x 80 x 300 ReLU net with output bias -0.3 (180 planted
codes) that left 60 ``INCONCLUSIVE`` at the first layer with 117 recovered; through
every layer, the route answers at the top and hands each layer below its point of the
chain (:func:`reluinv.layerwise.inverter._invert_realizable` checks it there), and 178
are recovered. When that search finds nothing, the one through the layer below alone
runs (:func:`composed_preimage`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reluinv.layerwise.layer_system import LayerSystem
from reluinv.layerwise.lp import solve_rows_working_set
from reluinv.layerwise.lstsq import (
    factored_step,
    newton_step,
    qr_lstsq,
    rank_and_lstsq,
    step_factor,
)

__all__ = [
    "BLOWUP_FACTOR",
    "BOUND_ROW_TOLERANCE",
    "COMPOSED_PATTERN_LP",
    "COMPOSED_RESTARTS",
    "COMPOSED_RESTART_SCALE",
    "COMPOSED_RESTART_SEED",
    "COMPOSED_ROUNDS",
    "PATTERN_DESCENT_ROUNDS",
    "PATTERN_LP_ROUNDS",
    "PATTERN_LP_ROWS_PER_UNKNOWN",
    "SMOOTHING_FACTOR",
    "Below",
    "ComposedAnswer",
    "composed_preimage",
    "pattern_preimage",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: One layer's activation slopes, the diagonal of its ``D_j``: ReLU's 0/1 kept as booleans
#: (a product with them casts them, one NumPy call fewer a round), floats otherwise.
Slopes = BoolArray | FloatArray

#: Gauss-Newton rounds of :func:`composed_preimage` from each start.
COMPOSED_ROUNDS = 20
#: ... and this many restarts after the first start, each from that start ``z0`` moved by
#: ``COMPOSED_RESTART_SCALE * ||z0|| / sqrt(k)`` (``/ max|W_1|`` when ``z0 = 0``;
#: :func:`_restart_spread`) times a standard normal vector (seeded with
#: ``COMPOSED_RESTART_SEED``: the same input gives the same answer). Measured
#: on 20 x 60 x 784 decoders with output bias -0.2, 30 planted codes of each of 6 seeds
#: (Gauss-Newton alone, no LP after it): 150 of 180 recovered with 5 restarts at scale
#: 0.5, 158 with 8 at 0.5, 162 with 8 at 0.2, 152 with 8 at 0.05, 167 with 12 at 0.2;
#: the first start alone answers 99 of the 153 draws that reach this route.
COMPOSED_RESTARTS = 8
COMPOSED_RESTART_SCALE = 0.2
COMPOSED_RESTART_SEED = 0
#: ... then LPs with the best round's activation pattern fixed (:func:`pattern_preimage`).
COMPOSED_PATTERN_LP = True
#: A run of the equalities' phase (:func:`_gauss_newton`) whose activation pattern repeats
#: (a cycle between patterns, where a full-rank step would repeat too) goes on with the
#: kinks smoothed: ``max(p, 0)`` becomes ``(p + sqrt(p^2 + 4 mu^2)) / 2`` (the
#: Chen-Harker-Kanzow-Smale function, within ``mu`` of the ReLU), with ``mu =
#: SMOOTHING_FACTOR`` times the root mean square misfit over the root mean square row norm
#: of ``A_eq``, never growing: a smoothing Newton method, whose steps are fixed by no
#: pattern and so cannot cycle; the exact misfit still decides when the equalities hold.
SMOOTHING_FACTOR = 2.0
#: ... and a round of the equalities' phase whose squared misfit exceeds this many times
#: the round before's starts the second phase at once: the violated inactive rows join the
#: steps, which keeps them from running away along the directions the equalities leave
#: free. Measured on trained-like 20 x 60 x 784 decoders (output bias -0.2 and -0.3,
#: weight seeds 0-2; 180 planted codes each of seeds 100-105, codes not used to choose
#: anything else here): 163, 157 and 175 recovered before, 175, 169 and 179 with both
#: rules (factors 0.5-4 for the smoothing and 2-10 here recover within 2 of that); 15 x 50
#: x 400 was unchanged. On 30,000 small random nets of depth 2-4 (widths 1-12, a third
#: with small integer weights) this rule cost 19 recoveries out of about 17,000 (5 of them
#: on two layers); the smoothing gained 61 there.
BLOWUP_FACTOR = 4.0
#: In the second phase (Han's), an inactive row within this many times ``limit`` below its
#: bound is in the least-squares system with its bound as the target, as a violated row
#: is (``0``: the violated rows alone, Han's own rule, whose finite termination is proved
#: for that rule only; either way a run ends within ``COMPOSED_ROUNDS``). Under Han's
#: rule a row that a step put on its bound left the system, the next step, which no
#: longer saw it, violated it again, and the run zig-zagged between two sets of rows,
#: its violation falling by a constant factor a round. Measured on 20 x 60 x 784 decoders
#: with output bias -0.2 (30 planted codes of each of the seeds 2026-2031 and 100-105):
#: rounds 4,084 -> 3,746 and 3,795 -> 3,506 (-8%) with the same recoveries (177 and 175
#: of 180); 20 x 60 x 200 x 784: 12,856 -> 11,959 (-7%), 157 of 180 recovered either way.
#: The runs it shortens are the long ones (15 rounds to 9 on one code), so the median
#: inversion barely moves (0.99x in one process). At 100 the counts were within one
#: recovery of these. On 4,000 fuzzed small nets of depth 2-4 (planted and random
#: observations) the statuses were those of Han's rule, one for one; an all-zero
#: observation has been seen to go from ``INCONCLUSIVE`` to ``RECOVERED``.
BOUND_ROW_TOLERANCE = 1.0
#: At most this many pattern LPs per layer (:func:`pattern_preimage`): the first with
#: Gauss-Newton's best pattern, each next one with the pattern moved across the units whose
#: sign constraints held the one before at its optimum. Measured on 20 x 60 x 784 decoders
#: with output bias -0.2 (``benchmarks/suite_layerwise.py``, planted codes of seeds 2026
#: and 7, 30 each): of the 18 draws that one pattern LP left ``INCONCLUSIVE``, 11 were
#: recovered, each within 4 LPs; up to 100 recovered no more (the descent stops on a
#: plateau or at a local minimum first), so each failing draw costs at most 3 LPs more.
PATTERN_DESCENT_ROUNDS = 4
#: The pattern LPs' first working set: the layer's inactive rows of least slack (the most
#: violated first) at a start point, this many per unknown of ``z``
#: (:func:`~reluinv.layerwise.lp.solve_rows_working_set`). The start is the least-squares
#: ``z`` of the pattern's equalities, then the last LP's optimum; keeping every row the
#: start violates grew the working set to 673 of 844 rows on a draw whose descent ran on,
#: 7 ms per LP against 1.1 ms.
PATTERN_LP_ROWS_PER_UNKNOWN = 4
#: ... and at most this many rounds of adding the rows an answer violates before the LP is
#: solved with every row.
PATTERN_LP_ROUNDS = 20


@dataclass(frozen=True)
class Below:
    """Layers below an undetermined layer ``i``: ``(W_j, b_j)`` for ``j = i - 1, i - 2,
    ...`` (the layer right below first), their activation's slope ``alpha`` (``0`` for
    ReLU; a linear head is never among them). Their bottom input, called ``z`` here, is
    the code when they reach layer 1; otherwise it is a hidden layer's output, and
    ``nonneg`` says it must be ``>= 0`` (a ReLU output). ``factor(p)``, when given, is
    ``layers[p]``'s :func:`~reluinv.layerwise.lstsq.step_factor`, which the first start
    needs (:func:`_start`); the inverter's comes from the network, which keeps it
    (:meth:`~reluinv.data.network.ReluNetwork.derived`), so a decoder's factors are
    computed once, not once per inversion."""

    layers: tuple[tuple[FloatArray, FloatArray], ...]
    alpha: float
    nonneg: bool = False
    factor: Callable[[int], FloatArray | None] | None = None

    @property
    def latent(self) -> int:
        """``k``, the length of ``z``."""
        return int(self.layers[-1][0].shape[1])


#: An answer of the route: ``h`` (the layer's pre-image), its violation, how it was found,
#: and the chain below it, ``(h_{i-2}, ..., h_1, z)``: each layer's pre-image in turn
#: (``h_j = s(W_j h_{j-1} + b_j)``, ``h_0 = z``), which the layers below check and take.
ComposedAnswer = tuple[FloatArray, float, str, tuple[FloatArray, ...]]
#: One Gauss-Newton round: ``h``, the activation pattern of every unit below (layer 1's
#: first), the violation over every row (``None`` when only the equalities were evaluated).
_Round = tuple[FloatArray, BoolArray, float | None]


def _through_the_layers(
    below: Below, z: FloatArray,
) -> tuple[list[FloatArray], list[Slopes], BoolArray]:
    """The forward pass from ``z``: ``(outputs, slopes, pattern)``, the first two bottom
    first: ``outputs = [h_1, ..., h_{i-1}]``, ``slopes`` the diagonal of each ``D_j``, and
    every unit's side (``pre > 0``), layer 1's first."""
    alpha = below.alpha
    outputs: list[FloatArray] = []
    slopes: list[Slopes] = []
    sides: list[BoolArray] = []
    h = z
    for W, b in reversed(below.layers):
        pre = W @ h + b
        positive = pre > 0.0
        slope = positive if alpha == 0.0 else np.where(positive, 1.0, alpha)
        h = pre * slope
        outputs.append(h)
        slopes.append(slope)
        sides.append(positive)
    return outputs, slopes, sides[0] if len(sides) == 1 else np.concatenate(sides)


def _smoothed_through_the_layers(
    below: Below, z: FloatArray, mu: float,
) -> tuple[FloatArray, list[Slopes]]:
    """The forward pass from ``z`` with every kink smoothed (``SMOOTHING_FACTOR``): ``s(p)
    = alpha p + (1 - alpha) (p + sqrt(p^2 + 4 mu^2)) / 2``; ``(h_{i-1}, slopes)``, the
    slopes ``s'(p)`` bottom first."""
    alpha = below.alpha
    slopes: list[Slopes] = []
    h = z
    for W, b in reversed(below.layers):
        pre = W @ h + b
        root = np.hypot(pre, 2.0 * mu)
        h = alpha * pre + (1.0 - alpha) * 0.5 * (pre + root)
        slopes.append(alpha + (1.0 - alpha) * (0.5 + 0.5 * pre / root))
    return h, slopes


def _jacobian(rows: FloatArray, below: Below, slopes: list[Slopes]) -> FloatArray:
    """``rows D_{i-1} W_{i-1} ... D_1 W_1``, from the top down (``slopes`` bottom first)."""
    M = rows
    j = len(slopes)
    for W, _ in below.layers:
        j -= 1
        M = (M * slopes[j]) @ W
    return M


def _chain(outputs: list[FloatArray], z: FloatArray) -> tuple[FloatArray, ...]:
    """``(h_{i-2}, ..., h_1, z)`` from ``outputs = [h_1, ..., h_{i-1}]``."""
    return (*outputs[-2::-1], z)


def _through(below: Below) -> str:
    """How a message names the layers below."""
    depth = len(below.layers)
    return "the layer below" if depth == 1 else f"the {depth} layers below"


def _start(h0: FloatArray, below: Below) -> FloatArray:
    """The first start: ``h0`` carried down by least squares, ``z0``: at each layer the
    least-squares input of ``s^{-1}`` of the point above (for ReLU the point itself, its
    negative entries read as pre-activations), by the layer's ``below.factor`` (the normal
    equations, unrefined: a starting point needs no more), else by QR.

    The factors depend on the weights alone: on 20 x 60 x 200 x 784 the Gram matrix of the
    200 x 60 weight and its Cholesky factor took about 60 us of a 300-1,200 us inversion
    when they were computed for each start."""
    point = h0
    for index, (W, b) in enumerate(below.layers):
        pre = point if below.alpha == 0.0 else np.where(point >= 0.0, point, point / below.alpha)
        factor = below.factor(index) if below.factor is not None else step_factor(W)
        point = (factored_step(W, factor, pre - b) if factor is not None
                 else qr_lstsq(W, pre - b, int(W.shape[1]))[1])
    return point


def composed_preimage(
    system: LayerSystem, A_eq: FloatArray, b_eq: FloatArray, h0: FloatArray,
    below: Below, limit: float,
) -> ComposedAnswer | None:
    """A pre-image ``h`` of an undetermined layer that the layers below produce, found by
    Gauss-Newton on the composed map (restarted when it stalls), then by LPs with the best
    round's activation pattern fixed; ``None`` when neither finds one.

    The layer's equalities ``A_eq h = b_eq`` have rank ``r < n`` (``r = 0`` too: no
    active row); the true ``h`` is also the output of the layers ``below`` at some code
    ``z`` (module docstring). With every activation pattern fixed, ``h = D (P z + q)`` is
    affine in ``z`` and the equalities become ``r`` linear equations in the ``k``
    unknowns of ``z``. Each round solves a system of that kind by least squares and
    re-reads the patterns at the new ``z`` (Gauss-Newton on a piecewise-linear map),
    from ``h0``, the minimum-norm point, carried down by least squares (:func:`_start`),
    in two phases (:func:`_gauss_newton`):

    1. *The equalities alone*, until they hold within ``limit``: the cheap rounds, ``r``
       rows each (none when ``r = 0``).
    2. *The equalities and every violated inequality*: each inactive row ``w_j h + b_j <=
       max(y_j, 0)`` that fails joins the least-squares system with its bound as the
       target, and leaves it once it holds with room to spare (Han's method for systems
       of linear inequalities, *Least-squares solution of linear inequalities*, 1980,
       which ends in finitely many steps on a consistent system with the pattern fixed).
       With fewer active pixels than unknowns of ``z`` the equalities leave ``k - r``
       directions free, and this phase steers them away from the inactive rows. Any
       inactive row within ``limit`` below its bound is in too, held on it, where Han's
       rule lets a row go as soon as it holds (``BOUND_ROW_TOLERANCE``).

    A run ends at an ``h`` satisfying every constraint of the layer within ``limit``,
    after ``COMPOSED_ROUNDS`` rounds, or when a round of the second phase whose step is
    fixed by its patterns and rows alone (a tall Jacobian of full rank) repeats them. In
    the first phase such a repeat does not end the run: its rounds go on with the kinks
    smoothed (``SMOOTHING_FACTOR``), and a misfit that blows up starts the second phase
    at once (``BLOWUP_FACTOR``). A run that ends without a pre-image is restarted
    ``COMPOSED_RESTARTS`` times from the first start moved at random (seeded: the same
    input gives the same answer), then the LPs of :func:`pattern_preimage` start from the
    patterns of the round of least violation. On 20 x 60 x 784 decoders with output bias
    -0.2 (``benchmarks/suite_layerwise.py``, 30 planted codes of each of the seeds 2026,
    7, 11, 12, 13 and 14) this route answered 152 of the 158 draws it was given (116 by
    the first start, 30 after restarts, 6 by the pattern LPs) and 174 of 180 inversions
    were recovered (147 with the equalities' phase alone and no restarts; 169 without the
    smoothing and the early second phase). The answer is a pre-image of the layer like
    any other (it is checked as one), with the chain of points below it
    (:data:`ComposedAnswer`).

    When that search through every layer below finds nothing on a deeper net, the same
    search runs through the layer below alone, with its input ``u = h_{i-2}`` as the
    unknown (``u >= 0`` below ReLU: in the second phase each ``u_k < 0`` joins the least
    squares with the target 0, and the pattern LPs bound ``u`` below by 0). Its answer
    hands down ``u`` alone, so a layer below that ``u`` does not pin runs its own route.
    The composed map has regions where a whole lower layer is off (its Jacobian is zero
    there, and neither Gauss-Newton nor the pattern LPs move out) and local minima that
    the layer below alone does not have: on 30,000 small random nets of depth 2-4 the
    route through every layer recovered 2,983 inversions that the layer below alone left
    ``INCONCLUSIVE``, and lost 202 that it recovered; with this second search, 3,015 and
    15 (5 of them on two layers, lost to ``BLOWUP_FACTOR``).
    """
    answer = _search(system, A_eq, b_eq, h0, below, limit)
    if answer is None and len(below.layers) > 1:  # the layer below alone (docstring)
        answer = _search(system, A_eq, b_eq, h0,
                         Below(below.layers[:1], below.alpha, below.alpha == 0.0,
                               below.factor), limit)
    return answer


def _search(
    system: LayerSystem, A_eq: FloatArray, b_eq: FloatArray, h0: FloatArray,
    below: Below, limit: float,
) -> ComposedAnswer | None:
    """:func:`composed_preimage`'s search through the layers ``below``: Gauss-Newton from
    the first start and its restarts, then the pattern LPs."""
    first = _start(h0, below)
    k = below.latent
    rounds: list[_Round] = []
    rng: np.random.Generator | None = None
    spread = 0.0
    for restart in range(COMPOSED_RESTARTS + 1):
        if restart == 0:
            z = first
        else:
            if rng is None:  # the first restart: nothing of this is needed before
                spread = _restart_spread(first, below.layers[-1][0])
                if spread == 0.0:
                    break
                rng = np.random.default_rng(COMPOSED_RESTART_SEED)
            z = first + spread * rng.standard_normal(k)
        answer = _gauss_newton(system, A_eq, b_eq, below, z, limit, rounds)
        if answer is not None:
            h, violation, count, chain = answer
            restarted = f", restart {restart}" if restart else ""
            return (h, violation,
                    f"Gauss-Newton through {_through(below)}, {count} rounds{restarted}", chain)
    if not rounds or not COMPOSED_PATTERN_LP:
        return None
    # The pattern LP starts from the round of least violation over every row. The rounds
    # of the equalities' phase were judged on the active rows only: judged here, in one
    # product (one call per round took a tenth of a failing draw's time under a profiler).
    pending = [round_[0] for round_ in rounds if round_[2] is None]
    judged = iter(system.violations(np.stack(pending, axis=1)).tolist() if pending else [])
    scores = [next(judged) if round_[2] is None else round_[2] for round_ in rounds]
    best = min(range(len(rounds)), key=scores.__getitem__)
    return pattern_preimage(system, below, rounds[best][1], limit)


def _restart_spread(first: FloatArray, V: FloatArray) -> float:
    """The size of a restart's move: ``COMPOSED_RESTART_SCALE`` times the root mean square
    of the first start ``z0`` (computed from ``z0 / max|z0|``, which cannot overflow), or
    times ``1 / max|V|`` (``V = W_1``) when ``z0 = 0``; ``0`` (no restart) when there is
    nothing to move (no unknown, or ``V = 0``) or the start is not finite."""
    if first.size == 0 or not np.all(np.isfinite(first)):
        return 0.0
    peak = float(np.abs(first).max())
    if peak > 0.0:
        return COMPOSED_RESTART_SCALE * peak * math.sqrt(float(np.mean((first / peak) ** 2)))
    weight = float(np.abs(V).max()) if V.size else 0.0
    return COMPOSED_RESTART_SCALE / weight if weight > 0.0 else 0.0


def _gauss_newton(
    system: LayerSystem, A_eq: FloatArray, b_eq: FloatArray, below: Below,
    z: FloatArray, limit: float, rounds: list[_Round],
) -> tuple[FloatArray, float, int, tuple[FloatArray, ...]] | None:
    """One run of :func:`composed_preimage`'s two phases from ``z``: ``(h, violation,
    rounds, chain)`` at a pre-image (``chain`` as in :data:`ComposedAnswer`), else
    ``None``; each round's ``(h, patterns, violation or None)`` is appended to
    ``rounds``."""
    k = below.latent
    act = system.active
    seen: set[bytes] = set()
    r = int(A_eq.shape[0])
    inequalities = r == 0  # phase 2 (at once when no row is active)
    smoothing = math.inf  # mu of the smoothed rounds; inf until a pattern repeats
    previous = math.inf  # the squared misfit of the round before
    row_size = size = 0.0
    for round_ in range(COMPOSED_ROUNDS):
        signs: FloatArray | None = None  # the rows z_k = 0 of a negative z_k, when z >= 0
        outputs, slopes, pattern = _through_the_layers(below, z)
        h = outputs[-1]
        if not inequalities:  # the r equalities first; every row once they hold
            misfit = A_eq @ h - b_eq
            # ||misfit||_2 <= limit: at least as strict as every row within limit, and one
            # product instead of two passes (Gauss-Newton ends far below either)
            size = float(misfit @ misfit)
            inequalities = size <= limit * limit or (
                smoothing == math.inf and size > BLOWUP_FACTOR * previous)
            previous = size
        if inequalities:
            excess = system.excess(h)
            violation = system.worst_gap(excess)
            if below.nonneg and k:
                violation = max(violation, -float(z.min()))
            if violation <= limit:  # h = s(...) >= 0 when the layer's h must be
                return h, violation, round_, _chain(outputs, z)
            rows = act | (excess > -BOUND_ROW_TOLERANCE * limit)  # violated, or on its bound
            rounds.append((h, pattern, violation))
            key = pattern.tobytes() + rows.tobytes()
            top, misfit = system.W[rows], excess[rows]  # each row's target: its bound
            negative = z < 0.0 if below.nonneg else None
            if negative is not None and negative.any():  # z_k >= 0 violated: z_k = 0 joins
                key += negative.tobytes()
                signs = np.eye(k)[negative]
                misfit = np.concatenate([misfit, z[negative]])
        else:
            rounds.append((h, pattern, None))
            key = pattern.tobytes()
            if smoothing == math.inf and r >= k and key in seen:  # a cycle: smooth the kinks
                row_size = math.sqrt(float(np.sum(A_eq * A_eq)) / r)
                smoothing = (SMOOTHING_FACTOR * math.sqrt(size / r) / row_size
                             if row_size > 0.0 else 0.0)
            if 0.0 < smoothing < math.inf:
                smoothing = min(smoothing, SMOOTHING_FACTOR * math.sqrt(size / r) / row_size)
                smoothed, slopes = _smoothed_through_the_layers(below, z, smoothing)
                misfit = A_eq @ smoothed - b_eq
                key = b""  # the step is fixed by no pattern: nothing to cycle
            top = A_eq
        # With the patterns fixed, the rows' values are affine in z with matrix M, and the
        # round's step is M^+ misfit: the least-squares step when M has full column rank
        # (the new z then depends on the patterns and the rows alone, so their repeat is a
        # cycle), else the step of least norm (z stays near what held); by the normal
        # equations when M is safely of full rank, else by QR.
        M = _jacobian(top, below, slopes)
        if signs is not None:
            M = np.vstack([M, signs])
        step = newton_step(M, misfit)
        if step is None:
            step = qr_lstsq(M, misfit, k, overwrite=True)[1]
        elif M.shape[0] >= k and key:
            if key in seen:
                break
            seen.add(key)
        z = z - step
    return None


def _affine_pieces(below: Below, pattern: BoolArray) -> tuple[FloatArray, FloatArray]:
    """With every unit's side fixed by ``pattern`` (layer 1's first), the pre-activations
    of every unit as ``P z + q``: ``(P, q)`` stacked layer 1 first (module docstring)."""
    alpha = below.alpha
    pieces_P, pieces_q = [], []
    P: FloatArray | None = None
    q: FloatArray | None = None
    start = 0
    for W, b in reversed(below.layers):
        if P is None or q is None:
            P, q = W, b
        else:
            P, q = W @ P, W @ q + b
        units = int(W.shape[0])
        diagonal = np.where(pattern[start:start + units], 1.0, alpha)
        pieces_P.append(P)
        pieces_q.append(q)
        P, q = P * diagonal[:, None], q * diagonal
        start += units
    return np.vstack(pieces_P), np.concatenate(pieces_q)


def pattern_preimage(
    system: LayerSystem, below: Below, positive: BoolArray, limit: float,
) -> ComposedAnswer | None:
    """A pre-image of the layer, an output of the layers ``below``, found by LPs in ``z``
    with every activation pattern fixed (``positive``: every unit's side, layer 1's first:
    the patterns of :func:`composed_preimage`'s best round, then moved), or ``None``.

    With the patterns fixed every constraint is linear in ``z``: each unit's
    pre-activation is ``P_u z + q_u`` (:func:`_affine_pieces`), the layer's input is ``h
    = D (P_top z + q_top)``, and its rows ``W h + b`` are equalities on the active rows
    and ``<= max(y_j, 0)`` on the others, while the patterns themselves hold when ``P_u z
    + q_u >= 0`` where ``positive`` and ``<= 0`` elsewhere. When fewer active rows than
    unknowns of ``z`` remain, Gauss-Newton's least-squares steps ignore the inactive rows
    and stall; an LP does not. Each LP minimises the layer's misfit within the patterns'
    region: the summed ``|residual|`` of the equalities (slacks ``s+ - s-``) plus the
    largest excess ``t`` of the inactive rows, ``0`` exactly when the region holds a
    pre-image, which is then the answer (checked like any other).

    *Descent across regions.* Otherwise the optimum ``z*`` is held by some sign
    constraints ``P_u z + q_u = 0`` (those with a non-zero dual). The map is continuous in
    ``z``, so ``z*`` has the same misfit in the region with those units' sides flipped,
    and the next LP, over that region, can only lower it: a descent of the
    piecewise-linear misfit through adjacent activation regions, one LP per region. It
    stops at a pre-image, at ``PATTERN_DESCENT_ROUNDS`` LPs, when the misfit stops falling
    (a plateau, where flipping would cycle) or when no sign constraint holds the optimum
    (a local minimum: the layer may still have pre-images among the outputs of the layers
    below, for inverting two layers is NP-hard, and the null-space LP runs next). Each LP
    is solved over a working set of the inactive rows
    (:func:`~reluinv.layerwise.lp.solve_rows_working_set`).
    """
    act = system.active
    ina = ~act
    alpha = below.alpha
    k = below.latent
    units = int(positive.size)
    top_units = int(below.layers[0][0].shape[0])
    r = int(np.sum(act))
    q_rows = int(system.W.shape[0]) - r
    columns = k + 2 * r + 1  # z, s+, s-, t
    cost = np.zeros(columns)
    cost[k:] = 1.0
    col_lo = np.zeros(columns)
    col_lo[:k] = 0.0 if below.nonneg else -np.inf  # z >= 0 when it is a ReLU output
    rows = r + units + q_rows  # the equalities, the patterns' signs, the inactive rows
    M = np.zeros((rows, columns))
    M[np.arange(r), k + np.arange(r)] = -1.0
    M[np.arange(r), k + r + np.arange(r)] = 1.0
    M[r + units:, columns - 1] = -1.0
    row_lo = np.full(rows, -np.inf)
    row_hi = np.empty(rows)
    working = np.zeros(rows, dtype=bool)
    working[:r + units] = True  # the equalities and the signs throughout
    seen: set[bytes] = set()
    previous = math.inf
    start: FloatArray | None = None
    for round_ in range(1, PATTERN_DESCENT_ROUNDS + 1):
        seen.add(positive.tobytes())
        P, q = _affine_pieces(below, positive)
        diagonal = np.where(positive[units - top_units:], 1.0, alpha)  # D of layer i-1
        composed = (system.W * diagonal) @ P[units - top_units:]
        offset = system.W @ (diagonal * q[units - top_units:]) + system.b
        sign = np.where(positive, -1.0, 1.0)
        M[:r, :k] = composed[act]
        row_hi[:r] = row_lo[:r] = system.y[act] - offset[act]
        M[r:r + units, :k] = sign[:, None] * P
        row_hi[r:r + units] = -sign * q
        M[r + units:, :k] = composed[ina]
        row_hi[r + units:] = -offset[ina]
        if start is None:  # then the last optimum, on the border of the new region
            start = rank_and_lstsq(M[:r, :k], row_hi[:r], k)[1]
        slack = row_hi[r + units:] - M[r + units:, :k] @ start
        working[r + units:] = False
        working[r + units + np.argsort(slack)[:PATTERN_LP_ROWS_PER_UNKNOWN * k]] = True
        answer = solve_rows_working_set(cost, col_lo, M, row_lo, row_hi, working,
                                        rounds=PATTERN_LP_ROUNDS)
        if answer.x is None or answer.row_dual is None:
            return None
        z = np.asarray(answer.x[:k], dtype=np.float64)
        outputs = _through_the_layers(below, z)[0]
        h = outputs[-1]
        violation = system.violation(h)
        if violation <= limit:
            moved = ("" if round_ == 1 else
                     f", moved across activation regions in {round_ - 1} LP(s)")
            return (h, violation,
                    f"LP through {_through(below)} with the activation pattern fixed{moved}",
                    _chain(outputs, z))
        dual_scale = max(1.0, float(np.max(np.abs(answer.row_dual), initial=0.0)))
        holding = np.abs(answer.row_dual[r:r + units]) > 1e-9 * dual_scale
        if not np.any(holding) or answer.objective >= previous:
            return None
        previous = answer.objective
        start = z
        positive = np.where(holding, ~positive, positive)
        if positive.tobytes() in seen:
            return None
    return None
