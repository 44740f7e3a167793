"""Micro-benchmark of the rules engine against installed JsonLogic interpreters.

    python benchmarks/rules_bench.py [--quick] [--interpreter-dir NAME=PATH ...] [--datalogic-dir PATH]

References: the installed ``json_logic.jsonLogic``; each ``--interpreter-dir NAME=PATH[:module:function]``
(default ``json_logic:jsonLogic``; several packages share that module name, so extra ones are installed
side by side with ``pip install --target PATH pkg``); and with ``--datalogic-dir PATH`` the Rust engine
datalogic-py, driven compile-once / evaluate-many. For every engine the script reports how many official
suite cases it passes, then evaluations per second on realistic payout rules (standard operators only, so
every engine runs the same rules), and the speedup of the compiled engine over the fastest conforming one.
Reference interpreters get floats (their native input); the compiled engine gets exact Decimals.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.metadata
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rules import apply, clear_cache, compile_rule, parse_rule  # noqa: E402

SUITE = ROOT / "tests" / "unit" / "rules" / "data" / "tests.json"

# Realistic payout rules written with standard operators only.
STANDARD_RULES: dict[str, str] = {
    "geo_tiers": """{"if": [
        {"in": [{"var": "click.country"}, ["US", "GB", "CA", "AU"]]}, 12.00,
        {"in": [{"var": "click.country"}, ["DE", "FR", "NL", "SE", "NO"]]}, 8.50,
        {"in": [{"var": "click.country"}, ["BR", "MX", "IN", "ID"]]}, 2.25,
        1.10]}""",
    "percent_of_sale": """{"min": [{"*": [{"var": "conversion.sale_amount"}, 0.125]}, 50]}""",
    "volume_tiers": """{"if": [
        {">=": [{"var": "conversion.count_this_month"}, 1000]}, 9.00,
        {">=": [{"var": "conversion.count_this_month"}, 500]}, 8.00,
        {">=": [{"var": "conversion.count_this_month"}, 100]}, 7.00,
        6.00]}""",
    "private_deal": """{"if": [{"in": ["vip", {"var": "webmaster.groups"}]}, 15.00,
        {"==": [{"var": "webmaster.id"}, 1007]}, 14.00, 10.00]}""",
    "combined": """{"if": [
        {"in": ["vip", {"var": "webmaster.groups"}]}, {"*": [{"var": "conversion.sale_amount"}, 0.15]},
        {"and": [{"in": [{"var": "click.country"}, ["US", "GB", "CA"]]},
                 {">=": [{"var": "conversion.count_this_month"}, 100]}]},
            {"+": [{"*": [{"var": "conversion.sale_amount"}, 0.12]}, 1.50]},
        {"in": [{"var": "click.country"}, ["US", "GB", "CA"]]},
            {"*": [{"var": "conversion.sale_amount"}, 0.10]},
        {"<": [{"var": "conversion.ctct_seconds"}, 30]}, 0,
        {"*": [{"var": "conversion.sale_amount"}, 0.05]}]}""",
}

# The same kind of terms with the domain operators (compiled engine only: the references lack them).
DOMAIN_RULES: dict[str, str] = {
    "weekday_hour_bonus": """{"+": [
        {"percent": [{"var": "conversion.sale_amount"}, 10]},
        {"if": [{"and": [{"in": [{"weekday": [{"var": "conversion.time"}]}, [6, 7]]},
                         {"<": [{"hour": [{"var": "conversion.time"}, "Europe/Moscow"]}, 12]}]},
                2.00, 0]}]}""",
    "combined_domain": """{"round_money": [{"if": [
        {"in_group": "vip"}, {"percent": [{"var": "conversion.sale_amount"}, 15]},
        {"in": [{"var": "click.country"}, ["US", "GB", "CA"]]},
            {"percent": [{"var": "conversion.sale_amount"}, 12]},
        {"percent": [{"var": "conversion.sale_amount"}, 5]}]}, "USD"]}""",
}

COUNTRIES = ["US", "GB", "CA", "AU", "DE", "FR", "NL", "BR", "MX", "IN", "ID", "RU", "KZ", "TR", "PL"]


def make_contexts(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    contexts = []
    for _ in range(count):
        cents = rnd.randint(500, 50_000)
        contexts.append(
            {
                "network": {"timezone": "Europe/Moscow"},
                "offer": {"id": 42, "category": "finance"},
                "goal": "sale",
                "webmaster": {
                    "id": rnd.choice([1007, 1008, 2001, 3005]),
                    "groups": rnd.choice([[], ["vip"], ["email"]]),
                },
                "click": {"country": rnd.choice(COUNTRIES), "device": "mobile", "os": "Android", "sub1": "x"},
                "conversion": {
                    "time": f"2026-03-{rnd.randint(1, 31):02d}T{rnd.randint(0, 23):02d}:15:00+00:00",
                    "sale_amount": Decimal(cents).scaleb(-2),
                    "currency": "USD",
                    "ctct_seconds": rnd.randint(5, 90_000),
                    "count_this_month": rnd.randint(0, 1500),
                },
            }
        )
    return contexts


def as_floats(value: Any) -> Any:
    """The same data the way a float-based interpreter receives it from json.loads."""
    return json.loads(json.dumps(value, default=float))


Interpreter = Callable[[Any, Any], Any]
# Every engine is driven as prepare(rule) -> evaluate(data), so compile-once engines are measured on
# their fast path and plain interpreters pay nothing extra (functools.partial is C-level).
Prepare = Callable[[Any], Callable[[Any], Any]]


def _plain(function: Interpreter) -> Prepare:
    return lambda rule: functools.partial(function, rule)


def _datalogic(path: str) -> Prepare:
    """datalogic-py: a Rust engine with compile-once rules. A bare string is read as JSON text by its
    compile(), so rules are passed serialised (with that, it passes 277/277)."""
    with _isolated_import(path, "datalogic_py"):
        engine = importlib.import_module("datalogic_py").Engine()
    return lambda rule: engine.compile(json.dumps(rule)).evaluate


def _distribution_of_installed() -> str:
    names = importlib.metadata.packages_distributions().get("json_logic", [])
    return ",".join(sorted(set(names))) or "json_logic"


def _forget(module: str) -> None:
    for name in [n for n in sys.modules if n == module or n.startswith(module + ".")]:
        del sys.modules[name]


@contextlib.contextmanager
def _isolated_import(path: str | None, module: str) -> Iterator[None]:
    """Import ``module`` from ``path`` (or site-packages) without leaking it into the next import."""
    _forget(module)
    if path:
        sys.path.insert(0, path)
    try:
        yield
    finally:
        if path:
            sys.path.remove(path)
        _forget(module)


def load_interpreters(extra: list[str], datalogic_dir: str | None) -> dict[str, Prepare]:
    """The installed json_logic plus each NAME=PATH[:module:function] (default json_logic:jsonLogic)."""
    found: dict[str, Prepare] = {}
    with contextlib.suppress(ImportError), _isolated_import(None, "json_logic"):
        found[_distribution_of_installed()] = _plain(importlib.import_module("json_logic").jsonLogic)
    for spec in extra:
        name, _, location = spec.partition("=")
        path, module, function = [*location.split(":"), "json_logic", "jsonLogic"][:3]
        with _isolated_import(path, module):
            found[name] = _plain(getattr(importlib.import_module(module), function))
    if datalogic_dir:
        found["datalogic-py (Rust)"] = _datalogic(datalogic_dir)
    return found


def same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(actual, int | float | Decimal) and isinstance(expected, int | float | Decimal):
        # floats carry binary noise (244.65 * 0.05 = 12.232500000000002): agree to 1e-9
        return abs(Decimal(str(actual)) - Decimal(str(expected))) < Decimal("1e-9")
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    return type(actual) is type(expected) and actual == expected


def conformance(prepare: Prepare, decimal_input: bool) -> int:
    text = SUITE.read_text()
    cases = [c for c in (parse_rule(text) if decimal_input else json.loads(text)) if not isinstance(c, str)]
    passed = 0
    for rule, data, expected in cases:
        try:
            passed += same(prepare(rule)(data), expected)
        except Exception:  # noqa: S112 - a crash on a case is a failed case
            continue
    return passed


def rate(evaluate: Callable[[Any], Any], contexts: list[Any], seconds: float) -> float:
    """Best-of-3 evaluations per second, each round running at least ``seconds``."""
    best = 0.0
    for _ in range(3):
        done, started = 0, time.perf_counter()
        while True:
            for ctx in contexts:
                evaluate(ctx)
            done += len(contexts)
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
        best = max(best, done / elapsed)
    return best


def per_call(func: Callable[[], Any], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - started) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs (CI smoke test)")
    parser.add_argument(
        "--datalogic-dir", metavar="PATH", help="where datalogic-py was pip-installed --target"
    )
    parser.add_argument("--interpreter-dir", action="append", default=[], metavar="NAME=PATH[:MODULE:FUNC]")
    args = parser.parse_args()
    seconds = 0.1 if args.quick else 0.5
    contexts = make_contexts(200 if args.quick else 1000)
    float_contexts = as_floats(contexts)

    print(f"python {platform.python_version()} on {platform.machine()}, {len(contexts)} contexts")
    references = load_interpreters(args.interpreter_dir, args.datalogic_dir)
    ours_passed = conformance(_plain(apply), decimal_input=True)
    print(f"\nofficial suite: rules engine (compiled) {ours_passed}/277")
    conforming: dict[str, Prepare] = {}
    for name, evaluate in references.items():
        passed = conformance(evaluate, decimal_input=False)
        print(f"official suite: {name} {passed}/277")
        if passed == 277:
            conforming[name] = evaluate
    if not conforming:
        print("no reference passes 277/277: the speedup is against the fastest installed one")
        conforming = dict(references)

    header = f"\n{'rule':<20}{'engine':<28}{'evals/s':>14}{'speedup':>10}"
    print(header)
    speedups = []
    for rule_name, text in STANDARD_RULES.items():
        compiled = compile_rule(parse_rule(text))
        float_rule = json.loads(text)
        prepared = {name: prepare(float_rule) for name, prepare in references.items()}
        for ctx, fctx in zip(contexts[:50], float_contexts[:50], strict=True):
            for evaluate in prepared.values():
                assert same(compiled.evaluate(ctx), evaluate(fctx)), (rule_name, ctx)
        ours = rate(compiled.evaluate, contexts, seconds)
        theirs = {name: rate(evaluate, float_contexts, seconds) for name, evaluate in prepared.items()}
        fastest = max((theirs[name] for name in conforming), default=0.0)
        speedup = ours / fastest if fastest else float("nan")
        speedups.append(speedup)
        print(f"{rule_name:<20}{'rules (compiled, Decimal)':<28}{ours:>14,.0f}{speedup:>9.1f}x")
        for name, value in theirs.items():
            note = "" if name in conforming else "  (not conforming)"
            print(f"{'':<20}{name:<28}{value:>14,.0f}{ours / value:>9.1f}x{note}")
    if speedups:
        print(
            f"\nspeedup vs fastest conforming interpreter: min {min(speedups):.1f}x, max {max(speedups):.1f}x"
        )

    print(f"\n{'domain rule':<20}{'evals/s':>14}")
    for rule_name, text in DOMAIN_RULES.items():
        compiled = compile_rule(parse_rule(text))
        print(f"{rule_name:<20}{rate(compiled.evaluate, contexts, seconds):>14,.0f}")

    print(f"\n{'rule':<20}{'cold compile µs':>16}{'cached lookup µs':>18}")
    repeat = 200 if args.quick else 2000
    for rule_name, text in {**STANDARD_RULES, **DOMAIN_RULES}.items():
        rule = parse_rule(text)

        def cold(rule: Any = rule) -> None:
            clear_cache()
            compile_rule(rule)

        compile_rule(rule)
        cached = per_call(lambda rule=rule: compile_rule(rule), repeat)  # type: ignore[misc]
        print(f"{rule_name:<20}{per_call(cold, repeat // 4) * 1e6:>16.1f}{cached * 1e6:>18.1f}")


if __name__ == "__main__":
    main()
