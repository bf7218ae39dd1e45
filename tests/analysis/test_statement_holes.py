"""A call is seen wherever a statement runs it: each statement form of the language, with a
call that borrows the cell again in one of its parts, inside a mutable borrow, is BQL003 on
that row. In particular an exception handler inside a `with` borrow runs with the borrow
alive: the `with` ends it only when the exception leaves the handlers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analysis.helpers import findings_of
from tests.analysis.test_expression_holes import TEMPLATE

STATEMENTS = {
 "try_body": "try:\n                self.again()\n            except ValueError:\n                pass",
 "except_body": "try:\n                print()\n            except ValueError:\n                self.again()",
 "except_type": "try:\n                print()\n            except (ValueError if self.again() else KeyError):\n                pass",
 "else_body": "try:\n                print()\n            except ValueError:\n                pass\n            else:\n                self.again()",
 "finally_body": "try:\n                pass\n            finally:\n                self.again()",
 "except_star": "try:\n                print()\n            except* ValueError:\n                self.again()",
 "for_else": "for i in data:\n                pass\n            else:\n                self.again()",
 "while_else": "while flag:\n                break\n            else:\n                self.again()",
 "with_second_item": "with open('a') as f, open(str(self.again())) as g:\n                pass",
 "match_guard": "match data:\n                case [x] if self.again():\n                    pass",
 "match_body": "match data:\n                case [x]:\n                    self.again()",
 "match_class_pattern_body": "match other:\n                case int():\n                    self.again()",
 "raise_exc": "raise ValueError(self.again())",
 "global_then_call": "global G\n            G = self.again()",
 "nested_with": "with open('a'):\n                self.again()",
 "if_elif": "if flag:\n                pass\n            elif self.again():\n                pass",
 "ann_assign_target": "data[self.again()]: int = 1",
 "aug_assign_value": "regs.n += self.again()",
 "multi_target": "a = b = self.again()",
 "print_kw": "print(self.again(), sep='')",
 "del_slice": "del data[: self.again()]",
 "continue_in_loop": "for i in data:\n                if flag:\n                    continue\n                self.again()",
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_a_call_in_every_statement_form_is_seen(tmp_path: Path, name: str) -> None:
    text = TEMPLATE.format(line=STATEMENTS[name], async_line="pass")
    lines = text.splitlines()
    method = lines.index("    def method(self, data: list[int], flag: bool, other: object) -> object:")
    calls = [row for row, line in enumerate(lines, 1) if row > method and "self.again()" in line]
    assert findings_of(tmp_path, text) == [("BQL003", row) for row in calls]
