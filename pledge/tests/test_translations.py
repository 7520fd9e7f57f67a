"""Every user-facing string exists in both languages, and the committed catalogue is compiled."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = sorted((settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES").glob("*.po"))


def entries(path: Path):
    """(msgid, msgstr, flags) of each entry, continuation lines joined."""
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        msgid = "".join(re.findall(r'^(?:msgid|")\s*"?(.*?)"$', block.split("msgstr")[0], re.M))
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)
        continued = re.findall(r'^"(.*)"$', block.split("msgstr", 1)[-1], re.M) if strings else []
        yield msgid, "".join(strings) + "".join(continued), flags


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.name)
def test_every_string_has_a_chinese_translation(catalogue):
    untranslated = [
        msgid
        for msgid, msgstr, flags in entries(catalogue)
        if msgid and (not msgstr or "fuzzy" in flags)
    ]
    assert not untranslated, f"translate in {catalogue.name}: {untranslated}"


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: path.name)
def test_the_committed_mo_file_is_compiled_from_the_po_file(catalogue, tmp_path):
    if not shutil.which("msgfmt"):
        pytest.skip("needs msgfmt (apt install gettext) to compile the catalogue")
    compiled = tmp_path / "out.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(catalogue)], check=True)
    assert compiled.read_bytes() == catalogue.with_suffix(".mo").read_bytes(), (
        "run `make messages` (or compilemessages) and commit the .mo file"
    )


# Chinese punctuation (the catalogues' and every other Chinese text's): test_typography.py.
