"""The generated diagnostics benchmark: seeded cases, labels from an oracle independent of the rules, a scorer.

See README.md in this folder. Nothing in this package imports lrtui.core.diagnostics (a test checks it).
"""
