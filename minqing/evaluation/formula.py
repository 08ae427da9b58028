"""Star-rating formulas: arithmetic over the metrics' Chinese names (+ - * /, brackets, numbers, min, max),
parsed with Python's own parser and checked node by node, so nothing else can run."""

from __future__ import annotations

import ast

# Names a formula may use: the metrics as shares of 1.
FORMULA_NAMES = {
    "响应率": "response_rate", "按期办结率": "ontime_rate", "解决率": "solve_rate", "满意率": "satisfaction_rate",
    "返工率": "rework_rate", "延期率": "extension_rate", "退回率": "return_rate", "综合得分": "composite",
}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load, ast.USub, ast.UAdd,
            ast.Add, ast.Sub, ast.Mult, ast.Div)


class FormulaError(ValueError):
    pass


def _parse(formula: str) -> ast.Expression:
    text = (formula or "").strip()
    if not text:
        raise FormulaError("请填写计算公式，例如：0.5*满意率 + 0.5*解决率。")
    if len(text) > 200:
        raise FormulaError("公式太长（最多 200 个字符）。")
    try:
        tree = ast.parse(text.replace("×", "*").replace("÷", "/").replace("（", "(").replace("）", ")"), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"公式写法不对：{text}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in FORMULA_NAMES and node.id not in {"min", "max"}:
            raise FormulaError(f"公式里的“{node.id}”不是可用的指标。可用：{'、'.join(FORMULA_NAMES)}。")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in {"min", "max"}
                                               and node.args and not node.keywords):
            raise FormulaError("公式里只能调用 min() 和 max()。")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise FormulaError("公式里只能有数字和指标名称。")
        if not isinstance(node, _ALLOWED):
            raise FormulaError("公式里只能用 + - * / 、括号、数字、指标名称和 min()、max()。")
    return tree


def check_formula(formula: str) -> None:
    """Refuse a formula that is not allowed or cannot be computed (division by zero with every metric missing)."""
    calculate(formula, {})


def _eval(node: ast.AST, values: dict[str, float]) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body, values)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Call):
        args = [_eval(a, values) for a in node.args]
        return min(args) if isinstance(node.func, ast.Name) and node.func.id == "min" else max(args)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if b == 0:
            raise FormulaError("公式里出现了除以零。")
        return a / b
    raise FormulaError("公式写法不对。")


def calculate(formula: str, metrics: dict[str, float | None]) -> float:
    """The formula's result from the metrics (by name: "satisfaction_rate" …, composite out of 100), kept within
    0–1. A metric with nothing to measure (no callbacks, say) counts as 1 for the good ones and 0 for the bad
    ones (返工、延期、退回)."""
    tree = _parse(formula)
    values = {}
    for label, name in FORMULA_NAMES.items():
        v = metrics.get(name)
        if name == "composite" and v is not None:
            v = v / 100
        values[label] = v if v is not None else (0.0 if name in {"rework_rate", "extension_rate", "return_rate"} else 1.0)
    return max(0.0, min(1.0, _eval(tree, values)))
