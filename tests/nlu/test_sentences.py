"""Sentence embeddings: one encoder per process, embeddings kept on disk across processes."""

from __future__ import annotations

import numpy as np

from nlu.sentences import E5Encoder, Store


class Counting(E5Encoder):
    """The real encoder, counting the texts its engine encodes."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.encoded: list[str] = []
        engine = self.engine.encode

        def encode(texts, is_query):  # noqa: ANN001, ANN202
            self.encoded += texts
            return engine(texts, is_query)

        self.engine = type("Engine", (), {"encode": staticmethod(encode)})()


def test_a_second_process_reads_the_embeddings_the_first_one_stored(tmp_path):
    texts = ["你们的泵多少钱一台", "什么时候能发货", "不需要了谢谢"]
    first = Counting(Store(tmp_path / "sentences.sqlite3", "e5"))
    vectors = first.query(texts, keep=True)
    assert first.encoded == texts and vectors.shape == (3, 384)
    first.query(["我姓王，电话13912345678"])  # a caller's words: embedded, not kept
    second = Counting(Store(tmp_path / "sentences.sqlite3", "e5"))
    assert np.array_equal(second.query(texts, keep=True), vectors) and second.encoded == []
    assert not np.array_equal(second.passage(texts[:2], keep=True), vectors[:2])  # the prefix is part of the key
    second.query(["我姓王，电话13912345678"], keep=True)
    assert second.encoded == [*texts[:2], "我姓王，电话13912345678"]
    other = Counting(Store(tmp_path / "sentences.sqlite3", "another model"))
    other.query(texts, keep=True)
    assert other.encoded == texts  # a stored vector belongs to the model that made it
