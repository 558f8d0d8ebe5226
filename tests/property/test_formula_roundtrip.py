"""Round trips formula -> text -> formula, and the float forward pass against the exact one."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reluinv import ReluNetwork, format_dimacs, parse_dimacs
from reluinv.data.formula import Formula
from reluinv.strategies import formulas


@given(formulas(max_vars=8, max_clauses=12, max_width=5))
def test_text_round_trip(formula: Formula) -> None:
    text = format_dimacs(formula, provenance={"seed": 0})
    again = parse_dimacs(text)
    assert again == formula
    assert format_dimacs(again, provenance={"seed": 0}) == text


@given(formulas(max_vars=6, max_clauses=8), st.data())
def test_falsified_is_sum_of_falsified_clause_weights(formula: Formula, data: st.DataObject
                                                      ) -> None:
    z = data.draw(st.lists(st.integers(0, 1), min_size=formula.num_vars,
                           max_size=formula.num_vars))
    weights = formula.clause_weights()
    expected = sum(
        w for c, w in zip(formula.clauses, weights, strict=True)
        if not any(z[abs(lit) - 1] == (1 if lit > 0 else 0) for lit in c)
    )
    assert formula.falsified(z) == expected


@st.composite
def integer_networks(draw: st.DrawFn) -> ReluNetwork:
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    ints = st.integers(-5, 5)
    weights = [draw(hnp.arrays(np.int64, (sizes[i + 1], sizes[i]), elements=ints))
               for i in range(len(sizes) - 1)]
    biases = [draw(hnp.arrays(np.int64, (sizes[i + 1],), elements=ints))
              for i in range(len(sizes) - 1)]
    return ReluNetwork(weights, biases)


@given(integer_networks(), st.data())
def test_float_forward_equals_exact_forward_on_integer_networks(
    net: ReluNetwork, data: st.DataObject
) -> None:
    z = data.draw(hnp.arrays(np.int64, (net.latent_dim,), elements=st.integers(-5, 5)))
    exact = net.forward_exact(z)
    assert all(isinstance(v, int) for v in exact)
    assert net.forward(z).tolist() == [float(v) for v in exact]


@given(integer_networks(), st.data())
def test_batch_forward_equals_rowwise(net: ReluNetwork, data: st.DataObject) -> None:
    batch = data.draw(hnp.arrays(np.float64, (3, net.latent_dim),
                                 elements=st.floats(-3, 3, allow_nan=False)))
    rows = np.stack([net.forward(z) for z in batch])
    # A matrix-matrix product may round differently from matrix-vector products: outputs
    # of a few thousand differ in the last bits, hence a relative tolerance as well.
    np.testing.assert_allclose(net.forward(batch), rows, rtol=1e-12, atol=1e-12)
