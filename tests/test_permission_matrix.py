"""Walk every URL pattern as every persona and fail on any leak.

URL patterns are discovered from the resolver, so a new view is covered as soon as it is routed. A view under
/w/<ws>/ must be decorated with `workspace_view` (its policy is read from `view.access`); any other view must be
listed below as public or login-only. Object arguments come from OBJECTS; an unknown argument name fails the test
so whoever adds it decides which object it names.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from salesstudio.models import Job
from salesstudio.permissions import SAFE_METHODS, role_allows

PUBLIC = {"login", "set_language", "accept_invitation", "favicon", "password_reset", "password_reset_done",
          "password_reset_confirm", "password_reset_complete"}
LOGIN_ONLY = {"home", "logout", "password_change", "password_change_done", "workspace_create"}
SKIP_NAMESPACES = {"admin"}  # Django admin: staff only, checked by Django itself
PERSONAS = ["anonymous", "outsider", "viewer", "annotator", "editor", "owner"]


def walk(patterns, prefix: str = "", namespace: str = "") -> list[tuple[str, str, Callable]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns in SKIP_NAMESPACES:
                continue
            found += walk(p.url_patterns, prefix + str(p.pattern), f"{ns}:" if p.namespace else namespace)
        elif isinstance(p, URLPattern) and p.name:
            found.append((prefix + str(p.pattern), f"{namespace}{p.name}", p.callback))
    return found


ROUTES = walk(get_resolver().url_patterns)


def objects_for(team: dict, workspace) -> dict[str, object]:
    """Values for every URL argument, all belonging to `workspace`."""
    from tests import factories

    bot = workspace.bots.first() or factories.make_bot(workspace, f"bot of {workspace.slug}")
    job = Job.objects.create(workspace=workspace, kind="import_bot", status="done", result={"bot": bot.slug})
    from nlu.models import Intent, ModelVersion, Slot, TrainingExample, TrainingRun

    intent = Intent.objects.get_or_create(bot=bot, name="询价")[0]
    example = TrainingExample.objects.get_or_create(bot=bot, text="多少钱", defaults={"intent": intent})[0]
    run = TrainingRun.objects.create(bot=bot, status="done")
    version = ModelVersion.objects.create(bot=bot, run=run, number=run.pk, path="/nonexistent", metrics={})
    from flows.services import default_graph, get_flow

    flow = get_flow(bot)
    flow_version = flow.versions.first() or flow.versions.create(number=1, graph=default_graph(), program={},
                                                                 checksum="-")
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from voice.audio import wav_bytes
    from voice.models import Recording

    audio_name = "recordings/permission-matrix.wav"  # one small WAV shared by every test's recordings
    if not default_storage.exists(audio_name):
        default_storage.save(audio_name, ContentFile(wav_bytes(b"\x00\x00" * 1600, 16_000)))
    test_audio = "conversation_tests/permission-matrix.wav"  # a test turn's recording (deleted with its test)
    if not default_storage.exists(test_audio):
        default_storage.save(test_audio, ContentFile(wav_bytes(b"\x00\x00" * 1600, 16_000)))
    recording = bot.recordings.first() or Recording.objects.create(
        bot=bot, file=audio_name, original_name="call.wav", sha256=f"{bot.pk:064d}", size=3244, format="wav",
        duration=0.1, status="done", progress=1.0)
    segment = recording.segments.first() or recording.segments.create(index=0, start=0.0, end=0.1, text="多少钱")
    from calls.calllog import open_call, record_turn
    from calls.turns import TurnRecord

    call = bot.calls.first()
    if call is None:
        call = open_call(bot=bot, flow_version=flow_version, channel="test")
        record_turn(call, TurnRecord(index=0, event="start", bot_text="您好"))
    if not call.user_audio:  # the call log serves a call's audio tracks
        call.user_audio = call.bot_audio = audio_name
        call.save(update_fields=["user_audio", "bot_audio"])
    return {
        "flow_version": flow_version.number,
        "ws": workspace.slug,
        "bot": bot.slug,
        "intent": intent.pk,
        "slot": Slot.objects.get_or_create(bot=bot, name="扬程", defaults={"type": "number"})[0].pk,
        "example": example.pk,
        "run": run.pk,
        "version": version.pk,
        "job": job.pk,
        "recording": recording.pk,
        "segment": segment.pk,
        "call": call.pk,
        "member": workspace.memberships.order_by("-pk").first().pk,
        "token": workspace.invitations.create(email="new@example.com", role="viewer").token,
        "invitation": workspace.invitations.create(email="later@example.com", role="viewer").pk,
        "customer": workspace.customers.get_or_create(phone="13800000000", defaults={"name": "王总"})[0].pk,
        "test": bot.conversation_tests.get_or_create(name="开场", defaults={"turns": [{"text": "你好",
                                                                                    "audio": test_audio}]})[0].pk,
        "turn": 1,
        "entry": bot.knowledge.get_or_create(question="质保多久", defaults={"answers": ["一年。"]})[0].pk,
    }


def build_path(route: str, values: dict[str, object]) -> str:
    import re

    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    missing = [n for n in names if n not in values]
    assert not missing, f"{route}: add {missing} to objects_for() in this test"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def test_every_view_declares_a_policy():
    undeclared = [
        name for route, name, view in ROUTES
        if name not in PUBLIC | LOGIN_ONLY and not hasattr(view, "access")
    ]
    assert not undeclared, f"views without workspace_view or an entry in PUBLIC/LOGIN_ONLY: {undeclared}"


def expected(view: Callable, persona: str, method: str) -> set[int] | str:
    """The statuses allowed for a persona, or 'allowed' when any non-denial status is fine."""
    if persona == "anonymous":
        return {302, 405}
    if persona == "outsider":
        return {404, 405}
    action = view.access["read"] if method in SAFE_METHODS else view.access["write"]
    return "allowed" if role_allows(persona, action) else {403, 405}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("route", "name", "view"), [r for r in ROUTES if hasattr(r[2], "access")],
                         ids=[r[1] for r in ROUTES if hasattr(r[2], "access")])
def test_workspace_url(client, team, route, name, view, persona, method):
    path = build_path(route, objects_for(team, team["workspace"]))
    if persona != "anonymous":
        client.force_login(team[persona])
    response = client.generic(method, path)
    allowed = expected(view, persona, method)
    if allowed == "allowed":
        assert response.status_code not in (401, 403, 404, 500), f"{persona} {method} {path}"
    else:
        assert response.status_code in allowed, f"{persona} {method} {path} → {response.status_code}"
    if persona == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("route", "name", "view"), [r for r in ROUTES if hasattr(r[2], "access")],
                         ids=[r[1] for r in ROUTES if hasattr(r[2], "access")])
def test_objects_of_another_workspace_are_not_found(client, team, route, name, view, method):
    """An owner of workspace A naming an object of workspace B inside A's URL gets 404, never B's data."""
    own = objects_for(team, team["workspace"])
    foreign = objects_for(team, team["other_workspace"])
    swapped = {k: (own[k] if k == "ws" else foreign[k]) for k in own}
    if swapped == {k: own[k] for k in own} or set(build_names(route)) <= {"ws"}:
        pytest.skip("no object argument besides the workspace")
    client.force_login(team["owner"])
    response = client.generic(method, build_path(route, swapped))
    assert response.status_code in (404, 405), f"{method} {route} with foreign objects → {response.status_code}"


def build_names(route: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


@pytest.mark.parametrize(("route", "name", "view"), [r for r in ROUTES if r[1] in LOGIN_ONLY - {"logout"}],
                         ids=[r[1] for r in ROUTES if r[1] in LOGIN_ONLY - {"logout"}])
def test_login_only_pages_redirect_anonymous(client, route, name, view):
    response = client.get(build_path(route, {}))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
