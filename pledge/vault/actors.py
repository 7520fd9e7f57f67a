"""Who acts: the one type every service takes, and the words the audit log records for it.

Four kinds, each made by its own constructor so no caller spells a label by hand:

- ``Actor.staff(user)``: a signed-in staff member; what they may do is their role's permissions.
- ``Actor.subject(access)``: a data subject (or a minor's guardian) holding a verified emailed
  link; they reach their own data only, through the rights services, never a staff permission.
- ``Actor.visitor(action)``: the anonymous public doing one named thing on the site (sending a
  form, confirming a subscription); they hold no permission at all.
- ``Actor.system(job)``: a command, task or migration run on the server, named by its job.

``access_require`` refuses anything that is not an ``Actor``, so an unknown caller (a bare string,
a user object, None) can never skip a check.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    STAFF = "staff"
    SUBJECT = "subject"
    VISITOR = "visitor"
    SYSTEM = "system"
    UNKNOWN = "unknown"  # only ever made to name, in a refusal, what was passed instead


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    name: str  # the staff username, the link's public id, the visitor's action, the job
    user: Any = None  # the staff member's User
    access: Any = None  # the subject's opened link (cases.portal.PortalAccess)

    @classmethod
    def staff(cls, user) -> "Actor":
        if user is None or not getattr(user, "pk", None):
            raise TypeError("a staff actor needs a saved user")
        return cls(ActorKind.STAFF, user.get_username(), user=user)

    @classmethod
    def subject(cls, access) -> "Actor":
        return cls(ActorKind.SUBJECT, str(access.link.public_id), access=access)

    @classmethod
    def visitor(cls, action: str) -> "Actor":
        return cls(ActorKind.VISITOR, action)

    @classmethod
    def system(cls, job: str) -> "Actor":
        if not job:
            raise TypeError("a system actor names its job")
        return cls(ActorKind.SYSTEM, job)

    @classmethod
    def unknown(cls, value) -> "Actor":
        """What a refusal records when something other than an Actor was passed: its type."""
        return value if isinstance(value, Actor) else cls(ActorKind.UNKNOWN, type(value).__name__)

    @property
    def is_staff(self) -> bool:
        return self.kind == ActorKind.STAFF

    @property
    def is_subject(self) -> bool:
        return self.kind == ActorKind.SUBJECT

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM

    @property
    def user_id(self):
        return self.user.pk if self.user is not None else None

    @property
    def label(self) -> str:
        """Exactly who, as the audit log says it: ``staff:alice``, ``person:<link id>`` (or
        ``guardian:<link id>`` for a minor's guardian), ``visitor:form``, ``system:cases.remind``."""
        if self.kind == ActorKind.SUBJECT:
            role = "guardian" if self.access.link.on_behalf else "person"
            return f"{role}:{self.name}"
        return f"{self.kind}:{self.name}"

    def __str__(self) -> str:
        return self.label
