"""The files docs/deploy.md tells an operator to install are the ones that work.

deploy/nginx-site.conf is what `make drill` runs (drill/cluster.py replaces only its addresses,
names and certificate); here nginx itself checks its syntax with Pledge's include, where nginx
is installed. Each systemd unit runs a `pledge` command with options the command accepts.
"""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from drill.cluster import NGINX_CONF, SITE_CONF, site_conf

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def drill_site(folder: Path) -> str:
    """The site file as the drill runs it, with two app servers and a certificate in folder."""
    return site_conf(
        SITE_CONF.read_text(),
        app_ports=[8001, 8002],
        http_port=8080,
        https_port=8443,
        certificate=folder / "cert.pem",
        key=folder / "key.pem",
    )


def pledge_commands(unit: Path) -> list[list[str]]:
    """The `pledge ...` command lines a unit runs (ExecStart, ExecStartPre)."""
    lines = re.findall(r"^ExecStart(?:Pre)?=(.+)$", unit.read_text(), re.M)
    commands = []
    for line in lines:
        words = shlex.split(line)
        if words[:2] == ["/bin/sh", "-c"]:  # a shell for the date in a file name
            words = shlex.split(re.sub(r"\$\([^)]*\)", "DATE", words[2]).removeprefix("exec "))
        if words[0].endswith("/pledge"):
            commands.append(words[1:])
    return commands


def test_there_is_a_unit_for_the_app_server_the_worker_and_the_backup():
    assert {unit.stem for unit in UNITS} >= {"pledge-web", "pledge-worker", "pledge-backup"}
    assert (DEPLOY / "systemd" / "pledge-backup.timer").exists()


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.stem)
def test_each_unit_runs_a_pledge_command_with_options_it_accepts(unit):
    commands = pledge_commands(unit)
    assert commands, f"{unit.name} runs no pledge command"
    for name, *arguments in commands:
        assert name in get_commands(), f"{unit.name}: `pledge {name}` is not a command"
        parser = load_command_class(get_commands()[name], name).create_parser("pledge", name)
        known = parser._option_string_actions
        options = [word.split("=")[0] for word in arguments if word.startswith("-")]
        unknown = [option for option in options if option not in known]
        assert not unknown, f"{unit.name}: `pledge {name}` has no option {unknown}"


def test_the_app_servers_and_workers_run_apart():
    web = (DEPLOY / "systemd" / "pledge-web.service").read_text()
    assert "serve --no-worker" in web, "the worker runs in its own unit"


def test_the_site_file_is_what_the_drill_runs(tmp_path):
    """The drill refuses a site file that lost a line it replaces; here it still has them all,
    and the result names the drill's servers and includes Pledge's own file."""
    text = drill_site(tmp_path)
    assert "server 127.0.0.1:8001" in text and "server 127.0.0.1:8002" in text
    assert f"include {NGINX_CONF};" in text
    assert "10.0.0." not in text and "letsgonex.cn" not in text


def test_nginx_accepts_the_site_file(tmp_path):
    binary = nginx_binary()
    if binary is None:
        pytest.skip("needs nginx (apt install nginx)")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = drill_site(tmp_path)
    user = "user root;" if subprocess.os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{ }}\nhttp {{\n{site}\n}}\n"
    )
    checked = subprocess.run(
        [binary, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
