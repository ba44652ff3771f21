"""A bot's conversation tests (calls.testing): saved from a logged call, run against a flow version and a model
version (the same understanding a live call uses), with the run and its coverage stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from calls import testing
from calls.call import program_corrector
from calls.calllog.grades import rules_for
from calls.models import Call, ConversationTest, TestRun, Turn
from flows.compiler import node_titles
from flows.models import FlowVersion
from nlu.models import ModelVersion
from nlu.runtime import RuntimeLoadError, get_runtime
from nlu.services import active_version, bot_understanding, slot_definitions
from salesstudio.models import Bot
from voice import engines
from voice.asr import AsrError
from voice.audio import AudioError, parse_wav, pcm16_to_float, resample, wav_bytes
from voice.endpointing import words_of
from voice.vad import SAMPLE_RATE

Progress = Callable[[float, str], None]


def case_from_call(call: Call) -> dict:
    """The call's caller turns as a test: each turn's intent, changed slot values and node as its expectations, the
    call's outcome and grade at the end. What the bot said is left out (its variants depend on the call's seed). A
    voice call's turns keep the caller's recording (a WAV of their own, cut from the call's caller track), so that
    the test hears them through ASR again."""
    turns, caller = [], _caller_track(call)
    for turn in call.turns.filter(event=Turn.Event.USER).order_by("index"):
        expect = {"intent": turn.intent, "node": turn.node}
        changed = {name: value for name, value in turn.changed_slots.items() if value is not None}
        if changed:
            expect["slots"] = changed
        saved = {"text": turn.user_text, "expect": expect}
        if caller is not None and turn.user_audio_start is not None and turn.user_audio_end is not None:
            pcm, rate = caller
            first, last = (int(t * rate) * 2 for t in (turn.user_audio_start, turn.user_audio_end))
            if last > first:
                saved["audio"] = default_storage.save(f"conversation_tests/{call.bot_id}/{uuid.uuid4().hex}.wav",
                                                      ContentFile(wav_bytes(pcm[first:last], rate)))
        turns.append(saved)
    return {"turns": turns, "outcome": call.outcome, "grade": call.grade}


def _caller_track(call: Call) -> tuple[bytes, int] | None:
    """(PCM16, rate) of the call's caller audio, or None when it has none (a typed call, or audio deleted)."""
    if not call.user_audio:
        return None
    try:
        with call.user_audio.open("rb") as handle:
            return parse_wav(handle.read())
    except (OSError, AudioError):
        return None


def do_save_call_as_test(call: Call, name: str = "") -> ConversationTest:
    """Raises ValidationError for a call with no caller turns or one still in progress."""
    if call.ended_at is None:
        raise ValidationError(_("The call is still in progress."))
    case = case_from_call(call)
    if not case["turns"]:
        raise ValidationError(_("The caller said nothing in this call: there is nothing to test."))
    name = name or _("Call %(n)s") % {"n": call.pk}
    return ConversationTest.objects.create(bot=call.bot, name=name[:200], source_call=call, **case)


def audio_names(turns: Iterable[dict]) -> set[str]:
    return {turn["audio"] for turn in turns if turn.get("audio")}


def delete_audio(names: Iterable[str]) -> None:
    """Delete test recordings once the transaction that stopped using them commits."""
    names = list(names)
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def do_delete_test(test: ConversationTest) -> None:
    names = audio_names(test.turns)
    test.delete()
    delete_audio(names)


def forget_test_audio(calls: Iterable[Call]) -> None:
    """The recordings that tests saved from `calls` keep of the caller (a customer forgotten): deleted, their turns
    become text turns."""
    for test in ConversationTest.objects.select_for_update().filter(source_call__in=list(calls)):
        names = audio_names(test.turns)
        if names:
            test.turns = [{k: v for k, v in turn.items() if k != "audio"} for turn in test.turns]
            test.save(update_fields=["turns", "updated_at"])
            delete_audio(names)


def run_suite(bot: Bot, *, flow_version: FlowVersion | None = None, model_version: ModelVersion | None = None,
              progress: Progress | None = None) -> TestRun:
    """Run every test of `bot` against `flow_version` (default: the latest published) with `model_version` (default:
    the active one; none before training) and store the run. Raises ValidationError when nothing is published."""
    flow_version = flow_version or FlowVersion.objects.filter(flow__bot=bot).order_by("-number").first()
    if flow_version is None or not flow_version.program:
        raise ValidationError(_("Publish the flow first: tests run against a published version."))
    model_version = model_version or active_version(bot)
    results, loaded = _play(bot, flow_version.program, model_version, progress)
    covered = testing.coverage(flow_version.program, [r for _, r in results])
    return TestRun.objects.create(
        bot=bot, flow_version=flow_version, model_version=model_version if loaded else None,
        passed=sum(r.passed for _, r in results), failed=sum(not r.passed and not r.stale for _, r in results),
        stale=sum(bool(r.stale) for _, r in results), coverage=covered,
        results=[{"test": t.pk, "name": r.name, "passed": r.passed, "stale": r.stale, "outcome": r.outcome,
                  "grade": r.grade, "turns": r.turns, "differences": [asdict(d) for d in r.differences]}
                 for t, r in results])


def _play(bot: Bot, program: dict, version: ModelVersion | None,
          progress: Progress | None = None) -> tuple[list[tuple[ConversationTest, testing.CaseResult]], bool]:
    """Every test of `bot` played on `program` with the bot's understanding and `version`'s model; whether the
    model loaded (without it the examples and the lexicon answer)."""
    model = _loaded(version)
    slots, nlu, rules = slot_definitions(bot), bot_understanding(bot, model), rules_for(bot)
    intents = list(bot.intents.values_list("name", flat=True))
    tests, results = list(bot.conversation_tests.all()), []
    listen = _listener(bot.dialect, slots, program)
    for index, test in enumerate(tests):
        results.append((test, testing.run_case(test.as_case(), program, slots=slots, nlu=nlu, intents=intents,
                                               rules=rules, listen=listen)))
        if progress is not None:
            progress((index + 1) / len(tests), test.name)
    return results, model is not None


def _listener(dialect: str, slots: dict[str, dict], program: dict) -> testing.Listen:
    """How the tests' audio turns are heard: the recording from storage, the ASR engine a live call uses (loaded at
    the first audio turn), the bot's lexicon correction."""
    engine, corrector = None, program_corrector(slots, program)

    def listen(name: str, hot_words: tuple[str, ...]) -> str:
        nonlocal engine
        try:
            with default_storage.open(name, "rb") as handle:
                pcm, rate = parse_wav(handle.read())
        except (OSError, SuspiciousFileOperation):
            raise testing.TurnAudioError("missing") from None
        except AudioError:
            raise testing.TurnAudioError("unreadable") from None
        try:
            engine = engine or engines.asr_engine()
            transcript = engine.transcribe_utterance(resample(pcm16_to_float(pcm), rate, SAMPLE_RATE),
                                                     hot_words=hot_words, dialect=dialect)
        except AsrError:
            raise testing.TurnAudioError("no-asr") from None
        return words_of(transcript, corrector)[0]

    return listen


FIELDS = {"intent": ("intent", "意图"), "slots": ("slot values", "槽位值"), "node": ("node", "节点"),
          "says": ("the bot says", "机器人说的话"), "outcome": ("outcome", "通话结果"),
          "grade": ("lead grade", "意向等级"), "ended": ("the call had ended", "通话已结束"),
          "audio": ("the caller's recording", "客户录音")}
AUDIO_PROBLEMS = {"heard": ("recognised by ASR", "经语音识别听懂"),
                  "missing": ("the recording file no longer exists", "录音文件已不存在"),
                  "unreadable": ("the recording file is not a readable WAV", "录音文件已损坏，无法读取"),
                  "no-asr": ("no speech recogniser is available", "没有可用的语音识别模型")}


def shown_difference(difference: dict, titles: dict[str, str], *, zh: bool) -> dict:
    """A stored difference as people read it: the field in words (Chinese or English), nodes by title."""
    expected, got = difference["expected"], difference["got"]
    if difference["field"] == "node":
        expected, got = titles.get(expected, expected), titles.get(got, got)
    elif difference["field"] == "audio":
        expected, got = (AUDIO_PROBLEMS.get(v, (v, v))[1 if zh else 0] for v in (expected, got))
    en, zh_label = FIELDS.get(difference["field"], (difference["field"], difference["field"]))
    return {**difference, "label": zh_label if zh else en, "expected": expected, "got": got}


def publish_gate(bot: Bot, program: dict) -> list[dict]:
    """`settings.PUBLISH_GATE`: the bot's tests on a draft's compiled `program` with the active model."""
    return _failures(bot, program, active_version(bot))


def activation_gate(bot: Bot, model_version: ModelVersion) -> list[dict]:
    """`settings.ACTIVATION_GATE`: the bot's tests on its latest published version with `model_version`."""
    latest = FlowVersion.objects.filter(flow__bot=bot).order_by("-number").first()
    return _failures(bot, latest.program, model_version) if latest and latest.program else []


def _failures(bot: Bot, program: dict, version: ModelVersion | None) -> list[dict]:
    """One diagnostic per failing or stale test, in both languages, as the flow editor shows compile errors."""
    titles, failures = node_titles(program), []
    for test, result in _play(bot, program, version)[0]:
        if result.stale:
            failures.append({"message_en": f"Test “{test.name}” names what the bot no longer has: "
                                           f"{', '.join(result.stale)}",
                             "message_zh": f"测试用例“{test.name}”引用了机器人已没有的内容：{'、'.join(result.stale)}",
                             "node_id": None, "edge_id": None})
        elif not result.passed:
            d = asdict(result.differences[0])
            en, zh = shown_difference(d, titles, zh=False), shown_difference(d, titles, zh=True)
            where_en, where_zh = (f"turn {d['turn']}", f"第 {d['turn']} 轮") if d["turn"] else ("at the end", "结束时")
            failures.append({
                "message_en": f"Test “{test.name}”, {where_en}, {en['label']}: expected {en['expected']}, "
                              f"got {en['got']}",
                "message_zh": f"测试用例“{test.name}”{where_zh} · {zh['label']}：期望 {zh['expected']}，"
                              f"实际 {zh['got']}",
                "node_id": d["got"] if d["field"] == "node" else None, "edge_id": None})
    return failures


def _loaded(version: ModelVersion | None):  # noqa: ANN202 — a runtime, or None (no model, or one that will not load)
    try:
        return get_runtime(Path(version.path)) if version else None
    except (RuntimeLoadError, OSError, KeyError, ValueError):
        return None


def run_tests_job(job, progress: Progress) -> dict:  # noqa: ANN001
    """The body of a "run_tests" background job (salesstudio.jobs): params {"bot": id, "version"?: number,
    "model"?: number} (by default the latest flow version and the active model)."""
    bot = Bot.objects.get(pk=job.params["bot"], workspace=job.workspace)
    version = FlowVersion.objects.filter(flow__bot=bot, number=job.params.get("version")).first()
    model = ModelVersion.objects.filter(bot=bot, number=job.params.get("model")).first()
    run = run_suite(bot, flow_version=version, model_version=model, progress=progress)
    return {"run": run.pk, "passed": run.passed, "failed": run.failed, "stale": run.stale}
