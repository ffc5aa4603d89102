"""``govbot nlu check``: training data that trains what it says.

Rasa trains on whatever the files hold and only warns when an example cannot teach: an entity
span that does not start and end on a jieba token (DIET tags whole tokens, so 护照 inside the
token 办护照 is never learned), or the same message under two intents (the classifier is taught
both answers). It does not notice a jieba dictionary or lookup file left behind by a catalog
change, nor a response nobody says. This check turns each of these into an error, with the file
and the example, so ``make validate`` and the tests fail on them instead of a training log
scrolling past them.

Tokens come from Rasa's own ``JiebaTokenizer`` with the ``config.yml`` settings, on a jieba of
its own (see ``_own_jieba``), the way a fresh training process sees them.
"""
from __future__ import annotations

import ast
import logging
import re
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set

import yaml

from govbot.nlu_sync import JIEBA_FILE, LOOKUP_FILE, generate
from govbot.settings import ROOT

TOKENIZER = "JiebaTokenizer"


@dataclass(frozen=True)
class Problem:
    """One thing that makes the data teach something other than what it says."""

    rule: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}: {self.what}"


@dataclass(frozen=True)
class Project:
    """Where the files are; the repository's own layout unless a test builds a small one."""

    root: Path = ROOT
    config: str = "config.yml"
    nlu: str = "nlu_data"
    domain: str = "bot/domain"
    dialogues: str = "bot/data"
    code: str = "actions"
    lookup: str = str(LOOKUP_FILE.relative_to(ROOT))  # where `govbot nlu sync` writes
    jieba: str = str(JIEBA_FILE.relative_to(ROOT))

    def path(self, name: str) -> Path:
        return self.root / getattr(self, name)

    def shown(self, path: Path) -> str:
        """``path`` as the report names it: relative to the project when inside it."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def nlu_files(self) -> List[Path]:
        from rasa.shared.data import is_nlu_file

        return [p for p in sorted(self.path("nlu").rglob("*.yml")) if is_nlu_file(str(p))]


def check(project: Project = Project(), catalog: Any = None) -> List[Problem]:
    """Every problem of every rule; empty when the data is fit to train on."""
    from portal.catalog import Catalog

    return (misaligned_annotations(project) + repeated_across_intents(project)
            + stale_generated_files(project, catalog or Catalog.from_files()) + unused_responses(project))


def misaligned_annotations(project: Project) -> List[Problem]:
    """Entity spans that do not start and end on a token boundary: the condition of Rasa's
    ``EntityExtractorMixin.check_correct_entity_annotations`` ("Misaligned entity annotation")."""
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.loading import load_data

    problems = []
    with _own_jieba(), _rasa_tokenizer(project) as tokenizer:
        for path in project.nlu_files():
            data = tokenizer.process_training_data(load_data(str(path)))
            for example in data.entity_examples:
                tokens = example.get(TOKENS_NAMES[TEXT])
                starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
                for entity in example.get("entities"):
                    if entity["start"] not in starts or entity["end"] not in ends:
                        cut = "/".join(t.text for t in tokens)
                        span = example.get(TEXT)[entity["start"]:entity["end"]]
                        problems.append(Problem("misaligned entity", project.shown(path),
                                                f"[{span}]({entity['entity']}) in {example.get(TEXT)!r}, "
                                                f"intent {example.get('intent')}; jieba: {cut}"))
    return problems


def repeated_across_intents(project: Project) -> List[Problem]:
    """Example texts (annotations stripped, whitespace collapsed) found under two intents."""
    from rasa.shared.nlu.training_data.loading import load_data

    seen: Dict[str, Dict[str, Set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in project.nlu_files():
        for example in load_data(str(path)).intent_examples:
            seen[normalised(example.get("text"))][example.get("intent")].add(project.shown(path))
    return [Problem("text under two intents", ", ".join(sorted(set().union(*intents.values()))),
                    f"{text!r}: " + ", ".join(f"{i} ({', '.join(sorted(f))})" for i, f in sorted(intents.items())))
            for text, intents in sorted(seen.items()) if len(intents) > 1]


def normalised(text: str) -> str:
    """The text as a classifier sees it: runs of whitespace are one space, none at the ends."""
    return " ".join(text.split())


def stale_generated_files(project: Project, catalog: Any) -> List[Problem]:
    """Files ``govbot nlu sync`` writes that differ from what it would write now."""
    generated = generate(catalog)
    expected = {project.path("lookup"): generated.lookup, project.path("jieba"): generated.jieba}
    return [Problem("out of step with the catalog", project.shown(path), "run `govbot nlu sync`")
            for path, text in expected.items() if not path.exists() or path.read_text(encoding="utf-8") != text]


def unused_responses(project: Project) -> List[Problem]:
    """Domain responses nothing says. Rasa's validator looks at stories and rules only and warns
    about every response a custom action utters by name or a form asks with; those are used."""
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(project.path("domain")))
    used = _said_in_dialogues(project, domain) | _asked_by_forms(domain) | _named_in_code(project.path("code"))
    return [Problem("response never used", project.shown(project.path("domain")),
                    f"{name} (not in a rule or story, not asked by a form, not named in {project.code}/)")
            for name in sorted(domain.responses) if name not in used]


def _said_in_dialogues(project: Project, domain: Any) -> Set[str]:
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    steps = [s for p in sorted(project.path("dialogues").rglob("*.yml"))
             for s in YAMLStoryReader(domain).read_from_file(str(p))]
    return {e.action_name for s in steps for e in s.events if isinstance(e, ActionExecuted) and e.action_name}


def _asked_by_forms(domain: Any) -> Set[str]:
    """``utter_ask_<form>_<slot>`` / ``utter_ask_<slot>``: what Rasa's form says to ask for a slot
    that has no ``action_ask_`` of its own."""
    asked = set()
    for form in domain.form_names:
        for slot in domain.required_slots_for_form(form):
            if not {f"action_ask_{form}_{slot}", f"action_ask_{slot}"} & set(domain.action_names_or_texts):
                asked |= {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"}
    return asked


def _named_in_code(code_dir: Path) -> Set[str]:
    """Response names written as strings in the actions' source (``utter_message(response=…)``)."""
    names = set()
    for path in sorted(code_dir.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and re.fullmatch(r"utter_\w+", node.value)):
                names.add(node.value)
    return names


def tokenizer_config(project: Project) -> Dict[str, Any]:
    """The ``JiebaTokenizer`` settings of ``config.yml`` over Rasa's defaults, with the
    dictionary path taken from the project root (Rasa takes it from the working directory)."""
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    pipeline = yaml.safe_load(project.path("config").read_text(encoding="utf-8"))["pipeline"]
    step = next(s for s in pipeline if s["name"] == TOKENIZER)
    config = {**JiebaTokenizer.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}
    if config["dictionary_path"] is not None:
        config["dictionary_path"] = str(project.root / config["dictionary_path"])
    return config


@contextmanager
def _rasa_tokenizer(project: Project) -> Iterator[Any]:
    """Rasa's ``JiebaTokenizer`` created as the training graph creates it (its ``create`` loads
    the dictionary); the model storage is a scratch directory nothing is written to."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    with tempfile.TemporaryDirectory() as scratch:
        yield JiebaTokenizer.create(tokenizer_config(project), LocalModelStorage(Path(scratch)),
                                    Resource("data_check_tokenizer"), ExecutionContext(GraphSchema({})))


@contextmanager
def _own_jieba() -> Iterator[None]:
    """jieba's module-level tokenizer, which Rasa's ``JiebaTokenizer`` loads dictionaries into,
    replaced by a fresh one for the duration: words from another dictionary loaded earlier in this
    process (a test, a served model) would change the tokens; a training process starts clean."""
    import jieba

    saved = {name: getattr(jieba, name) for name in ("dt", "tokenize", "load_userdict")}
    level = jieba.default_logger.level
    own = jieba.Tokenizer()
    jieba.dt, jieba.tokenize, jieba.load_userdict = own, own.tokenize, own.load_userdict
    jieba.setLogLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(jieba, name, value)
        jieba.setLogLevel(level)


def report(problems: Iterable[Problem]) -> str:
    """The problems grouped by rule, with a count per rule."""
    by_rule: Dict[str, List[Problem]] = defaultdict(list)
    for problem in problems:
        by_rule[problem.rule].append(problem)
    lines = []
    for rule, found in by_rule.items():
        lines.append(f"{len(found)} × {rule}:")
        lines += [f"  {p.where}: {p.what}" for p in found]
    return "\n".join(lines)


def main(project: Optional[Project] = None, catalog: Any = None) -> int:
    """``govbot nlu check``: print what is wrong; non-zero when anything is."""
    problems = check(project or Project(), catalog)
    if problems:
        print(report(problems))
        print(f"govbot nlu check: {len(problems)} problem(s); see nlu_data/GUIDELINES.md")
        return 1
    print("govbot nlu check: entity spans on jieba tokens, no text under two intents, "
          "generated files current, every response used")
    return 0
