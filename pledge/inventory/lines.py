"""Finding the line of a TOML file where a dotted entry is declared, for error messages."""

import re

KEY_LINE = re.compile(
    r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)
HEADER_LINE = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
KEY_PART = re.compile(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""")


def split_key(dotted: str) -> tuple[str, ...]:
    """``forms.demo."user.name"`` → ("forms", "demo", "user.name")."""
    return tuple(part.strip("\"'") for part in KEY_PART.findall(dotted))


def join_key(parts) -> str:
    """The inverse of split_key: parts holding a dot are quoted."""
    return ".".join(f'"{part}"' if "." in str(part) else str(part) for part in parts)


class TomlLines:
    """Where each table and key of a TOML source is declared (1-based line numbers)."""

    def __init__(self, source: str):
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_multiline = False
        for number, line in enumerate(source.splitlines(), start=1):
            if in_multiline:
                in_multiline = line.count('"""') % 2 == 0
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            header = HEADER_LINE.match(line) if stripped.startswith("[") else None
            if header:
                table = split_key(header.group(1))
                self.lines.setdefault(table, number)
                continue
            key = KEY_LINE.match(line)
            if key:
                self.lines.setdefault(table + split_key(key.group(1)), number)
            if line.count('"""') % 2 == 1:
                in_multiline = True

    def line_of(self, parts) -> int | None:
        """The line of the longest declared prefix of ``parts`` (list indexes are skipped)."""
        parts = tuple(str(part) for part in parts if not isinstance(part, int))
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None
