"""Knowledge-base benchmark (JSON on stdout), through the live call's path (`calls.dialogue.Dialogue.match_knowledge`
with the demo bot's understanding, as before its first training):

- accuracy on `bench/data/knowledge_unseen.json`: 108 questions written apart from the demo's phrasings, in other
  words (top-1 entry, answered with the right entry, answered with a wrong one) and 60 things callers say that no entry
  answers (share not answered). Targets: top-1 ≥ 0.9, off-topic not answered ≥ 0.9. The matcher alone (no intent
  examples to be nearer than) is reported beside it, and so is the flow: each question asked in a demo call at
  询问扬程 (the flow's routing intents win when they are confident);
- latency with 500 entries: the utterance's embedding (e5 encode) and the matching itself, p50/p95 over 200
  utterances. Target: p95 ≤ 3 ms added per turn.

`--dev` scores `bench/data/knowledge_dev.json` instead (54 questions, 25 off-topic, written apart from both): the set
to choose methods and the demo's content on, so that the unseen set is only ever scored.

    nice .venv/bin/python bench/knowledge.py [--dev]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calls.dialogue import Dialogue  # noqa: E402
from flows.compiler import compile_flow  # noqa: E402
from nlu import knowledge  # noqa: E402
from nlu.common import with_common_examples  # noqa: E402
from nlu.understanding import Understanding  # noqa: E402

DEMO = ROOT / "flows" / "demo"
PRODUCTS = ["离心泵", "管道泵", "潜水泵", "多级泵", "化工泵", "消防泵", "排污泵", "自吸泵", "屏蔽泵", "隔膜泵"]
# Synthetic entries' topics, each with two ways of asking about it (separated by ；)
TOPICS = [tuple(item.split()) for item in """
保修 质保多久 保几年；安装 怎么安装 谁来装；价格 多少钱 什么价位；材质 什么材料 耐不耐腐蚀
功率 多大功率 耗电多少；重量 有多重 几公斤；尺寸 多大尺寸 占地多大；噪音 吵不吵 多少分贝
配件 配件好买吗 易损件有哪些；库存 有没有现货 几天能发；认证 有什么认证 有没有防爆证
寿命 能用几年 耐用吗；流量 流量多大 每小时多少方；扬程 扬程多高 能打多少米
口径 进出口多大 管径多少；电压 用什么电 要三相电吗；维修 坏了怎么修 多久上门
说明书 有说明书吗 怎么操作；密封 会不会漏 用什么密封；转速 转速多少 几级电机
温度 能抽热水吗 耐多少度；包装 怎么包装 运输会坏吗；型号 有哪些型号 怎么选型
样品 能试用吗 有样机吗；付款 怎么付款 能月结吗；发票 能开票吗 几个点的票
运费 运费谁出 包邮吗；定制 能定制吗 非标做不做；节能 省电吗 能效几级
控制 能远程控制吗 有变频吗；颜色 什么颜色 能喷漆吗；保养 多久保养 怎么维护
培训 教不教操作 有培训吗；退换 能退货吗 不满意能换吗；交期 多久交货 几天做好
工厂 工厂在哪 能参观吗；案例 有哪些客户 给谁做过；质检 出厂检测吗 有检测报告吗
电缆 配多长电缆 线够长吗；底座 带不带底座 要不要地脚螺栓；阀门 配阀门吗 要不要止回阀
压力 耐压多少 几公斤压力；防爆 能防爆吗 防爆等级多少；水质 能抽泥浆吗 含沙能抽吗
深度 能下多深 井深多少能用；启动 怎么启动 要不要软启动；接口 法兰还是螺纹 接口什么标准
外壳 外壳什么做的 生锈吗；效率 效率多少 水泵效率高吗；售后 售后在哪 有没有服务点
""".replace("\n", "；").split("；") if item.strip()]


def demo_dialogue(understanding: Understanding, program: dict, slots: dict) -> Dialogue:
    dialogue = Dialogue(program, slots, understanding)
    dialogue.start()
    return dialogue


def accuracy(match, questions: dict[str, list[str]], off_topic: list[str]) -> dict:
    asked = [(gold, match(text)) for gold, texts in questions.items() for text in texts]
    n = len(asked)
    return {"questions": n, "top1": round(sum(m.question == g for g, m in asked) / n, 3),
            "answered_right": round(sum(m.matched and m.question == g for g, m in asked) / n, 3),
            "answered_wrong": round(sum(m.matched and m.question != g for g, m in asked) / n, 3),
            "off_topic": len(off_topic),
            "off_topic_not_answered": round(sum(not match(t).matched for t in off_topic) / len(off_topic), 3)}


def in_the_flow(understanding, program, slots, questions: dict[str, list[str]]) -> dict:
    """Each question asked at 询问扬程 of a demo call: answered with the right entry, the call still there."""
    right = stayed = 0
    for gold, texts in questions.items():
        for text in texts:
            dialogue = demo_dialogue(understanding, program, slots)
            dialogue.hear("是的")
            step = dialogue.hear(text)
            right += step.record.knowledge == gold
            stayed += step.record.node == "ask_head"
    n = sum(len(texts) for texts in questions.values())
    return {"node": "ask_head", "answered_right": round(right / n, 3),
            "call_stayed_at_the_question": round(stayed / n, 3)}


def synthetic_entries(count: int) -> list[knowledge.Entry]:
    entries = []
    for i in range(count):
        product, (topic, *ways) = PRODUCTS[i % len(PRODUCTS)], TOPICS[(i // len(PRODUCTS)) % len(TOPICS)]
        batch = i // (len(PRODUCTS) * len(TOPICS))
        question = f"{product}的{topic}{'' if batch == 0 else batch}"
        entries.append(knowledge.Entry(question, [f"{product}{way}" for way in ways] + [f"你们的{product}{ways[0]}"],
                                       [f"{product}的{topic}情况是这样的，我给您详细说一下。"]))
    return entries


def latency(entries: int, utterances: list[str]) -> dict:
    began = time.perf_counter()
    index = knowledge.KnowledgeIndex(synthetic_entries(entries))
    build = time.perf_counter() - began
    encode, matching = [], []
    for text in utterances:
        index.encode.cache.pop((True, text), None)  # embed it afresh, as a caller's new words are
        began = time.perf_counter()
        index.encode.query([text])  # the utterance's embedding (cached from here on)
        encode.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        index.match(text)  # the embedding comes from the cache: what is left is the matching
        matching.append((time.perf_counter() - began) * 1000)

    def summary(values: list[float]) -> dict:
        return {"p50": round(statistics.median(values), 3),
                "p95": round(statistics.quantiles(values, n=20)[-1], 3)}

    return {"entries": entries, "texts_indexed": len(index.owner) + len(index.entries),
            "build_seconds": round(build, 1),
            "utterances": len(utterances), "encode_ms": summary(encode), "match_ms": summary(matching),
            "added_per_turn_ms": summary([a + b for a, b in zip(encode, matching, strict=True)])}


def main() -> None:
    nlu = json.loads((DEMO / "nlu.json").read_text(encoding="utf-8"))
    slots = {s["name"]: s for s in nlu["slots"]}
    entries = knowledge.read_csv((DEMO / "knowledge.csv").read_bytes()).entries
    schema = {"intents": nlu["intents"], "slots": nlu["slots"],
              "knowledge": {"threshold": knowledge.DEFAULT_THRESHOLD, "entries": [e.to_json() for e in entries]}}
    program = compile_flow(json.loads((DEMO / "flow.json").read_text(encoding="utf-8")), schema).program
    understanding = Understanding(slots, with_common_examples(nlu["examples"], [i["name"] for i in nlu["intents"]]))
    name = "knowledge_dev.json" if "--dev" in sys.argv[1:] else "knowledge_unseen.json"
    unseen = json.loads((ROOT / "bench" / "data" / name).read_text(encoding="utf-8"))
    live = demo_dialogue(understanding, program, slots)
    alone = knowledge.KnowledgeIndex(entries)
    demo_unseen = (ROOT / "bench" / "data" / "demo_unseen.jsonl").read_text(encoding="utf-8").splitlines()
    heard = [json.loads(line)["text"] for line in demo_unseen if line.strip()]
    utterances = ([t for texts in unseen["questions"].values() for t in texts] + unseen["off_topic"] + heard)[:200]
    print(json.dumps({
        "entries": len(entries), "threshold": knowledge.DEFAULT_THRESHOLD, "questions": name,
        "accuracy": accuracy(live.match_knowledge, unseen["questions"], unseen["off_topic"]),
        "matcher_alone": accuracy(alone.match, unseen["questions"], unseen["off_topic"]),
        "in_the_flow": in_the_flow(understanding, program, slots, unseen["questions"]),
        "latency": latency(500, utterances[:200]),
        "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
