"""``govbot nlu ood``: out-of-domain (OOD) messages from public Chinese corpora nobody in this project
wrote, as held-out test sets (tests/nlu/ood/) and as out_of_scope training data
(nlu_data/out_of_scope_public.yml).

Why: citizens send the government account everything a phone assistant hears (music, weather, recipes,
hotels…); hand-written out_of_scope examples alone let too many of them pass as government intents, and
a test set written by the same people who wrote the training data flatters the model. Every corpus is
either held-out as a whole or used for training, never both; every message goes through the one
government filter (:func:`is_government`) and the one contract filter (:func:`is_contract_talk`).
The raw corpora are not in the repository; nlu_data/SOURCES.md says how to fetch them.
"""
from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from govbot.settings import ROOT
from portal.catalog import Catalog
from portal.search import normalise  # the key two texts are the same by (script, case, punctuation)

SEED = 20191
MIN_CHARS, MAX_CHARS = 2, 60

# Government matters in everyday words, beside the catalog's own names and aliases: a message with one of
# them is not out of scope for this assistant even when a general corpus files it under music or news.
GOVERNMENT_WORDS = (
    "公积金", "社保", "医保", "社会保障", "养老保险", "养老金", "失业金", "失业保险", "低保", "退休",
    "户口", "户籍", "落户", "身份证", "居住证", "暂住证", "护照", "签证", "签注", "通行证", "出入境",
    "营业执照", "个体户", "许可证", "办证", "开证明", "证明材料", "公证", "结婚证", "离婚", "准生", "出生证", "残疾证",
    "不动产", "房产证", "过户", "个税", "个人所得税", "退税", "纳税", "税务", "政务", "政府",
    "办事大厅", "行政审批", "市民热线", "12345", "交警", "车管", "驾照", "驾驶证", "行驶证", "年检",
    "年审", "违章", "罚单", "扣分", "派出所", "民政局", "人社", "法律援助", "入学登记", "无犯罪",
)
# A message that is only a greeting, thanks, goodbye, yes/no or talk about the assistant belongs to a
# contract intent (greet, thank, goodbye, affirm, deny, bot_challenge, complain, human_handoff…), not OOD.
_CONTRACT_TALK = re.compile(
    r"^(你好|您好|嗨|哈喽|hello|hi|在吗|在不在|早上好|晚上好|下午好|晚安|早安|谢谢|多谢|感谢|谢了|再见|拜拜|"
    r"bye|好的|好|嗯|恩|行|可以|对|是的|是|没有|没了|不用|不要|不是|不对|ok|哦|啊|呵呵|哈哈|没问题|"
    r"知道了|明白了|谢谢你|好的谢谢|那好|没事了|就这样)+$", re.IGNORECASE)
_ASSISTANT_WORDS = ("人工", "客服", "投诉", "差评", "你是谁", "机器人", "是真人", "你叫什么")
_ASSISTANT_TALK_CHARS = 12  # longer messages with these words are about something else (真人秀, 机器人总动员)
# Catalog keywords are everyday words (饭店, 小吃, 坐火车); two of one item tell a government matter
# only in a message that also speaks of a procedure.
_PROCEDURE_WORDS = ("办", "申请", "登记", "手续", "材料", "补领", "换领", "证件", "许可")
_RASA_MARKUP = re.compile(r"[\[\]{}()]")
_LEADING_JUNK = re.compile(r"^[\s\-*#>|!&%@?:,.，。、!！?？~～]+")


@dataclass(frozen=True)
class Message:
    """One user message of a corpus, with the corpus's own domain (sampling spreads over domains)."""
    domain: str
    text: str


@dataclass
class Selection:
    """What one corpus gave: the sample, and how many messages each filter removed."""
    name: str
    texts: List[str]
    read: int
    removed: Counter = field(default_factory=Counter)
    domains: Counter = field(default_factory=Counter)


# --- readers: one per corpus format -----------------------------------------------------------------------

def read_smp2019(path: Path) -> List[Message]:
    """SMP2019-ECDT task 1 train.json: a list of {text, domain, intent, slots}."""
    return [Message(row["domain"], row["text"]) for row in json.loads(path.read_text(encoding="utf-8"))]


_SMP2017_ROW = re.compile(r'"query"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"label"\s*:\s*"([^"]+)"')


def read_smp2017(path: Path) -> List[Message]:
    """SMP2017-ECDT task 1 ({"id": {"query", "label"}}). Read row by row: the copy bundled with the
    SMP2019 repository glues the train and develop objects together into a file no JSON parser accepts."""
    text = path.read_text(encoding="utf-8")
    return [Message(label, json.loads(f'"{query}"')) for query, label in _SMP2017_ROW.findall(text)]


def read_crosswoz(paths: Sequence[Path]) -> List[Message]:
    """CrossWOZ dialogues ({id: {messages: [{role, content, dialog_act}]}}): the user turns that ask or
    tell something (an Inform or Request act); the domain is the turn's first non-General act domain."""
    messages: List[Message] = []
    for path in paths:
        for dialogue in json.loads(path.read_text(encoding="utf-8")).values():
            for turn in dialogue["messages"]:
                domains = [act[1] for act in turn.get("dialog_act", []) if act[0] in ("Inform", "Request")]
                if turn.get("role") == "usr" and domains:
                    messages.append(Message(domains[0], turn["content"]))
    return messages


def read_kdconv(paths: Sequence[Path]) -> List[Message]:
    """KdConv ({film,music,travel}/*.json: [{messages: [{message}]}]): the turns of the side that opens
    each conversation (even turns); the domain is the folder or file-name prefix (film, music, travel)."""
    messages: List[Message] = []
    for path in paths:
        domain = _kdconv_domain(path)
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            messages.extend(Message(domain, turn["message"]) for turn in dialogue["messages"][::2])
    return messages


def _kdconv_domain(path: Path) -> str:
    for name in (path.parent.name, path.stem.split("_")[0], path.stem.split("_")[1] if "_" in path.stem else ""):
        if name in ("film", "music", "travel"):
            return name
    return path.stem


# --- filters: the same for every corpus ---------------------------------------------------------------------

def government_terms(catalog: Catalog) -> Tuple[Set[str], List[Set[str]]]:
    """Terms that make a message a government matter (normalised like the messages): the word list, every
    catalog name and alias; and, per catalog item, its keywords (generic one by one, like 高铁 or 饭店,
    telling only two together)."""
    words = set(GOVERNMENT_WORDS)
    for guide in catalog.guides.values():
        words |= {w for w in (guide.name, *guide.aliases) if len(w) >= 2}
    keyword_sets = [{normalise(k) for k in guide.keywords if len(k) >= 2} for guide in catalog.guides.values()]
    return {normalise(w) for w in words}, keyword_sets


def is_government(text: str, terms: Set[str], keyword_sets: Iterable[Set[str]]) -> bool:
    """True for a message about a government matter: a government word, a catalog name or alias, or two
    keywords of one catalog item with a procedure word (坐火车 + 急用 + 办)."""
    folded = normalise(text)
    if any(term in folded for term in terms):
        return True
    if not any(w in folded for w in _PROCEDURE_WORDS):
        return False
    return any(sum(k in folded for k in keywords) >= 2 for keywords in keyword_sets)


def is_contract_talk(text: str) -> bool:
    """True for greetings, thanks, yes/no and talk about the assistant: contract intents, not OOD."""
    bare = normalise(text)
    about_assistant = len(text) <= _ASSISTANT_TALK_CHARS and any(w in text for w in _ASSISTANT_WORDS)
    return bool(_CONTRACT_TALK.match(bare)) or about_assistant


def clean(text: str) -> Optional[str]:
    """The message as a Rasa YAML example, or None when it is too short or long: invisible characters
    (byte-order marks, zero-width spaces) and Rasa markup characters ([x](y), {…}) removed, leading
    list/comment marks stripped, whitespace collapsed."""
    visible = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c.isspace())
    text = _LEADING_JUNK.sub("", " ".join(_RASA_MARKUP.sub(" ", visible).split()))
    return text if MIN_CHARS <= len(text) <= MAX_CHARS else None




# --- sampling -----------------------------------------------------------------------------------------

def select(name: str, messages: Sequence[Message], size: int, filters: "Filters", seed: int = SEED) -> Selection:
    """A deterministic sample of ``size`` messages spread evenly over the corpus's domains, after
    cleaning, de-duplication and the government, contract and exclusion filters."""
    selection = Selection(name, [], read=len(messages))
    by_domain: Dict[str, List[str]] = defaultdict(list)
    seen: Set[str] = set()
    for message in messages:
        text = clean(message.text)
        reason = filters.reason(text, seen)
        if reason or text is None:
            selection.removed[reason or "length"] += 1
            continue
        seen.add(normalise(text))
        by_domain[message.domain].append(text)
    quotas = _quotas({d: len(t) for d, t in by_domain.items()}, size)
    for domain in sorted(by_domain):
        # A reproducible sample of public text, not a secret: the standard generator is right here.
        sampler = random.Random(f"{seed}:{name}:{domain}")  # nosec B311
        picked = sampler.sample(sorted(by_domain[domain]), quotas[domain])
        selection.texts.extend(picked)
        selection.domains[domain] = len(picked)
    return selection


def _quotas(available: Dict[str, int], size: int) -> Dict[str, int]:
    """Even shares per domain; what a small domain cannot fill goes to the larger ones."""
    quotas = {d: 0 for d in available}
    left = min(size, sum(available.values()))
    while left:
        open_domains = sorted(d for d in available if quotas[d] < available[d])
        share = max(1, left // len(open_domains))
        for domain in open_domains:
            take = min(share, available[domain] - quotas[domain], left)
            quotas[domain] += take
            left -= take
            if not left:
                break
    return quotas


@dataclass
class Filters:
    """The filters every corpus goes through, and the texts it must not repeat (held-out or training)."""
    terms: Set[str]
    keyword_sets: List[Set[str]]
    excluded: Set[str] = field(default_factory=set)

    @classmethod
    def from_catalog(cls, catalog: Catalog, excluded: Iterable[str] = ()) -> "Filters":
        terms, keyword_sets = government_terms(catalog)
        return cls(terms, keyword_sets, {normalise(t) for t in excluded})

    def reason(self, text: Optional[str], seen: Set[str]) -> Optional[str]:
        """Why the message is left out, or None to keep it."""
        if text is None:
            return "length"
        key = normalise(text)
        if not key:
            return "length"
        if key in seen:
            return "duplicate"
        if is_government(text, self.terms, self.keyword_sets):
            return "government"
        if is_contract_talk(text):
            return "contract_talk"
        if key in self.excluded:
            return "overlap"
        return None


# --- files --------------------------------------------------------------------------------------------

def write_nlu(path: Path, texts: Sequence[str], header: Sequence[str]) -> None:
    """One ``out_of_scope`` block in Rasa NLU YAML 3.1, with a comment header saying where it comes from."""
    lines = ['version: "3.1"', *(f"# {line}" for line in header), "nlu:", "- intent: out_of_scope",
             "  examples: |", *(f"    - {t}" for t in texts)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def nlu_texts(paths: Iterable[Path]) -> Set[str]:
    """Every example text of the given Rasa NLU files."""
    from rasa.shared.nlu.training_data.loading import load_data

    return {m.get("text") for p in paths for m in load_data(str(p)).intent_examples}


@dataclass(frozen=True)
class RawCorpora:
    """Paths of the fetched raw corpora (see nlu_data/SOURCES.md)."""
    smp2019: Path
    crosswoz: Tuple[Path, ...]
    smp2017: Path
    kdconv: Tuple[Path, ...]


HELD_OUT_SIZE = 500
TRAINING_SIZES = {"smp2017": 450, "kdconv": 300}
_GENERATED = "Generated by `govbot nlu ood` (govbot/ood_corpus.py) from a public corpus; see nlu_data/SOURCES.md."


def build(raw: RawCorpora, catalog: Catalog, root: Path = ROOT) -> Dict[str, Selection]:
    """Writes both held-out OOD sets, then the training file from the other corpora, which repeats no
    text of the held-out corpora (whole corpora, not only the sample), of any held-out file, or of the
    other training files (a text under two intents is a contradiction `rasa data validate` refuses)."""
    ood_dir, training_file = root / "tests" / "nlu" / "ood", root / "nlu_data" / "out_of_scope_public.yml"
    training = nlu_texts(p for p in sorted((root / "nlu_data").rglob("*.yml")) if p != training_file)
    held_out_filters = Filters.from_catalog(catalog, training)
    smp2019, crosswoz = read_smp2019(raw.smp2019), read_crosswoz(raw.crosswoz)
    selections = {
        "smp2019_ecdt": select("smp2019_ecdt", smp2019, HELD_OUT_SIZE, held_out_filters),
        "crosswoz": select("crosswoz", crosswoz, HELD_OUT_SIZE, held_out_filters),
    }
    for name, selection in selections.items():
        write_nlu(ood_dir / f"{name}.yml", selection.texts,
                  [f"HELD-OUT out-of-domain test set from {name}. Never use for training.", _GENERATED])
    held_out = nlu_texts(sorted((root / "tests" / "nlu").rglob("*.yml")))
    held_out |= {m.text for m in (*smp2019, *crosswoz)}
    training_filters = Filters.from_catalog(catalog, held_out | training)
    for name, messages in (("smp2017", read_smp2017(raw.smp2017)), ("kdconv", read_kdconv(raw.kdconv))):
        selections[name] = select(name, messages, TRAINING_SIZES[name], training_filters)
    write_nlu(training_file, [t for n in TRAINING_SIZES for t in selections[n].texts],
              ["out_of_scope TRAINING examples from public corpora (SMP2017-ECDT task 1, KdConv).", _GENERATED,
               "The hand-written ones are in out_of_scope.yml."])
    return selections


def report(selections: Dict[str, Selection]) -> str:
    """A line per corpus: read, kept, removed by reason, per domain."""
    return "\n".join(f"{s.name}: read {s.read}, kept {len(s.texts)}, removed {dict(s.removed)}, "
                     f"domains {dict(sorted(s.domains.items()))}" for s in selections.values())
