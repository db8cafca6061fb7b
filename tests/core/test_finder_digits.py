"""On the digits MLP the recommended LR must actually train: >= 90% test accuracy within the scenario's budget."""

from lrtui.core.finder import range_test
from lrtui.core.simulation import Simulation
from lrtui.scenario.library import resolve


def test_the_recommended_lr_trains_the_digits_mlp_to_90_percent_within_the_budget():
    scenario = resolve("digits-lr-classic")
    exp = scenario.build()
    loss, spec = exp.loss_of(0), exp.spec(0)
    result = range_test(loss, spec, seed=scenario.seed)
    # The mini-batch noise gives the curve a flat, bumpy start, so fastai's default rule can pick.
    assert result.recommended == "valley" and result.recommended_lr is not None
    trial = spec.copy(optimizer_params={**spec.optimizer_params, "lr": result.recommended_lr})
    sim = Simulation(loss, [trial], seed=scenario.seed, eval_every=scenario.steps, diagnostics=False)
    sim.run(scenario.steps)
    assert sim.diverged_at[0] < 0
    assert float(loss.evaluate(sim.params)["test_accuracy"][0]) >= 0.90
