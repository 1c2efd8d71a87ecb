"""Property test: every shape shapecli infers is the shape numpy computes.

The random stacks of the symbolic property test (convolutions, poolings with
ceil_mode, transposed convolutions, upsampling, skip concatenations, a final
reshape), at random concrete sizes: wherever the inference says the model fits,
the numpy forward pass must run and produce exactly the inferred shape after
every layer (the run checks it and raises ShapecliBug otherwise), with finite
values.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shapecli.materialize import draw_parameters, plan_parameters
from shapecli.run import forward, make_inputs

from .helpers import run_spec
from .test_symbolic_property import stacks

EXAMPLES = int(os.environ.get("SHAPECLI_RUN_PROPERTY_EXAMPLES", "200"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=stacks(), h=st.integers(1, 24), w=st.integers(1, 24), seed=st.integers(0, 2**16))
@example(  # PyTorch's mean shortcut: an average pooling to 1x1 takes a rank-2 input (found by this test)
    spec="inputs: {x: [2, 3, H, W]}\nlayers:\n"
    "  - {name: l0, type: Select, axis: 2, index: 0}\n"
    "  - {name: l1, type: Select, axis: 2, index: 0}\n"
    "  - {name: l2, type: AdaptiveAvgPool2d, output_size: 1}\n",
    h=1,
    w=1,
    seed=0,
)
def test_the_numpy_shapes_are_the_inferred_ones(spec, h, w, seed):
    from shapecli.spec import load_model

    trace = run_spec(spec, f"2x3x{h}x{w}")
    if trace.errors:
        return
    model = load_model(spec, "spec.yaml")
    params = draw_parameters(plan_parameters(model, trace), seed)
    result = forward(model, trace, params, make_inputs(model, dict(trace.inputs), {}, seed))
    assert [row.shape for row in result.rows[1:]] == [layer.output_shape for layer in trace.layers]
    assert all(row.stats.nan == row.stats.inf == 0 for row in result.rows)
