"""The ``pledge`` command: the project's manage.py, installed as a console script."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
