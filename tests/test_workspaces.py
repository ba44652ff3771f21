"""Workspaces, memberships and invitations: one behaviour per test."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesstudio import services
from salesstudio.models import Membership, Role
from tests import factories


def test_creating_a_workspace_makes_the_creator_its_owner(client, db):
    user = factories.make_user()
    client.force_login(user)
    response = client.post(reverse("workspace_create"), {"name": "西南大区"})
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert response["Location"] == reverse("bot_list", kwargs={"ws": membership.workspace.slug})


def test_home_goes_to_the_last_used_workspace(client, team):
    client.force_login(team["outsider"])
    factories.add_member(team["workspace"], team["outsider"], Role.VIEWER)
    client.get(reverse("bot_list", kwargs={"ws": team["workspace"].slug}))
    assert client.get("/")["Location"] == reverse("bot_list", kwargs={"ws": team["workspace"].slug})


def test_home_without_workspace_asks_to_create_one(client, db):
    client.force_login(factories.make_user())
    assert client.get("/")["Location"] == reverse("workspace_create")


def test_owner_invites_and_a_new_user_signs_up_with_the_link(client, team):
    client.force_login(team["owner"])
    client.post(reverse("members", kwargs={"ws": team["workspace"].slug}), {"email": "li@example.com", "role": "annotator"})
    invitation = team["workspace"].invitations.get()
    client.logout()
    response = client.post(reverse("accept_invitation", args=[invitation.token]),
                           {"username": "xiaoli", "password": "a-long-enough-pass"})
    assert response.status_code == 302
    assert Membership.objects.get(user__username="xiaoli").role == Role.ANNOTATOR


def test_an_invitation_works_only_once(client, team):
    invitation = services.do_invite(team["workspace"], "x@example.com", Role.VIEWER, team["owner"])
    services.do_accept_invitation(invitation, team["outsider"])
    client.force_login(team["editor"])
    assert client.post(reverse("accept_invitation", args=[invitation.token])).status_code == 404


def test_accepting_keeps_the_higher_role(team):
    invitation = services.do_invite(team["workspace"], "e@example.com", Role.VIEWER, team["owner"])
    membership = services.do_accept_invitation(invitation, team["editor"])
    assert membership.role == Role.EDITOR


def test_the_last_owner_cannot_step_down(team):
    owner = Membership.objects.get(user=team["owner"], workspace=team["workspace"])
    with pytest.raises(ValidationError):
        services.do_change_role(owner, Role.VIEWER)


def test_the_last_owner_cannot_be_removed(team):
    owner = Membership.objects.get(user=team["owner"], workspace=team["workspace"])
    with pytest.raises(ValidationError):
        services.do_remove_member(owner)


def test_owner_changes_a_role(client, team):
    client.force_login(team["owner"])
    viewer = Membership.objects.get(user=team["viewer"])
    client.post(reverse("member_update", kwargs={"ws": team["workspace"].slug, "member": viewer.pk}), {"role": "editor"})
    viewer.refresh_from_db()
    assert viewer.role == Role.EDITOR


def test_editor_cannot_change_roles(client, team):
    client.force_login(team["editor"])
    viewer = Membership.objects.get(user=team["viewer"])
    url = reverse("member_update", kwargs={"ws": team["workspace"].slug, "member": viewer.pk})
    assert client.post(url, {"role": "owner"}).status_code == 403


def test_viewer_sees_bots_but_not_the_create_button(client, team):
    factories.make_bot(team["workspace"], "工业泵销售")
    client.force_login(team["viewer"])
    page = client.get(reverse("bot_list", kwargs={"ws": team["workspace"].slug})).content.decode()
    assert "工业泵销售" in page
    assert 'data-bs-target="#new-bot"' not in page


def test_workspace_switcher_lists_only_my_workspaces(client, team):
    client.force_login(team["viewer"])
    page = client.get(reverse("bot_list", kwargs={"ws": team["workspace"].slug})).content.decode()
    assert "华东销售部" in page
    assert "别家公司" not in page


def test_a_page_opened_with_the_wrong_method_is_a_styled_page_in_the_users_language(client, team):
    """A form's URL typed into the address bar: the styled 405 with a way back, not an empty page."""
    client.force_login(team["editor"])
    url = reverse("bot_import", kwargs={"ws": team["workspace"].slug})
    response = client.get(url, headers={"Accept-Language": "zh-hans"})
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "无法以这种方式打开此页面" in page and 'data-testid="error-back"' in page
    htmx = client.get(url, headers={"HX-Request": "true"})
    assert htmx.status_code == 405 and htmx.content == b""


def test_a_withdrawn_invitation_link_stops_working_and_a_used_one_cannot_be_withdrawn(client, team):
    workspace = team["workspace"]
    unused = services.do_invite(workspace, "a@example.com", "viewer", team["owner"])
    used = services.do_invite(workspace, "b@example.com", "viewer", team["owner"])
    services.do_accept_invitation(used, factories.make_user("bee"))
    services.do_revoke_invitation(unused)
    assert client.get(reverse("accept_invitation", args=[unused.token])).status_code == 404
    with pytest.raises(ValidationError):
        services.do_revoke_invitation(used)


@pytest.mark.django_db(transaction=True)
def test_five_people_signing_up_on_one_link_at_once_make_one_member(team):
    """Each sign-up runs in its own thread and database connection; the invitation row is locked while it is used."""
    import threading

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    invitation = services.do_invite(team["workspace"], "race@example.com", Role.EDITOR, team["owner"])
    url = reverse("accept_invitation", args=[invitation.token])
    gate = threading.Barrier(5)

    def sign_up(n: int) -> None:
        try:
            gate.wait()
            Client().post(url, {"username": f"racer{n}", "password": "correct horse battery staple"})
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    joined = Membership.objects.filter(workspace=team["workspace"], user__username__startswith="racer")
    assert joined.count() == 1
    assert get_user_model().objects.filter(username__startswith="racer").count() == 1  # the others: no orphan account


def test_a_username_with_markup_is_refused_at_sign_up(client, team):
    invitation = services.do_invite(team["workspace"], "x@example.com", Role.VIEWER, team["owner"])
    response = client.post(reverse("accept_invitation", args=[invitation.token]),
                           {"username": "<img src=x onerror=alert(1)>", "password": "correct horse battery staple"})
    assert response.status_code == 200 and response.context["form"].errors["username"]
    assert not Membership.objects.filter(role=Role.VIEWER, user__username__contains="<").exists()
    ok = client.post(reverse("accept_invitation", args=[invitation.token]),
                     {"username": "李雷", "password": "correct horse battery staple"})
    assert ok.status_code == 302 and Membership.objects.filter(user__username="李雷").exists()
