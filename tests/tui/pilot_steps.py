"""Pilot steps several app tests share: play to the end of the budget, open the LR finder and run its check."""


async def play_to_the_end(app, pilot, pause: float = 0.02, tries: int = 100) -> None:
    """Wait (up to tries x pause) until play has stopped at the end of the budget, then let workers settle."""
    for _ in range(tries):
        await pilot.pause(pause)
        if app.session.finished and not app.session.playing:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_finder_and_check(pilot, app) -> None:
    """f (the range test), then v (train each pick and a grid of LRs), each to completion."""
    for key in ("f", "v"):
        await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()


async def step_and_draw(app, pilot, steps: int) -> None:
    """Take `steps` steps of the engine directly (no play worker), then draw the screen once and let it settle."""
    app.session.experiment.step(steps)
    app.redraw()
    await pilot.pause()


def status_lines(app) -> list[str]:
    """The status area's lines as plain text (the header first, then a line per run shown)."""
    return app.screen.query_one("#status").render().plain.splitlines()
