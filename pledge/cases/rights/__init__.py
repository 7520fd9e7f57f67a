"""The rights themselves: see, take, correct, withdraw, opt out, erase (P01, P14, P15, P18).

One service per right, each taking an ``Actor`` (``pledge.vault.actors``) and calling
``authorise`` first (``authorise.py``): the data subject through the portal's verified link
(``Actor.subject``), staff working a case (``Actor.staff``, with ``manage_cases``), or the
system; staff and the system only through an open case, verified, about exactly this person.
Every action is a case: the portal's are opened and closed at once, verified by the link;
staff record theirs on the case they work. Everything reaches the person's data through the
personal data registry, so nothing registered is left out.

- ``authorise.py``: the gate, ``Refused``/``NotYours``, the case a right is recorded on
  (``portal_case``), and ``rights_request`` (a portal case for anything else)
- ``see.py``: ``rights_view``, ``rights_view_recorded``, ``rights_archive`` (the zip is built by
  ``pledge.cases.archive``)
- ``correct.py``: ``rights_correct``, ``rights_email_change_request``/``_confirm``
- ``consent.py``: ``rights_consent_withdraw``, ``rights_opt_out``, ``rights_suppress``
- ``erase.py``: ``rights_erase`` and its report

The words people read the records in (labels, local times, names of keys) are the
presentation's: ``pledge.web.presenting``.
"""

from pledge.cases.rights.authorise import (
    NotYours,
    Refused,
    authorise,
    portal_case,
    rights_request,
)
from pledge.cases.rights.consent import (
    consents_standing,
    rights_consent_withdraw,
    rights_opt_out,
    rights_suppress,
    subject_name,
)
from pledge.cases.rights.correct import (
    EMAIL_CHANGES_PER_DAY,
    rights_correct,
    rights_email_change_confirm,
    rights_email_change_request,
)
from pledge.cases.rights.erase import ErasureReport, Kept, rights_erase
from pledge.cases.rights.see import (
    Archive,
    Section,
    rights_archive,
    rights_view,
    rights_view_recorded,
    sections_of,
)

__all__ = [
    "EMAIL_CHANGES_PER_DAY",
    "Archive",
    "ErasureReport",
    "Kept",
    "NotYours",
    "Refused",
    "Section",
    "authorise",
    "consents_standing",
    "portal_case",
    "rights_archive",
    "rights_consent_withdraw",
    "rights_correct",
    "rights_email_change_confirm",
    "rights_email_change_request",
    "rights_erase",
    "rights_opt_out",
    "rights_request",
    "rights_suppress",
    "rights_view",
    "rights_view_recorded",
    "sections_of",
    "subject_name",
]
