"""Random real-weight networks with a planted latent code: the MIP reproduces the target
within the named tolerance, and certify_unique separates unique from non-unique
pre-images."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reluinv as ri
from reluinv.exact.verify import residual_tolerance
from reluinv.strategies import planted_problem, seeds

ACTIVATIONS = st.sampled_from(["relu", ("leaky_relu", 0.2)])


@given(seed=seeds, activation=ACTIVATIONS, observed=st.sampled_from([1.0, 0.7]))
def test_mip_reproduces_a_planted_target(seed: int, activation: ri.network.ActivationSpec,
                                         observed: float) -> None:
    problem, _ = planted_problem((3, 8, 12), seed, activation=activation,
                                 mask_fraction=observed)
    result = ri.solve_exact(problem, backend="mip")
    assert result.status is ri.Status.OPTIMAL, result.message
    assert result.verified
    assert result.verification == "float"
    assert result.z is not None
    assert problem.domain.contains(result.z)
    residual = np.max(np.abs(problem.residual(result.z)))
    assert residual <= residual_tolerance(problem, result.tolerance)
    assert result.objective == pytest.approx(float(residual))


@pytest.mark.parametrize("objective", ["l1", "linf"])
@pytest.mark.parametrize("seed", [0, 1])
def test_norm_objectives_reach_zero_on_a_realizable_target(objective: str, seed: int) -> None:
    problem, _ = planted_problem((3, 6, 10), seed, activation=("leaky_relu", 0.1))
    result = ri.solve_exact(problem, backend="mip", objective=objective)
    assert result.status is ri.Status.OPTIMAL
    assert result.verified
    assert float(result.objective) == pytest.approx(0.0, abs=1e-5)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_latent_as_hint(seed: int) -> None:
    problem, z_star = planted_problem((4, 12, 30), seed)
    result = ri.solve_exact(problem, backend="mip", hint=z_star)
    assert result.status is ri.Status.OPTIMAL
    assert result.verified
    assert result.z is not None


@pytest.mark.slow  # measured 1.5-8 s on two cores
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expanding_network_has_a_unique_preimage(seed: int) -> None:
    problem, z_star = planted_problem((5, 20, 60), seed)
    certificate = ri.certify_unique(problem, z_star)
    assert certificate.status is ri.UniquenessStatus.UNIQUE, certificate.message
    assert certificate.bound is not None
    assert certificate.bound <= certificate.tol
    assert certificate.other is None
    assert certificate.verified
    assert certificate.tol == ri.exact.UNIQUENESS_TOLERANCE


@pytest.mark.parametrize("seed", [0, 1])
def test_one_observed_output_leaves_other_preimages(seed: int) -> None:
    problem, z_star = planted_problem((5, 20, 60), seed)
    active = int(np.argmax(problem.target))  # an active output: many z reach it
    mask = np.zeros(60, dtype=bool)
    mask[active] = True
    partial = ri.InversionProblem(problem.network, problem.target, problem.domain, mask=mask)
    certificate = ri.certify_unique(partial, z_star)
    assert certificate.status is ri.UniquenessStatus.NOT_UNIQUE, certificate.message
    assert certificate.other is not None
    assert certificate.verified
    assert certificate.distance is not None
    assert certificate.distance > certificate.tol
    residual = abs(partial.residual(certificate.other)[0])
    assert residual <= residual_tolerance(partial, certificate.residual_tolerance)


TWO_MODELS = ri.parse_dimacs("p cnf 3 3\n1 2 0\n-1 -2 0\n3 0\n")  # (1,0,1) and (0,1,1)
ONE_MODEL = ri.parse_dimacs("p cnf 2 2\n1 0\n-2 0\n")  # (1, 0) only


@pytest.mark.parametrize(("backend", "latent"),
                         [("cpsat", "binary"), ("mip", "binary"), ("mip", "real")])
def test_reduction_with_two_models_exhibits_the_other(backend: str, latent: str) -> None:
    problem = ri.encode(TWO_MODELS, latent=latent)  # type: ignore[arg-type]
    certificate = ri.certify_unique(problem, [1, 0, 1], backend=backend)  # type: ignore[arg-type]
    assert certificate.status is ri.UniquenessStatus.NOT_UNIQUE, certificate.message
    assert certificate.other is not None
    assert certificate.verified
    assert ri.decode(problem, certificate.other) == (0, 1, 1)
    assert TWO_MODELS.satisfies(ri.decode(problem, certificate.other))
    assert certificate.distance == pytest.approx(1.0)


@pytest.mark.parametrize(("backend", "latent"),
                         [("cpsat", "binary"), ("mip", "binary"), ("mip", "real")])
def test_reduction_with_one_model_is_certified_unique(backend: str, latent: str) -> None:
    problem = ri.encode(ONE_MODEL, latent=latent)  # type: ignore[arg-type]
    certificate = ri.certify_unique(problem, [1, 0], backend=backend)  # type: ignore[arg-type]
    assert certificate.status is ri.UniquenessStatus.UNIQUE, certificate.message
    assert certificate.other is None
    assert certificate.bound is not None
    assert certificate.bound < 0.5


@pytest.mark.parametrize(("backend", "integer"), [("cpsat", True), ("mip", True), ("mip", False)])
def test_certificate_reports_the_farthest_preimage(backend: str, integer: bool) -> None:
    # ReLU(z_1) = 0 and ReLU(z_2 - 1) = 1 on [-3, 3]^2: pre-images {z_1 <= 0, z_2 = 2};
    # the farthest from (0, 2) in linf is (-3, 2), at distance 3.
    net = ri.ReluNetwork([[[1, 0], [0, 1]]], [[0, -1]])
    problem = ri.InversionProblem(net, np.array([0.0, 1.0]),
                                  ri.LatentDomain.box(2, -3, 3, integer=integer))
    certificate = ri.certify_unique(problem, [0, 2], backend=backend)  # type: ignore[arg-type]
    assert certificate.status is ri.UniquenessStatus.NOT_UNIQUE
    assert certificate.other is not None
    assert certificate.other.tolist() == pytest.approx([-3.0, 2.0])
    assert certificate.distance == pytest.approx(3.0)
    assert certificate.bound == pytest.approx(3.0)
