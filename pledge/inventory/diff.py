"""The differences between two policy versions: their texts line by line, and their declarations."""

import html
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

CONTEXT_LINES = 2
BLOCK_END = re.compile(r"</(p|li|h[1-6]|tr|caption|section|nav|ol|ul|table|div)>|<br\s*/?>", re.I)
CELL_END = re.compile(r"</t[dh]>", re.I)
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed" or "gap" (unchanged lines left out)
    text: str


@dataclass(frozen=True)
class DocumentDiff:
    document: str
    lines: tuple[DiffLine, ...]

    @property
    def changed(self) -> bool:
        return any(line.kind in ("added", "removed") for line in self.lines)


@dataclass(frozen=True)
class DeclarationChange:
    entry: str  # dotted name, e.g. "cookies.visitor.lifetime_days"
    kind: str  # "added", "removed" or "changed"
    old: str
    new: str


@dataclass(frozen=True)
class PolicyDiff:
    older: object  # PolicyVersion
    newer: object
    documents: tuple[DocumentDiff, ...]
    declarations: tuple[DeclarationChange, ...]


def text_lines(document_html: str) -> list[str]:
    """The readable lines of a rendered document: one per paragraph, list item or table row."""
    text = SPACE.sub(" ", document_html)  # the source's own line breaks mean nothing
    text = CELL_END.sub(" · ", text)
    text = BLOCK_END.sub("\n", text)
    text = html.unescape(TAG.sub("", text))
    lines = []
    for line in text.splitlines():
        line = SPACE.sub(" ", line).strip().strip("·").strip()
        if line:
            lines.append(line)
    return lines


def lines_diff(old: list[str], new: list[str]) -> tuple[DiffLine, ...]:
    """Changed lines with a little unchanged context around them."""
    result: list[DiffLine] = []
    for tag, old_start, old_end, new_start, new_end in SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            same = old[old_start:old_end]
            if len(same) > 2 * CONTEXT_LINES + 1:
                head = same[:CONTEXT_LINES] if result else []
                tail = same[-CONTEXT_LINES:] if new_end < len(new) or old_end < len(old) else []
                result += [DiffLine("same", line) for line in head]
                result.append(DiffLine("gap", ""))
                result += [DiffLine("same", line) for line in tail]
            else:
                result += [DiffLine("same", line) for line in same]
            continue
        result += [DiffLine("removed", line) for line in old[old_start:old_end]]
        result += [DiffLine("added", line) for line in new[new_start:new_end]]
    return tuple(result)


def flatten(value, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` → ``{"a.b": "1"}``; lists are kept whole as one value."""
    if isinstance(value, dict):
        flat = {}
        for key, child in value.items():
            name = f'"{key}"' if "." in key else key
            flat.update(flatten(child, f"{prefix}.{name}" if prefix else name))
        return flat
    return {prefix: str(value)}


def declarations_diff(old: dict, new: dict) -> tuple[DeclarationChange, ...]:
    old_flat, new_flat = flatten(old), flatten(new)
    changes = []
    for entry in sorted(old_flat.keys() | new_flat.keys()):
        if entry not in new_flat:
            changes.append(DeclarationChange(entry, "removed", old_flat[entry], ""))
        elif entry not in old_flat:
            changes.append(DeclarationChange(entry, "added", "", new_flat[entry]))
        elif old_flat[entry] != new_flat[entry]:
            changes.append(DeclarationChange(entry, "changed", old_flat[entry], new_flat[entry]))
    return tuple(changes)


def policy_texts_diff(*, older, newer, language: str, documents) -> PolicyDiff:
    return PolicyDiff(
        older=older,
        newer=newer,
        documents=tuple(
            DocumentDiff(
                document,
                lines_diff(
                    text_lines(older.text(document, language)),
                    text_lines(newer.text(document, language)),
                ),
            )
            for document in documents
        ),
        declarations=declarations_diff(older.inventory, newer.inventory),
    )
