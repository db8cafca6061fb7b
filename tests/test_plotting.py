"""Linear y ticks sit on the rows whose values they name (walkthrough 15a, F9)."""

from lrtui.plotting import row_ticks


def test_linear_ticks_are_evenly_spaced_rows_labelled_evenly():
    ticks, labels = row_ticks((5.6, 16.9), 6, 8)
    assert labels == ["5.6", "7.9", "10.1", "12.4", "14.6", "16.9"]
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1  # one tick a row, each exactly at its row's value
    ticks, labels = row_ticks((0.0, 100.0), 10, 4)  # at most 4 ticks: every third row
    assert labels == ["0", "33", "67", "100"] and len(ticks) == 4
    _, labels = row_ticks((2.33340, 2.34012), 8, 8)
    assert len(set(labels)) == len(labels) and labels[:2] == ["2.33340", "2.33436"]
