"""Publishing a flow version puts its fixed scripts into the TTS cache, through a Celery task sent on commit."""

from __future__ import annotations

import pytest
from django.conf import settings

from flows import services as flows
from tests.conftest import wait_until
from tests.flows_web.helpers import good_graph, make_bot
from voice import services, tasks
from voice.tts import EspeakEngine, TtsCache

# The sentences of the fixed scripts of `good_graph()` (scripts with `{slot}` are left out: tests/voice/test_tts.py).
SENTENCES = ("您好，", "这里是鑫源泵业。", "再见。")  # as a call asks for them: the first clause on its own


def publish(team, dialect: str = "mandarin"):
    bot = make_bot(team["workspace"])
    bot.dialect = dialect
    bot.save(update_fields=["dialect"])
    flow = flows.get_flow(bot)
    flows.do_save_flow(flow, good_graph(), flow.revision, team["editor"])
    return flows.do_publish(flow, team["editor"])


def cached(sentence: str, voice: str) -> bool:
    return TtsCache(settings.DATA_DIR / "cache" / "tts").path_for(EspeakEngine(), sentence, voice).is_file()


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_publishing_sends_the_task_when_the_transaction_commits(team, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.presynthesize_flow_version, "delay", sent.append)  # what would go to the broker
    with django_capture_on_commit_callbacks(execute=True):
        version = publish(team)
        assert sent == []  # nothing leaves before the commit
    assert sent == [version.pk]


@pytest.mark.django_db
def test_the_task_body_caches_the_fixed_scripts_in_the_bots_voice(team, data_dir):
    version = publish(team, dialect="cantonese")
    done = services.do_presynthesize(version.pk)
    assert (done.synthesised, done.failed) == (len(SENTENCES), ())
    assert all(cached(sentence, "cantonese") for sentence in SENTENCES)
    assert not any(cached(sentence, "mandarin") for sentence in SENTENCES)
    assert len(list((data_dir / "cache" / "tts").rglob("*.wav"))) == len(SENTENCES)


@pytest.mark.django_db
def test_a_deleted_version_is_skipped(team, data_dir):
    version = publish(team)
    version.delete()
    assert services.do_presynthesize(version.pk) is None


@pytest.mark.worker
@pytest.mark.slow
def test_a_real_worker_fills_the_cache_after_a_publish(team, transactional_db, voice_worker, monkeypatch):
    from tests.voice_web.conftest import VOICE_QUEUE
    from voice.tasks import presynthesize_flow_version

    task = presynthesize_flow_version._get_current_object()
    monkeypatch.setattr(task, "queue", VOICE_QUEUE, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)
    for sentence in SENTENCES:  # the worker shares the data folder with this process: start from an empty entry
        TtsCache(settings.DATA_DIR / "cache" / "tts").path_for(EspeakEngine(), sentence, "sichuanese").unlink(
            missing_ok=True)
    try:
        publish(team, dialect="sichuanese")
        wait_until(lambda: all(cached(s, "sichuanese") for s in SENTENCES), timeout=120)
    finally:
        task._exec_options = None
