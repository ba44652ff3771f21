"""Plain-function factories for the tests (djangoproject.com style)."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from salesstudio import services
from salesstudio.models import Bot, Membership, Role, Workspace

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(name: str | None = None):
    name = name or f"user{next(_seq)}"
    return get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password=PASSWORD)


def make_workspace(owner=None, name: str | None = None) -> Workspace:
    return services.do_create_workspace(name or f"团队 {next(_seq)}", owner or make_user())


def add_member(workspace: Workspace, user=None, role: str = Role.EDITOR):
    user = user or make_user()
    Membership.objects.create(workspace=workspace, user=user, role=role)
    return user


def make_bot(workspace: Workspace, name: str = "工业泵销售") -> Bot:
    return services.do_create_bot(workspace, name)
