"""The drill's traffic: visitors, the beacon under load, and staff, each a thread speaking
HTTPS to nginx from an address of its own on 127.0.0.0/8 (nginx passes it on, so every
visitor is counted by its own address, as on the internet).

Every request is logged with its time, status and the app server that answered; what a
client was told succeeded (a 204 for an event, the thank-you page for a form, a redirect after
a note) is recorded, so the checks can look for each in the database afterwards.
"""

import http.client
import re
import secrets
import ssl
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE  # the drill's own self-signed certificate


@dataclass
class Record:
    at: float
    kind: str
    status: int  # 0: no answer (connection refused, reset, timed out)
    upstream: str = ""


@dataclass
class Log:
    """What every client saw, shared by all threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Record] = field(default_factory=list)
    events_acknowledged: list[str] = field(default_factory=list)
    forms_acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (form, marker)
    forms_sent: list[tuple[str, str]] = field(default_factory=list)
    notes_acknowledged: list[str] = field(default_factory=list)
    staff_pages: list[tuple[str, str, bool]] = field(default_factory=list)  # user, upstream, ok
    forms_refused: dict[str, str] = field(default_factory=dict)  # "form status": a page

    def add(self, record: Record) -> None:
        with self.lock:
            self.requests.append(record)


class Client:
    """One browser: its own source address, cookies and keep-alive connection."""

    def __init__(self, port: int, address: str, log: Log, origin: str):
        self.port, self.address, self.log, self.origin = port, address, log, origin
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPSConnection | None = None

    def connect(self) -> http.client.HTTPSConnection:
        if self.connection is None:
            self.connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=30, context=TLS, source_address=(self.address, 0)
            )
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self, method: str, path: str, kind: str, body: bytes | None = None, headers=None
    ) -> tuple[int, dict, str]:
        headers = {
            "Host": f"localhost:{self.port}",
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) PledgeDrill/1.0 Chrome/120.0",
            "Accept-Language": "en",
            **(headers or {}),
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method == "POST":
            headers.setdefault("Origin", self.origin)
            headers.setdefault("Referer", self.origin + path)
        try:
            connection = self.connect()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.close()
            self.log.add(Record(time.time(), kind, 0))
            return 0, {}, ""
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or not cookie_value.strip('"'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        answer = {key.lower(): value for key, value in response.getheaders()}
        if answer.get("connection", "").lower() == "close":
            self.close()
        self.log.add(Record(time.time(), kind, response.status, answer.get("x-drill-upstream", "")))
        return response.status, answer, text


# --- Forms ------------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The fields of the page's own POST form (the first without an action): inputs, selects with their options,
    textareas, and which are required."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.done = False
        self.fields: list[dict] = []
        self.select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if (
            tag == "form"
            and attributes.get("method", "").lower() == "post"
            and not attributes.get("action")  # the page's own form, not the cookie banner
            and not self.done
        ):
            self.inside = True
        if not self.inside:
            return
        if tag in ("input", "textarea"):
            self.fields.append({"tag": tag, **attributes})
        elif tag == "select":
            self.select = {"tag": "select", "options": [], **attributes}
            self.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self.select["options"].append(attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "select":
            self.select = None


SUM = re.compile(r"what is (\d+) \+ (\d+)\?")
TEXT_VALUES = {
    "name": "Drill Visitor",
    "company": "Drill Testing Co",
    "employer": "Drill Testing Co",
    "phone": "+86 138 0000 0000",
    "subject": "Scale-out drill",
}


def form_fields(page: str) -> list[tuple[str, str]]:
    parser = FormParser()
    parser.feed(page)
    return [(item.get("name", ""), item.get("type", "text")) for item in parser.fields]


def form_answers(page: str, marker: str, email: str) -> dict[str, str]:
    """Fill a form the way a visitor would: every required field, each box that is required,
    one choice of each list, the small sum answered (no JavaScript)."""
    parser = FormParser()
    parser.feed(page)
    data: dict[str, str] = {}
    boxes = Counter(item.get("name") for item in parser.fields if item.get("type") == "checkbox")
    for item in parser.fields:
        name, kind = item.get("name"), item.get("type", "text")
        if kind == "radio":  # the last choice: an adult, for the age bands
            data[name] = item.get("value", "")
            continue
        if not name or name in data or name == "website":  # the honeypot stays empty
            continue
        if kind == "hidden":
            data[name] = unescape(item.get("value", ""))
        elif kind == "checkbox":
            # A required box, or one choice of a group (a list to join).
            if "required" in item or boxes[name] > 1:
                data[name] = item.get("value", "on")
        elif kind == "file":
            continue  # attached by form_send
        elif item["tag"] == "select":
            options = [value for value in item["options"] if value]
            if options:
                data[name] = options[0]
        elif kind == "email" or "email" in name:
            data[name] = email
        elif name == "human_sum":
            found = SUM.search(page)
            data[name] = str(int(found[1]) + int(found[2])) if found else ""
        elif item["tag"] == "textarea" or "comment" in name or "message" in name:
            data[name] = f"Written by the scale-out drill. {marker}"
        elif name in TEXT_VALUES:
            data[name] = TEXT_VALUES[name]
        elif "required" in item:
            data[name] = f"drill {marker}"
    return data


def cv(marker: str) -> bytes:
    return (
        b"%PDF-1.4\n% " + marker.encode() + b"\n1 0 obj << /Type /Catalog >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def multipart(data: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = f"drill{secrets.token_hex(12)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in data.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="cv.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
        for name, content in files.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def form_send(client: Client, form: str, path: str, log: Log) -> bool:
    """Open a form, fill it, send it once. Acknowledged: the page after it says thank you."""
    marker = f"drill-{uuid.uuid4().hex[:12]}"
    email = f"{marker}@drill.example.com"
    status, _, page = client.request("GET", path, f"form page {form}")
    if status != 200:
        return False
    data = form_answers(page, marker, email)
    files = [name for name, kind in form_fields(page) if kind == "file"]
    with log.lock:
        log.forms_sent.append((form, marker))
    if files:  # the CV: a small PDF that carries the marker, to be read back afterwards
        body, content_type = multipart(data, {name: cv(marker) for name in files})
    else:
        body, content_type = urlencode(data).encode(), "application/x-www-form-urlencoded"
    status, _, answer = client.request(
        "POST", path, f"form {form}", body=body, headers={"Content-Type": content_type}
    )
    if status == 200 and 'class="form"' not in answer:  # the outcome page, not the form again
        with log.lock:
            log.forms_acknowledged.append((form, marker))
        return True
    with log.lock:
        log.forms_refused.setdefault(f"{form} {status}", answer)
    return False


# --- The beacon -------------------------------------------------------------------------------


def beacon_send(client: Client, log: Log, path: str = "/en/") -> int:
    from pledge.tracking.beacon import new_event_id

    identifier = new_event_id()
    body = urlencode({"k": "view", "id": identifier, "p": path, "r": "", "l": "en"}).encode()
    status, _, _ = client.request(
        "POST",
        "/beacon",
        "beacon",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status == 204:
        with log.lock:
            log.events_acknowledged.append(identifier)
    return status


# --- Staff ------------------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return found[1] if found else ""


def staff_sign_in(client: Client, username: str, password: str, code) -> bool:
    """Password, then the authenticator's code: the console's two steps."""
    status, _, page = client.request("GET", "/en/console/login/", "staff login")
    if status != 200:
        return False
    form = {"csrfmiddlewaretoken": csrf_of(page), "username": username, "password": password}
    status, answer, _ = client.request(
        "POST",
        "/en/console/login/",
        "staff login",
        body=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302:
        return False
    verify = urlsplit(answer.get("location", "")).path or "/en/console/login/verify/"
    status, _, page = client.request("GET", verify, "staff login")
    form = {"csrfmiddlewaretoken": csrf_of(page), "otp_token": code()}
    status, answer, _ = client.request(
        "POST",
        verify,
        "staff login",
        body=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status == 302 and "/login" not in answer.get("location", "")


LEAD = re.compile(r'href="(/en/console/leads/[0-9a-f-]{36}/)"')
CASE = re.compile(r'href="(/en/console/cases/[0-9a-f-]{36}/)"')


def staff_page(client: Client, username: str, path: str, log: Log) -> str:
    status, answer, page = client.request("GET", path, "staff page")
    if status in (200, 302):
        signed_in = status == 200
        with log.lock:
            log.staff_pages.append((username, answer.get("x-drill-upstream", ""), signed_in))
    return page if status == 200 else ""


def staff_work(client: Client, username: str, log: Log) -> None:
    """One round of a sales expert's or privacy officer's work: the leads, one lead, a note on
    it, the cases queue and one case."""
    leads = staff_page(client, username, "/en/console/leads/", log)
    found = LEAD.findall(leads)
    if found:
        lead = secrets.choice(found)
        page = staff_page(client, username, lead, log)
        if page:
            marker = f"drill-note-{uuid.uuid4().hex[:12]}"
            body = {"csrfmiddlewaretoken": csrf_of(page), "action": "note", "text": marker}
            status, answer, _ = client.request(
                "POST",
                lead,
                "staff note",
                body=urlencode(body).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status == 302 and "/login" not in answer.get("location", "/login"):
                with log.lock:
                    log.notes_acknowledged.append(marker)
    cases = staff_page(client, username, "/en/console/cases/", log)
    found = CASE.findall(cases)
    if found:
        staff_page(client, username, secrets.choice(found), log)
