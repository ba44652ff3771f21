"""The NLU runtime on a tiny trained version: prediction shape, caching, shared embeddings, engines."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from nlu.runtime import NluRuntime, RuntimeLoadError, evict_runtime, get_runtime


@pytest.fixture(scope="module")
def runtime(tiny_version) -> NluRuntime:
    return NluRuntime(tiny_version)


def test_predict_returns_intent_ranking_and_spans(runtime):
    result = runtime.predict("是五十米", context="扬程多少米?")
    assert set(result) == {"intent", "confidence", "ranking", "spans"}
    assert result["intent"] in runtime.intents
    ranking = result["ranking"]
    assert len(ranking) >= 3 and ranking[0]["intent"] == result["intent"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-4)  # 4 intents, all ranked
    for span in result["spans"]:
        assert "是五十米"[span["start"]:span["end"]] == span["text"]
        assert 0 <= span["confidence"] <= 1


def test_batch_prediction_equals_one_by_one(runtime):
    texts, contexts = ["工业泵多少钱", "是两台", "转人工"], [None, "要几台?", None]
    batch = runtime.predict_many(texts, contexts)
    for text, context, result in zip(texts, contexts, batch, strict=True):
        single = runtime.predict(text, context)
        assert single["intent"] == result["intent"]
        # dynamic int8 quantises activations per batch, so padding moves probabilities slightly
        assert single["confidence"] == pytest.approx(result["confidence"], abs=0.01)


def test_int8_runtime_is_close_to_the_unquantized_peft_model(runtime, tiny_version):
    reference = NluRuntime(tiny_version, engine="torch-fp32")
    texts = ["工业泵多少钱", "有没有现货", "请帮我转人工", "五十米", "下周三能发货吗", "人工客服"]
    quantized = [p["ranking"] for p in runtime.predict_many(texts)]
    fp32 = [p["ranking"] for p in reference.predict_many(texts)]
    for q, f in zip(quantized, fp32, strict=True):
        q_probs = {r["intent"]: r["confidence"] for r in q}
        assert max(abs(q_probs[r["intent"]] - r["confidence"]) for r in f) < 0.05


def test_the_cache_loads_a_version_once(tiny_version):
    first = get_runtime(tiny_version)
    assert get_runtime(tiny_version) is first
    evict_runtime(tiny_version)
    assert get_runtime(tiny_version) is not first


def test_bots_on_one_base_share_one_embedding_table(tiny_version, tmp_path):
    copy = tmp_path / "other-bot"
    shutil.copytree(tiny_version, copy)
    a, b = NluRuntime(tiny_version), NluRuntime(copy)
    assert a.tasks["intent"].embeddings is b.tasks["slots"].embeddings
    assert isinstance(a.tasks["intent"].embeddings, np.memmap)


def test_one_intra_op_thread_by_default(runtime):
    options = runtime.tasks["intent"].session.get_session_options()
    assert options.intra_op_num_threads == 1


def test_a_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(RuntimeLoadError):
        NluRuntime(tmp_path)


def test_bots_on_one_base_share_tokenizers(tiny_version, tmp_path):
    copy = tmp_path / "third-bot"
    shutil.copytree(tiny_version, copy)
    a, b = NluRuntime(tiny_version), NluRuntime(copy)
    assert a.tokenizers["slots"] is b.tokenizers["slots"]
    assert a.tokenizers["intent"] is not a.tokenizers["slots"]  # different pre-tokenisation


def test_the_torch_int8_engine_serves_the_same_version(runtime, tiny_version):
    torch_runtime = NluRuntime(tiny_version, engine="torch-int8")
    texts = ["工业泵多少钱", "请帮我转人工", "是五十米"]
    torch_results = torch_runtime.predict_many(texts)
    for onnx_result, torch_result in zip(runtime.predict_many(texts), torch_results, strict=True):
        onnx_probs = {r["intent"]: r["confidence"] for r in onnx_result["ranking"]}
        assert max(abs(onnx_probs[r["intent"]] - r["confidence"]) for r in torch_result["ranking"]) < 0.1
    assert all(len(p["ranking"]) >= 3 for p in torch_results)


def test_export_falls_back_to_torch_int8_when_onnx_fails(tiny_base, tmp_path, monkeypatch):
    from nlu import export
    from nlu.modeling import INTENT, new_task_model

    def broken(model, path, **kwargs):
        raise export.ExportError("no exporter today")

    monkeypatch.setattr(export, "export_onnx", broken)
    model = new_task_model(tiny_base, INTENT, 3, rank=2, alpha=4, dropout=0.0, targets=("query",)).merge()
    assert export.export_task(model, tmp_path) == {"engine": export.TORCH_INT8, "file": None}
    assert list(tmp_path.iterdir()) == []


def test_empty_batches_predict_nothing(runtime):
    assert runtime.predict_many([]) == []


def test_intent_only_prediction_skips_the_slot_model(runtime):
    full, intent_only = runtime.predict("是五十米", "扬程多少米?"), runtime.predict("是五十米", "扬程多少米?", slots=False)
    assert intent_only["spans"] == [] and intent_only["intent"] == full["intent"]
