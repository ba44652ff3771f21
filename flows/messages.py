"""Compiler diagnostics: codes, severities and their messages in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.kinds import KINDS

ERROR = "error"
WARNING = "warning"

KIND_ZH = {name: kind.label_zh for name, kind in KINDS.items()}
EXIT_ZH = {"default": "默认", "intent": "意图", "no_match": "未匹配", "silence": "静默", "expr": "条件表达式",
           "filled": "已填写", "fallback": "兜底"}
FIELD_ZH = {"texts": "话术", "prompts": "提问话术", "reprompts": "重问话术"}

# code: (severity, English template, Chinese template). Templates use str.format fields given by the check.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "no_start": (ERROR, "The flow has no start node.", "流程没有开始节点。"),
    "multiple_starts": (ERROR, "{label} is one of {count} start nodes; keep exactly one.",
                        "{label}是 {count} 个开始节点之一，只能保留一个。"),
    "unreachable": (ERROR, "{label} cannot be reached from the start node.", "从开始节点无法到达{label}。"),
    "dead_end": (ERROR, "{label} has no {exit}, so the call would get stuck here.", "{label}{exit_zh}，通话会卡在这里。"),
    "exit_from_terminal": (ERROR, "{label} ends the call, so nothing can follow it: remove the connection that leaves "
                                  "it.",
                           "{label}会结束通话，后面不能再连接节点：请删除从它出发的连线。"),
    "edge_not_allowed": (ERROR, "A connection from {label}: exits of type “{type}” are not allowed on {kind} nodes.",
                         "从{label}出发的连线：{kind_zh}节点不能有“{type_zh}”出口。"),
    "duplicate_exit": (ERROR, "{label} already has an exit for {what}: remove one of the two connections.",
                       "{label}已经有{what_zh}出口：请删除两条连线中的一条。"),
    "unknown_intent": (ERROR, "A connection from {label} uses the intent “{intent}”, which this bot does not define.",
                       "从{label}出发的连线使用了意图“{intent}”，但机器人没有定义这个意图。"),
    "unknown_slot": (ERROR, "{label} uses the slot “{slot}”, which this bot does not define.",
                     "{label}使用了槽位“{slot}”，但机器人没有定义这个槽位。"),
    "unknown_placeholder": (ERROR, "{label} says {{{slot}}}, which is neither a slot of this bot nor a customer "
                                   "variable declared in the flow settings.",
                            "{label}的话术用到了 {{{slot}}}，但它既不是机器人的槽位，也不是流程设置中声明的客户变量。"),
    "knowledge_placeholder": (ERROR, "The knowledge-base answer to “{question}” says {{{slot}}}, which is neither a "
                                     "slot of this bot nor a customer variable declared in the flow settings.",
                              "知识库问题“{question}”的回答用到了 {{{slot}}}，但它既不是机器人的槽位，也不是流程设置中声明的客户变量。"),
    "knowledge_follow_up_slot": (ERROR, "A follow-up question of the knowledge-base entry “{question}” collects "
                                        "“{slot}”, which is not a slot of this bot.",
                                 "知识库问题“{question}”的追问要收集“{slot}”，但它不是机器人的槽位。"),
    "slot_maybe_unset": (ERROR, "{label} says {{{slot}}}, but “{slot}” may still be empty here: not every path from "
                                "the start collects it first.",
                         "{label}的话术用到了 {{{slot}}}，但此时“{slot}”可能还没有值：并非每条从开始出发的路径都先收集了它。"),
    "missing_prompt": (ERROR, "{label} collects slots but has no prompt.", "{label}要收集槽位，但没有提问话术。"),
    "missing_slots": (ERROR, "{label} does not say which slots to collect.", "{label}没有指定要收集的槽位。"),
    "missing_text": (ERROR, "{label} has nothing to say.", "{label}没有播报话术。"),
    "missing_seconds": (ERROR, "{label} does not say how many seconds to wait.", "{label}没有设置等待几秒。"),
    "blank_text": (ERROR, "{label} has a blank script ({field} #{number}).", "{label}有空白话术（{field_zh}第 {number} 条）。"),
    "missing_outcome": (ERROR, "{label} has no outcome; choose 成交, 意向, 拒绝, 回访, 挂断 or 转人工.",
                        "{label}没有设置通话结果，请选择 成交、意向、拒绝、回访、挂断 或 转人工。"),
    "loop_without_listening": (ERROR, "These nodes form a loop that can repeat forever without listening to the "
                                      "customer: {nodes}. (An ask node whose slots are already filled is passed "
                                      "without listening.)",
                               "这些节点构成的循环可能无限重复、始终不聆听客户：{nodes}。（槽位已填写的询问节点会被直接跳过。）"),
    "bad_expression": (ERROR, "A connection from {label}: the condition “{expr}” does not parse: {error}.",
                       "从{label}出发的连线：条件“{expr}”无法解析：{error_zh}。"),
    "no_match_unhandled": (WARNING, "{label} has no “no_match” or “default” exit: unrecognised answers are "
                                    "re-prompted up to {retries} time(s), then the call ends as 回访.",
                           "{label}没有“未匹配”或“默认”出口：无法识别的回答最多重问 {retries} 次，之后通话以“回访”结束。"),
    "silence_unhandled": (WARNING, "{label} has no “silence” or “default” exit: silence is re-prompted up to "
                                   "{retries} time(s), then the call ends as 回访.",
                          "{label}没有“静默”或“默认”出口：客户不说话时最多重问 {retries} 次，之后通话以“回访”结束。"),
    "missing_fallback": (WARNING, "{label} has no “fallback” exit: after re-prompting {retries} time(s) the call "
                                  "ends as 回访.",
                         "{label}没有“兜底”出口：重问 {retries} 次仍未收集到时，通话以“回访”结束。"),
    "global_intent_unhandled": (WARNING, "The global intent “{intent}” has no handler: draw an intent edge for it "
                                         "from {label}, or give it a default reply.",
                                "全局意图“{intent}”没有处理：请从{label}连一条该意图的连线，或为它填写默认回复。"),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One compile error or warning, pointing at a node and/or an edge."""

    code: str
    severity: str
    node_id: str | None
    edge_id: str | None
    message_en: str
    message_zh: str

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "node_id": self.node_id, "edge_id": self.edge_id,
                "message_en": self.message_en, "message_zh": self.message_zh}


# Messages name a node by its title (the id stays on the diagnostic, for the canvas to point at the node).
def label_en(title: str, kind: str = "") -> str:
    return f"node “{title}”" if title else f"an untitled {kind} node".replace("  ", " ")


def label_zh(title: str, kind: str = "") -> str:
    return f"节点“{title}”" if title else f"未命名的{KIND_ZH.get(kind, '')}节点"


def make(code: str, node_id: str | None = None, edge_id: str | None = None, *, title: str = "", node_kind: str = "",
         **params: Any) -> Diagnostic:
    """Build the diagnostic `code`; `params` fill both templates, `{label}` is derived from the node id and title."""
    severity, english, chinese = MESSAGES[code]
    label = {"en": label_en(title, node_kind), "zh": label_zh(title, node_kind)} if node_id else {"en": "", "zh": ""}
    english = english.format(label=label["en"], **params)
    return Diagnostic(code, severity, node_id, edge_id, english[:1].upper() + english[1:],
                      chinese.format(label=label["zh"], **params))
