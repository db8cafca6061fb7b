"""Prints how many fuzz cases ran, by kind, at the end of the session (README quotes `make fuzz`'s count)."""

from tests.fuzz.harness import CASES, SLOWEST


def pytest_terminal_summary(terminalreporter, exitstatus):
    if not CASES:
        return
    kinds = sorted({kind for kind, _ in CASES})
    total = sum(CASES.values())
    valid = sum(count for (_, outcome), count in CASES.items() if outcome == "valid")
    verdict = "; none crashed, hung or warned" if exitstatus == 0 else ""
    terminalreporter.write_line(f"fuzz: {total:,} cases, {valid:,} ran to the end and {total - valid:,} were "
                                f"refused with a one-line error{verdict}")
    for kind in kinds:
        ran, refused = CASES[kind, "valid"], CASES[kind, "refused"]
        terminalreporter.write_line(f"  {kind}: {ran + refused:,} ({ran:,} valid, {refused:,} refused), "
                                    f"slowest {SLOWEST[kind]:.2f} s")
