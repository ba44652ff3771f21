"""Slot conditions on `condition` nodes: a tiny expression language, parsed by hand and never `eval`-ed.

Grammar (recursive descent)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" expr ")" | ("filled" | "empty" | "remembered") "(" SLOT ")" | operand OP operand
    operand    := SLOT | NUMBER | STRING          OP := == != < <= > >=

Each keyword has Chinese twins (`ALIASES`): 且/并且, 或/或者, 非, 已填写/已填, 未填写/未填, 已记住/记得 —
`扬程 > 50 且 已填写(型号)` is `扬程 > 50 and filled(型号)`. A keyword is a whole word, so a slot may still be named
已填数量.

SLOT is an identifier (Chinese characters, letters, digits, `_`; not starting with a digit). NUMBER is
`-?digits[.digits]`.
STRING is quoted with '…', "…" or “…” (no escapes). Full-width parentheses （） are accepted because Chinese input
methods produce them. A bare slot is not a condition: write `filled(扬程)`. `remembered(扬程)` holds while the slot's
value is the one remembered from the customer's earlier call (not yet restated otherwise in this one).

The AST is plain JSON:
    {"op": "or"|"and", "args": [...]}, {"op": "not", "arg": ...}, {"op": "filled"|"empty"|"remembered", "slot": name},
    {"op": "=="|"!="|"<"|"<="|">"|">=", "left": operand, "right": operand}, operand = {"slot": name} | {"value": v}

Evaluation: a comparison involving an unset slot is false (whatever the operator), so `扬程 > 50` also implies that
扬程 is filled; numeric strings compare as numbers against numbers; ordering between a number and a non-numeric string
is false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 1000
MAX_DEPTH = 32
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
KEYWORDS = {"and", "or", "not", "filled", "empty", "remembered"}
# The same words in Chinese, as a manager writes them and as the canvas shows them (`flows.forms.EXPR_WORDS`), a
# whole word each: `扬程 > 50 且 已填写(型号)`.
ALIASES = {"且": "and", "并且": "and", "或": "or", "或者": "or", "非": "not", "已填写": "filled", "已填": "filled",
           "未填写": "empty", "未填": "empty", "已记住": "remembered", "记得": "remembered"}
TESTS = ("filled", "empty", "remembered")
_PARENS = {"(": "(", "（": "(", ")": ")", "）": ")"}
_QUOTES = {"'": "'", '"': '"', "“": "”", "‘": "’"}


class ConditionError(ValueError):
    """An expression that does not parse; carries bilingual messages and the character position."""

    def __init__(self, message_en: str, message_zh: str, position: int) -> None:
        super().__init__(f"{message_en} (at {position})")
        self.message_en = message_en
        self.message_zh = message_zh
        self.position = position


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name, number, string, op, kw, paren, end
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens ending with an `end` token. Raises ConditionError on a character it does not know."""
    if not isinstance(text, str):
        raise ConditionError("the expression must be a string", "条件表达式必须是字符串", 0)
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"the expression is longer than {MAX_LENGTH} characters",
                             f"条件表达式超过 {MAX_LENGTH} 个字符", MAX_LENGTH)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        token, pos = _next_token(text, pos)
        tokens.append(token)
    tokens.append(Token("end", None, len(text)))
    return tokens


def _next_token(text: str, pos: int) -> tuple[Token, int]:
    char = text[pos]
    if char in _PARENS:
        return Token("paren", _PARENS[char], pos), pos + 1
    two = text[pos:pos + 2]
    if two in COMPARISONS:
        return Token("op", two, pos), pos + 2
    if char in "<>":
        return Token("op", char, pos), pos + 1
    if char in _QUOTES:
        end = text.find(_QUOTES[char], pos + 1)
        if end < 0:
            raise ConditionError("unterminated string", "字符串缺少结束引号", pos)
        return Token("string", text[pos + 1:end], pos), end + 1
    if _is_digit(char) or (char == "-" and pos + 1 < len(text) and _is_digit(text[pos + 1])):
        return _number(text, pos)
    if char.isalpha() or char == "_":
        end = pos + 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        word = ALIASES.get(text[pos:end], text[pos:end])
        return Token("kw" if word in KEYWORDS else "name", word, pos), end
    if char == "=":
        raise ConditionError("use '==' to compare", "比较请使用“==”", pos)
    raise ConditionError(f"unexpected character {char!r}", f"无法识别的字符“{char}”", pos)


def _is_digit(char: str) -> bool:
    # ASCII only: str.isdigit() accepts superscripts and other scripts that float() rejects.
    return "0" <= char <= "9"


def _number(text: str, pos: int) -> tuple[Token, int]:
    end = pos + 1
    while end < len(text) and _is_digit(text[end]):
        end += 1
    if end + 1 < len(text) and text[end] == "." and _is_digit(text[end + 1]):
        end += 2
        while end < len(text) and _is_digit(text[end]):
            end += 1
        return Token("number", float(text[pos:end]), pos), end
    return Token("number", int(text[pos:end]), pos), end


def parse(text: str) -> dict:
    """Parse a condition into its JSON AST. Raises ConditionError with a position on any syntax error."""
    parser = _Parser(tokenize(text))
    if parser.peek().kind == "end":
        raise ConditionError("the expression is empty", "条件表达式为空", 0)
    ast = parser.expr(0)
    token = parser.peek()
    if token.kind != "end":
        raise ConditionError(f"unexpected {_describe(token)}", f"多余的内容：{_describe(token, 'zh')}", token.pos)
    return ast


def _describe(token: Token, language: str = "en") -> str:
    if token.kind == "end":
        return "end of expression" if language == "en" else "表达式结尾"
    return repr(token.value) if language == "en" else f"“{token.value}”"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def accept(self, kind: str, value: Any) -> bool:
        token = self.peek()
        if token.kind == kind and token.value == value:
            self.index += 1
            return True
        return False

    def expect_paren(self, value: str) -> None:
        token = self.peek()
        if not self.accept("paren", value):
            raise ConditionError(f"expected '{value}' but found {_describe(token)}",
                                 f"此处应为“{value}”，实际为{_describe(token, 'zh')}", token.pos)

    def expr(self, depth: int) -> dict:
        if depth > MAX_DEPTH:
            raise ConditionError("the expression is nested too deeply", "条件表达式嵌套过深", self.peek().pos)
        args = [self.and_expr(depth)]
        while self.accept("kw", "or"):
            args.append(self.and_expr(depth))
        return args[0] if len(args) == 1 else {"op": "or", "args": args}

    def and_expr(self, depth: int) -> dict:
        args = [self.not_expr(depth)]
        while self.accept("kw", "and"):
            args.append(self.not_expr(depth))
        return args[0] if len(args) == 1 else {"op": "and", "args": args}

    def not_expr(self, depth: int) -> dict:
        if self.accept("kw", "not"):
            if depth + 1 > MAX_DEPTH:
                raise ConditionError("the expression is nested too deeply", "条件表达式嵌套过深", self.peek().pos)
            return {"op": "not", "arg": self.not_expr(depth + 1)}
        return self.atom(depth)

    def atom(self, depth: int) -> dict:
        token = self.peek()
        if self.accept("paren", "("):
            inner = self.expr(depth + 1)
            self.expect_paren(")")
            return inner
        if token.kind == "kw" and token.value in TESTS:
            return self.test()
        return self.comparison()

    def test(self) -> dict:
        function = self.take().value
        self.expect_paren("(")
        token = self.take()
        if token.kind != "name":
            raise ConditionError(f"{function}() needs a slot name", f"{function}() 的参数必须是槽位名", token.pos)
        self.expect_paren(")")
        return {"op": function, "slot": token.value}

    def comparison(self) -> dict:
        left_token = self.peek()
        left = self.operand()
        if self.peek().kind == "paren" and self.peek().value == "(" and left_token.kind == "name":
            raise ConditionError(f"unknown function {left_token.value!r}", f"未知函数“{left_token.value}”",
                                 left_token.pos)
        token = self.take()
        if token.kind != "op":
            hint_en = f"; to test a slot write filled({left_token.value})" if left_token.kind == "name" else ""
            hint_zh = f"；判断槽位是否已填写请用 filled({left_token.value})" if left_token.kind == "name" else ""
            raise ConditionError(f"expected a comparison operator after {left_token.value!r}{hint_en}",
                                 f"“{left_token.value}”后面应为比较运算符{hint_zh}", token.pos)
        return {"op": token.value, "left": left, "right": self.operand()}

    def operand(self) -> dict:
        token = self.take()
        if token.kind == "name":
            return {"slot": token.value}
        if token.kind in ("number", "string"):
            return {"value": token.value}
        raise ConditionError(f"expected a slot, number or string but found {_describe(token)}",
                             f"此处应为槽位、数字或字符串，实际为{_describe(token, 'zh')}", token.pos)


def slot_names(ast: dict) -> set[str]:
    """All slot names an AST mentions."""
    op = ast.get("op")
    if op in ("or", "and"):
        return set().union(*(slot_names(arg) for arg in ast["args"]))
    if op == "not":
        return slot_names(ast["arg"])
    if op in TESTS:
        return {ast["slot"]}
    return {side["slot"] for side in (ast["left"], ast["right"]) if "slot" in side}


def implied_filled(ast: dict, outcome: bool = True) -> set[str]:
    """Slots that are surely set whenever the condition evaluates to `outcome` (used by the compiler's dataflow)."""
    op = ast["op"]
    if op == "not":
        return implied_filled(ast["arg"], not outcome)
    if op in ("and", "or"):
        parts = [implied_filled(arg, outcome) for arg in ast["args"]]
        # "and" true / "or" false: every part holds; "and" false / "or" true: only what all parts share.
        every = (op == "and") == outcome
        return set().union(*parts) if every else set.intersection(*parts)
    if op in TESTS:  # a remembered value fills its slot
        return {ast["slot"]} if outcome == (op != "empty") else set()
    # A comparison with an unset slot is false, so a true comparison proves its slots are set.
    return slot_names(ast) if outcome else set()


def evaluate(ast: dict, slots: Mapping[str, Any], remembered: Mapping[str, Any] | None = None) -> bool:
    """Evaluate an AST from `parse` against slot values (missing or None = unset) and the slots whose value is
    remembered from an earlier call. Never raises on valid ASTs."""
    op = ast["op"]
    if op == "or":
        return any(evaluate(arg, slots, remembered) for arg in ast["args"])
    if op == "and":
        return all(evaluate(arg, slots, remembered) for arg in ast["args"])
    if op == "not":
        return not evaluate(ast["arg"], slots, remembered)
    if op == "filled":
        return is_filled(slots.get(ast["slot"]))
    if op == "empty":
        return not is_filled(slots.get(ast["slot"]))
    if op == "remembered":
        return ast["slot"] in (remembered or {})
    return compare(op, _operand(ast["left"], slots), _operand(ast["right"], slots))


def is_filled(value: Any) -> bool:
    """A slot counts as set unless it is None or an empty string."""
    return value is not None and value != ""


def _operand(side: dict, slots: Mapping[str, Any]) -> Any:
    return slots.get(side["slot"]) if "slot" in side else side["value"]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def compare(op: str, left: Any, right: Any) -> bool:
    """Compare two values with the module's rules (unset → false, numeric strings vs numbers → numbers)."""
    if not is_filled(left) or not is_filled(right):
        return False
    if _is_number(left) != _is_number(right):
        left, right = _as_number(left), _as_number(right)
    comparable = (_is_number(left) and _is_number(right)) or (type(left) is type(right) and isinstance(left, str))
    if op == "==":
        return comparable and left == right
    if op == "!=":
        return not (comparable and left == right)
    if not comparable:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
