"""Login throttling (django-axes) per username and per address, the owner's unlock, and the password-reset flow."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from tests import factories

LOGIN = "/accounts/login/"


def wrong(client, username: str, times: int, ip: str = "10.0.0.1"):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "guess"}, REMOTE_ADDR=ip)
    return response


def test_wrong_passwords_lock_the_username_then_the_right_one_is_refused(client, team, settings):
    owner = team["owner"].get_username()
    assert wrong(client, owner, settings.AXES_FAILURE_LIMIT - 1).status_code == 200  # the form says why
    locked = wrong(client, owner, 1)
    assert locked.status_code == 429 and 'data-testid="locked-out"' in locked.content.decode()
    right = client.post(LOGIN, {"username": owner, "password": factories.PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert right.status_code == 429  # from another address too: the username is locked
    assert "_auth_user_id" not in client.session


def test_one_address_guessing_many_usernames_is_locked_too(client, team, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": f"nobody{n}", "password": "x"}, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429
    editor = team["editor"].get_username()
    assert client.post(LOGIN, {"username": editor, "password": factories.PASSWORD},
                       REMOTE_ADDR="10.0.0.7").status_code == 429
    assert client.post(LOGIN, {"username": editor, "password": factories.PASSWORD},
                       REMOTE_ADDR="10.0.0.8").status_code == 302


def test_an_owner_sees_a_locked_member_and_unlocks_them(client, team, settings):
    editor = team["editor"].get_username()
    wrong(client, editor, settings.AXES_FAILURE_LIMIT)
    client.force_login(team["owner"])
    members = reverse("members", kwargs={"ws": team["workspace"].slug})
    assert f'data-testid="locked-{editor}"' in client.get(members).content.decode()
    membership = team["workspace"].memberships.get(user=team["editor"])
    client.force_login(team["viewer"])  # a viewer cannot unlock
    assert client.post(reverse("member_update", kwargs={"ws": team["workspace"].slug, "member": membership.pk}),
                       {"unlock": "1"}).status_code == 403
    client.force_login(team["owner"])
    client.post(reverse("member_update", kwargs={"ws": team["workspace"].slug, "member": membership.pk}),
                {"unlock": "1"})
    assert f'data-testid="locked-{editor}"' not in client.get(members).content.decode()
    client.logout()
    assert client.post(LOGIN, {"username": editor, "password": factories.PASSWORD},
                       REMOTE_ADDR="10.0.0.2").status_code == 302


def test_password_reset_by_email_link_once(client, team):
    user = team["editor"]
    client.post(reverse("password_reset"), {"email": user.email})
    client.post(reverse("password_reset"), {"email": "nobody@example.com"})  # same answer, no mail
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    weak = client.post(form.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200  # Django's password validators refuse it
    new = "pump-sales 2027!"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert client.post(LOGIN, {"username": user.get_username(), "password": "pump-sales 2027!"}).status_code == 302
    client.logout()
    assert 'data-testid="reset-invalid"' in client.get(link, follow=True).content.decode()  # used once
