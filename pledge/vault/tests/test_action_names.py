"""Every action the code records in the audit log has a name in both languages.

The audit log stores a stable code (``mail.queued``) and the console shows the name
``pledge/vault/actions.py`` gives it. The actions are read from the source itself: every call
of ``audit_record``, and, where its ``action`` is a parameter of the function around it
(``case_record(action=...)`` records ``f"case.{action}"``), every call of that function in turn,
so a new action is named the day its first ``audit_record`` is written (the scan starts at
``entry_fields``, which makes every entry, ``audit_record``'s and the seal's). An ``action`` the scan
cannot follow to a literal fails too: write it as one, or as a parameter given literals.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import translation

from pledge.vault.actions import (
    ACTION_NAMES,
    SYSTEM_JOB_NAMES,
    VISITOR_ACTION_NAMES,
    actor_name,
)

SOURCE = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Site:
    """Where an action is given: ``path:line`` and the text around the value (``case.{}``)."""

    where: str
    template: str


def source_files() -> list[Path]:
    return [
        path
        for path in sorted(SOURCE.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(SOURCE).parts)
    ]


def called_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    arguments = function.args
    return [arg.arg for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]


def argument(call: ast.Call, function: ast.FunctionDef, name: str) -> ast.expr | None:
    """The expression a call passes for ``name``, by keyword or by position."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = [arg.arg for arg in (*function.args.posonlyargs, *function.args.args)]
    if name in positional and positional.index(name) < len(call.args):
        return call.args[positional.index(name)]
    return None


def template_of(value: ast.expr) -> tuple[str, str] | None:
    """``("case.{}", "action")`` for ``f"case.{action}"``, ``("{}", "action")`` for ``action``."""
    if isinstance(value, ast.Name):
        return "{}", value.id
    if isinstance(value, ast.JoinedStr):
        names = [part for part in value.values if isinstance(part, ast.FormattedValue)]
        if len(names) == 1 and isinstance(names[0].value, ast.Name):
            text = "".join(
                "{}" if isinstance(part, ast.FormattedValue) else str(part.value)
                for part in value.values
            )
            return text, names[0].value.id
    return None


def choices_of(value: ast.expr) -> list[ast.expr]:
    """Both sides of ``"consent.granted" if granted else "consent.withdrawn"``."""
    if isinstance(value, ast.IfExp):
        return [*choices_of(value.body), *choices_of(value.orelse)]
    return [value]


class Scan:
    """Every call in the source, with the function it is written in."""

    def __init__(self):
        self.calls: list[tuple[str, ast.Call, ast.FunctionDef | None]] = []
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        for path in source_files():
            tree = ast.parse(path.read_text(), filename=str(path))
            self.visit(tree, str(path.relative_to(SOURCE.parent)), None)

    def visit(self, node: ast.AST, path: str, around) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(child.name, []).append(child)
                self.visit(child, path, child)
                continue
            if isinstance(child, ast.Call):
                self.calls.append((f"{path}:{child.lineno}", child, around))
            self.visit(child, path, around)

    def actions(self) -> tuple[dict[str, Site], list[str]]:
        """Each recorded action with one place that records it, and what could not be read."""
        self.found: dict[str, Site] = {}
        self.unread: list[str] = []
        # (function, its parameter, the text around it) still to follow to its callers
        # entry_fields makes every entry: audit_record's, and the seal's of vault/audit.py
        self.pending = [("entry_fields", "action", "{}")]
        followed = set()
        while self.pending:
            step = self.pending.pop()
            if step not in followed:
                followed.add(step)
                self.follow(*step)
        return self.found, self.unread

    def follow(self, name: str, parameter: str, around_text: str) -> None:
        """Read what every call of ``name`` gives for ``parameter``."""
        definitions = self.functions.get(name, [])
        for where, call, around in self.calls:
            if called_name(call) != name:
                continue
            given = argument(call, definitions[0], parameter) if definitions else None
            # None: the function's default, or another function of that name
            for value in choices_of(given) if given is not None else []:
                self.read(value, where, around, around_text)

    def read(self, value: ast.expr, where: str, around, around_text: str) -> None:
        """One value given for the action: a literal, or a parameter to follow further."""
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            action = around_text.format(value.value)
            self.found.setdefault(action, Site(where, around_text))
            return
        template = template_of(value)
        if template and around and template[1] in parameters(around):
            text, inner = template
            self.pending.append((around.name, inner, around_text.format(text)))
            return
        self.unread.append(f"{where}: {ast.unparse(value)}")


@pytest.fixture(scope="module")
def recorded():
    return Scan().actions()


def test_the_scan_finds_the_actions_recorded_through_a_function(recorded):
    """The scan is not empty-handed: a literal, and one given through ``case_record``."""
    actions, _unread = recorded
    assert "mail.queued" in actions
    assert "case.exported" in actions  # case_note(..., "exported") -> case.{action}
    assert "campaign.paused" in actions  # status_change(action="campaign.paused")


def test_every_action_is_read_to_a_literal(recorded):
    _actions, unread = recorded
    assert not unread, "actions the scan cannot read:\n" + "\n".join(unread)


def test_every_recorded_action_has_a_name(recorded):
    actions, _unread = recorded
    unnamed = {action: site.where for action, site in actions.items() if action not in ACTION_NAMES}
    assert not unnamed, f"name these in pledge/vault/actions.py: {unnamed}"


@pytest.mark.parametrize("names", [ACTION_NAMES, SYSTEM_JOB_NAMES, VISITOR_ACTION_NAMES])
def test_every_name_is_translated(names):
    """Each name reads in Chinese to a Chinese reader (the catalogue has it, not fuzzy)."""
    with translation.override("en"):
        english = {code: str(name) for code, name in names.items()}
    with translation.override("zh-hans"):
        chinese = {code: str(name) for code, name in names.items()}
    untranslated = sorted(english[code] for code in names if english[code] == chinese[code])
    assert not untranslated, f"no Chinese in locale/zh_Hans for: {untranslated}"


def actors_named_in_source() -> dict[str, set[str]]:
    """``{"system": {"purge", ...}, "visitor": {"form", ...}}`` from every ``Actor.system("…")``
    and ``Actor.visitor("…")`` outside the tests and their fixtures."""
    named: dict[str, set[str]] = {"system": set(), "visitor": set()}
    for path in (path for path in source_files() if path.name != "conftest.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "Actor"
                and node.func.attr in named
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                named[node.func.attr].add(node.args[0].value)
    return named


def test_every_system_job_and_visitor_action_has_a_name():
    named = actors_named_in_source()
    assert "purge" in named["system"] and "form" in named["visitor"]  # the scan finds them
    unnamed = sorted(named["system"] - set(SYSTEM_JOB_NAMES)) + sorted(
        named["visitor"] - set(VISITOR_ACTION_NAMES)
    )
    assert not unnamed, f"name these in pledge/vault/actions.py: {unnamed}"


def test_an_actor_reads_as_words_in_both_languages():
    with translation.override("en"):
        assert actor_name("system:leads.assign") == "System task: lead assignment"
        assert actor_name("visitor:form") == "A visitor: a form on the site"
    with translation.override("zh-hans"):
        assert actor_name("system:purge") == "系统任务：删除过期记录"
        assert actor_name("staff:alice") == "员工：alice"
