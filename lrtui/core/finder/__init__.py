"""The LR range test and the rules that read a learning rate off its curve (NumPy only)."""

from lrtui.core.finder.range_test import RangeTest, range_test
from lrtui.core.finder.rules import RULES, Pick, suggest
from lrtui.core.finder.verify import verify_suggestions

__all__ = ["RULES", "Pick", "RangeTest", "range_test", "suggest", "verify_suggestions"]
