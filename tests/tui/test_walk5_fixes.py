"""Defects a fifth learner walkthrough found (/work/wt/walk5-report.md in the lead's notes)."""

from lrtui.scenario.library import find_builtin
from lrtui.tui.app import LrtuiApp
from lrtui.tui.screens.explanation import ExplanationScreen
from lrtui.tui.session import Session
from lrtui.tui.widgets.diagnostics_panel import diagnosis_line
from tests.tui.pilot_steps import status_lines, step_and_draw


async def test_enter_on_the_verdict_explains_it_as_it_is_now_in_a_compact_panel():
    """D14: lesson 3 at 80x24, play to the end, enter: "(loss 1.48) ... 190 steps of the 200-step budget left"
    beside "against 1.08 unchanged". The compact panel's words stayed the same, so its entry kept an early frame's
    verdict; enter now reads the verdict when it shows it."""
    scenario = find_builtin("too-low-slow").load()
    app = LrtuiApp([scenario])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 10)
        await step_and_draw(app, pilot, scenario.steps - 10)
        panel = app.main.query_one("#diagnostics")
        assert panel.entries[0].message == app.session.experiment.summary(0).message
        panel.focus()
        panel.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplanationScreen)
        text = app.screen.diagnosis.explanation
        assert "0 steps of the 200-step budget left" in text and "190 steps" not in text, text


def test_each_finding_in_the_panel_says_whose_it_is():
    """D15: the panel lists every run's findings; run 3's "LR 0.00052" read as the focused run 0's."""
    session = Session([find_builtin("lr-sweep").load()])
    session.experiment.step(300)
    app = LrtuiApp([find_builtin("lr-sweep").load()])
    findings = session.experiment.diagnoses()
    assert {d.run for d in findings} >= {0, 3}
    from lrtui.tui.palette import PlotPalette

    palette = PlotPalette(app.theme_variables)
    for d in findings:
        line = diagnosis_line(d, palette).plain
        assert f" run {d.run} " in line.split("\n")[0], line


async def test_improving_outlasts_the_gauge_in_a_narrow_status_line():
    """D6 (80x24): lesson 2 after a read "lr 167% of limit (49% here)" with no verdict."""
    scenario = find_builtin("too-high-divergence").load()
    app = LrtuiApp([scenario])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, scenario.steps)
        app.session.focused = 0
        app.session.apply_fix()
        await step_and_draw(app, pilot, scenario.steps)
        line = next(line for line in status_lines(app) if "too high" in line)
        assert line.rstrip().endswith(("improving", "converged", "too slow (LR too low)")), line


async def test_the_compact_legend_fits_its_plot_so_it_is_drawn():
    """D5 (walkthroughs 4 and 5): lesson 3, play, c, tab tab * *, play: the legend row was blank, since plotext
    leaves out a legend wider than its plot ("sgd lr=0.0005 x3, now lr 0.15 (focused; +2 runs, tab)")."""
    for size in ((100, 30), (80, 24)):
        app = LrtuiApp([find_builtin("too-low-slow").load()])
        async with app.run_test(size=size) as pilot:
            await step_and_draw(app, pilot, 200)
            await pilot.press("c", "tab", "tab", "tab", "asterisk", "asterisk")  # (run 1 is the good run)
            await step_and_draw(app, pilot, 200)
            rows = app.main.query_one("#loss").render().plain.splitlines()
            # (where the whole label does not fit, its LR now stays: walkthrough 14a, C5)
            assert any("now lr 0.15" in row and "tab)" in row for row in rows[:4]), rows[:4]


async def test_a_short_landscape_keeps_its_caption_and_a_small_one_says_z_zooms():
    """D10: at 80x24 lessons 1, 2, 3, 17, 19 and 22 showed their landscapes without the ranges and the marks' key."""
    for name in ("too-high-oscillation", "too-low-slow", "schedule-too-aggressive"):
        app = LrtuiApp([find_builtin(name).load()])
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            landscape = app.main.query_one("#landscape")
            first = landscape.render().plain.splitlines()[0]
            assert "min" in first and "now" in first and "path" in first, (name, first)
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.main.query_one("#landscape").render().plain.splitlines()[0].rstrip().endswith("z: zoom")
        await pilot.press("z")
        await pilot.pause()
        assert "z: zoom" not in app.main.query_one("#landscape").render().plain.splitlines()[0]


def test_an_explanation_dates_a_verdict_now_and_a_finding_when_found():
    """D8: "improving (info) at step 0" over a body about the last 45 steps; "at step 45" over "by step 40"."""
    from lrtui.tui.screens.explanation import explanation_text

    scenario = find_builtin("schedule-too-aggressive").load()
    exp = scenario.build()
    exp.step(scenario.steps)
    finding = next(d for d in exp.diagnoses(0) if d.code == "schedule_too_aggressive")
    assert f"(warning) found at step {finding.step:,}, run 0" in explanation_text(finding, "x", now=300).plain
    healthy = Session([find_builtin("just-right").load()])
    healthy.experiment.step(50)
    verdict = healthy.experiment.summary(0)
    assert verdict.code in ("improving", "converged") and verdict.step == 0
    assert "at step 50, run 0" in explanation_text(verdict, "x", now=50).plain


def test_a_diverged_runs_fix_is_refined_up_to_the_edge_where_it_blows_up():
    """D7: lesson 2's fix was lr 0.0016 (ends at 2.95) while 0.00204 ends near 0.05 and 0.00225 diverges: the
    eighths of a decade step over a sharp edge. LRs between the best fix and the next one tried, which diverged,
    are tried too, and the best of all is the fix; the replay `a` makes ends where the try did."""
    scenario = find_builtin("too-high-divergence").load()
    exp = scenario.build()
    exp.step(scenario.steps)
    summary = exp.summary(0)
    assert summary.code == "diverged" and summary.tried.helped
    lr = summary.fix["optimizer.lr"]
    assert 0.0017 < lr < 0.00225 and summary.tried.loss < 0.1, summary.message
    again = exp.replayed({0: summary.fix})
    again.step(scenario.steps)
    assert abs(again.series(0, "loss")[1][-1] - summary.tried.loss) <= 1e-9 * max(summary.tried.loss, 1e-300)
    # just above it, the run diverges: the fix sits at the edge, not past it
    above = exp.replayed({0: {"optimizer.lr": 0.00225}})
    above.step(scenario.steps)
    assert above.diverged_at(0) >= 0


def test_healthy_words_say_settled_and_how_much_a_larger_lr_did():
    """D9: lesson 7's step decay read "improving: loss 1.35, level ... fell by 0% a step"; lesson 23's good run was
    told a 2.5-fold drop "helped only a little"."""
    scenario = find_builtin("step-decay").load()
    exp = scenario.build()
    exp.step(scenario.steps)
    settled = exp.summary(0)
    assert settled.message.startswith("settled (healthy): batch loss") and "fell by 0% a step" not in settled.explanation
    digits = find_builtin("digits-lr-classic").load()
    exp = digits.build()
    exp.step(digits.steps)
    good = exp.summary(0).message
    assert "times closer to the floor, short of the tenfold a fix needs" in good and "only a little" not in good


def test_a_run_that_blows_up_within_its_first_steps_still_gets_its_sharpness():
    """D16: lesson 1, `+ +`, play, enter: "The sharpness is not known yet". The start is a hilltop (negative
    curvature) and the next sample fell in the blow-up; small losses are sampled every step at first."""
    scenario = find_builtin("too-high-oscillation").load()
    exp = scenario.build()
    exp.scale_lr(0, 2)
    exp.scale_lr(0, 2)
    exp.step(scenario.steps)
    summary = exp.summary(0)
    assert summary.code == "diverged"
    assert "not known yet" not in summary.explanation and "% of the stable limit 2/λ" in summary.explanation


def screen_rows(app) -> list[str]:
    """The screen as text rows, as a terminal shows it (from Textual's own screenshot)."""
    import html
    import re

    rows: dict = {}
    for m in re.finditer(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot(), re.S):
        words = html.unescape(re.sub("<[^>]+>", "", m.group(3))).replace("\xa0", " ")
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), words))
    return ["".join(t for _, t in sorted(v)) for _, v in sorted(rows.items())]


async def test_a_compact_panel_shows_the_fix_below_a_verdict_that_wraps():
    """D10 (80x24): the verdict "oscillating (LR too high)" wrapped once a scroll bar came, and the option list,
    which had counted it as one row, left the fix line `a` applies out of view."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("N", "N", "N")
        await pilot.pause()
        await pilot.pause()
        rows = screen_rows(app)
        assert any("a: lr = 0.016" in row for row in rows), rows
        # the verdict's name alone above it (walkthrough 6: its words took two rows), the rest behind enter
        assert any(row.rstrip().endswith("■ oscillating│") for row in rows), rows


def test_a_fork_made_mid_run_still_counts_for_the_challenge_after_a_replays_it():
    """Walk 6, D24: lesson 1, `n N c space`, `tab tab a space`, `u`: both forks converged, but "not yet: run 0 ends
    at 3.09". `a` on the fork replayed every run, and the replay had no fork events: the lineage is kept in the
    runs now."""
    from lrtui.scenario.challenges import challenge_for
    from lrtui.tui.screens.outcomes import OutcomesScreen

    scenario = find_builtin("too-high-oscillation").load()
    session = Session([scenario])
    session.experiment.step(11)
    session.fork()
    session.experiment.step(scenario.steps - 11)
    session.focused = 2
    session.apply_fix()
    exp = session.experiment
    assert [exp.forked_from(r) for r in range(exp.n_runs)] == [-1, 0, 0]
    exp.step(scenario.steps)
    challenge = challenge_for(scenario.source)
    assert OutcomesScreen._fork_that_met(challenge, exp) in (1, 2)


async def test_enter_explains_again_after_a_zoom_and_escape():
    """Walk 6, D21: after `z` then escape, enter opened nothing until ? or g had been opened and closed."""
    app = LrtuiApp([find_builtin("too-high-oscillation").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await step_and_draw(app, pilot, 30)
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ExplanationScreen), type(app.screen).__name__


async def test_the_best_lr_theory_curve_does_not_stretch_a_log_axis():
    """Walk 6, D19: lesson 3, `* *`, play: the log axis ran down to 1e-175 after the best LR's theory curve, so the
    converged run (6e-10) looked flat at 1. Theory is clipped a decade below the runs' lowest loss."""
    app = LrtuiApp([find_builtin("too-low-slow").load()])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("asterisk", "asterisk")
        await step_and_draw(app, pilot, 200)
        loss = app.main.query_one("#loss")
        assert loss.shown_log
        lowest = min(float(app.session.experiment.series(0, "loss")[1].min()), 1.0)
        for line in loss.picture.lines:
            if line.marker == "dot" and len(line.y):
                assert float(min(line.y)) >= 0.1 * lowest * (1 - 1e-9), (line.label, min(line.y))


async def test_a_long_label_after_s_keeps_the_legend_at_80x24():
    """Walk 6, D22 as a learner gets there: lesson 19, play, `s` until cosine warm restarts, play."""
    app = LrtuiApp([find_builtin("schedule-too-aggressive").load()])
    async with app.run_test(size=(80, 24)) as pilot:
        await step_and_draw(app, pilot, 40)
        await pilot.press("s", "s", "s", "s")
        await step_and_draw(app, pilot, 40)
        label = app.session.experiment.view(0).label
        rows = app.main.query_one("#loss").render().plain.splitlines()[:4]
        assert len(label) > 40 and any("adam, gamma 0.1" in row for row in rows), (label, rows)


def test_every_legend_label_is_cut_to_its_plot():
    """Walk 6, D22: lesson 19 at 80x24 after `s`: a label "adam, gamma 0.1 every 20, now ... cosine_warm_restarts"
    wider than the plot left the whole legend out."""
    from lrtui.tui.widgets.loss_panel import compact_legend

    long = "adam, gamma 0.1 every 20, now lr 1.78 cosine_warm_restarts"
    assert compact_legend(long, 1, 36) == long[:35] + "…" and len(compact_legend(long, 1, 36, True)) == 36
    assert compact_legend("sgd lr=0.1", 1, 36) == "sgd lr=0.1"


def test_an_improving_run_past_the_limit_says_why_no_larger_lr_was_tried():
    """Walk 6, D20: lesson 2 after `-` (lr 0.0015) ends at 3.33, "nothing the checks tried did much better", while u
    finds 0.00204. No larger LR was tried: the contracts' next one is past the stable limit of the sharpest point."""
    scenario = find_builtin("too-high-divergence").load()
    exp = scenario.build()
    exp.scale_lr(0, 0.5)
    exp.step(scenario.steps)
    summary = exp.summary(0)
    assert summary.code == "improving"
    # (Walk 7, D26: named against the limit the check used, where the run is now; tests/core/test_walk7_fixes.py.)
    assert ("No larger LR was tried: the next one, x1.78 (lr 0.00267), is past 90% of the stable limit where the run "
            "is now (") in summary.explanation
    assert "past that limit" not in summary.explanation
    assert summary.explanation.endswith(".")
