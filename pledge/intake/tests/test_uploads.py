"""CV uploads: checked by content, size and shape, stored encrypted (SECURITY.md I8)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pledge.intake.uploads import (
    SCAN_CHUNK,
    UploadRefused,
    chunks_of,
    upload_check,
    upload_directory,
    upload_read,
    upload_store,
    web_page_tag_in,
)

pytestmark = pytest.mark.usefixtures("english")

ACCEPT = (".pdf", ".docx", ".odt", ".doc")
MAX_BYTES = 5 * 1024 * 1024
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def upload(name, content):
    return SimpleUploadedFile(name, content)


def docx(members=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in (
            members or {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
        ).items():
            archive.writestr(member, data)
    return buffer.getvalue()


def check(name, content):
    return upload_check(upload(name, content), accept=ACCEPT, max_bytes=MAX_BYTES)


def test_a_real_pdf_and_a_real_docx_are_accepted():
    assert check("简历.pdf", PDF).mimetype == "application/pdf"
    assert check("cv.DOCX", docx()).extension == ".docx"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cv.exe", b"MZ\x90\x00", "Send the file as one of"),
        ("cv.pdf", b"MZ\x90\x00 not a pdf", "is not a .pdf file"),
        ("cv.docx", PDF, "is not a .docx file"),
        ("cv.pdf", b"", "empty or too large"),
        (
            "cv.pdf",
            PDF + b"PK\x05\x06",
            "not a real document",
        ),
        ("cv.pdf", b"%PDF-1.4 <html><script>alert(1)</script>", "not a real document"),
        ("cv.docx", docx({"evil.txt": b"x"}), "not a real document"),
    ],
)
def test_wrong_or_disguised_files_are_refused_with_the_reason(name, content, reason):
    with pytest.raises(UploadRefused, match=reason):
        check(name, content)


def test_an_oversized_file_is_refused_before_it_is_read():
    with pytest.raises(UploadRefused, match="larger than 5 MB"):
        check("cv.pdf", PDF + b"0" * MAX_BYTES)


def test_a_zip_bomb_is_refused():
    bomb = docx(
        {"word/document.xml": b"<w:document/>", "word/padding.xml": b"\0" * (60 * 1024 * 1024)}
    )
    assert len(bomb) < MAX_BYTES
    with pytest.raises(UploadRefused, match="not a real document"):
        check("cv.docx", bomb)


def test_a_stored_file_is_encrypted_under_a_random_name(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = PDF + "王小明的简历 secret-marker".encode()
    stored = upload_store(check("wang.pdf", content))
    assert stored.endswith(".bin") and "wang" not in stored
    on_disk = (upload_directory() / stored).read_bytes()
    assert b"secret-marker" not in on_disk and b"%PDF" not in on_disk
    assert upload_read(stored) == content


def test_reading_refuses_paths_outside_the_upload_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(FileNotFoundError):
        upload_read("../keys.bin")


# --- A PDF is searched to its end for a web page inside it (I8: polyglots) -------------------

MIB = 1024 * 1024


@pytest.mark.parametrize(
    "tag",
    [
        b"<script>alert(1)</script>",
        b"<SVG onload=alert(1)>",
        b"<html>",
        b"<img src=x onerror=alert(1)>",
        b"<iframe src=//evil.example>",
        b"<body onload=alert(1)>",
        b"<object data=x>",
        b"<embed src=x>",
    ],
)
def test_a_pdf_with_a_script_after_a_mebibyte_of_padding_is_refused_i8(tag):
    with pytest.raises(UploadRefused, match="not a real document"):
        check("cv.pdf", PDF + b"%" + b"0" * MIB + tag + b"\n%%EOF\n")


@pytest.mark.parametrize("offset", range(len(b"<iframe>") + 1))
def test_a_tag_split_across_two_chunks_is_found(offset):
    """Every way the longest tag, "<iframe>", can straddle a chunk boundary, with the scan's
    own chunk size."""
    start = SCAN_CHUNK - offset
    content = PDF.ljust(start, b" ") + b"<iframe>" + b" " * SCAN_CHUNK
    assert content.index(b"<iframe>") == start
    assert web_page_tag_in(chunks_of(content))
    with pytest.raises(UploadRefused, match="not a real document"):
        check("cv.pdf", content)


def test_a_large_pdf_without_a_tag_is_accepted():
    content = PDF + b"%" + b"<scrip <svgx html>" * (3 * MIB // 18) + b"\n%%EOF\n"
    assert check("cv.pdf", content).mimetype == "application/pdf"
