"""A second opinion on whether a message is about government services at all.

The intent classifier has to pick one of its intents; everyday requests (给妈妈打个电话, 红烧肉怎么做,
订个酒店) look more like some government intent than like the few out-of-scope examples, and it
is sure of itself (0.97-1.0) when it is wrong. This component asks a simpler, independent
question, learned from the same training data: does the text read like the government examples
or like the out-of-scope ones? A logistic regression over character 1-3-grams (simplified
script, digits folded), two classes, balanced. When the classifier chose a government intent
and the gate finds the message unlike government requests (probability below ``threshold``),
the intent becomes ``out_of_scope``; the classifier's own reading stays in the ranking.

Messages that carry a case number, a phone or an ID number (regex entities) are never gated:
they give a value a procedure needs. The weights are stored as JSON inside the model (no pickle).
Placed after ``DIETClassifier`` and before ``FallbackClassifier`` in ``config.yml``; the
threshold there comes from ``benchmarks/nlu_eval.py``.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from govbot.intents import GOVERNMENT_INTENTS
from govbot.script import to_simplified

OUT_OF_SCOPE = "out_of_scope"
WEIGHTS_FILE = "domain_gate.json"
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_BOOKING_NUMBER = re.compile(r"YY\d{8}", re.IGNORECASE)


def grams(text: str, longest: int = 3) -> List[str]:
    """Character 1..longest-grams of the simplified, lower-case text with every number as ``0``."""
    said = _DIGITS.sub("0", _SPACE.sub(" ", to_simplified(text or "").lower().strip()))
    return [said[i:i + n] for n in range(1, longest + 1) for i in range(len(said) - n + 1)]


class Gate:
    """The trained weights: P(government) = sigmoid(bias + sum of the weights of the grams present)."""

    def __init__(self, weights: Dict[str, float], bias: float) -> None:
        self.weights, self.bias = weights, bias

    @classmethod
    def fit(cls, government: Iterable[str], other: Iterable[str], strength: float = 1.0) -> "Gate":
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression

        government, other = list(government), list(other)
        texts, labels = [*government, *other], [1] * len(government) + [0] * len(other)
        vectorizer = CountVectorizer(analyzer=grams, binary=True, min_df=2)
        features = vectorizer.fit_transform(texts)
        model = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000, random_state=2026)
        model.fit(features, labels)
        vocabulary = vectorizer.get_feature_names_out()
        weights = {gram: float(w) for gram, w in zip(vocabulary, model.coef_[0], strict=True) if abs(w) > 1e-6}
        return cls(weights, float(model.intercept_[0]))

    def government(self, text: str) -> float:
        score = self.bias + sum(self.weights.get(gram, 0.0) for gram in set(grams(text)))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, score))))

    def to_json(self) -> Dict[str, Any]:
        return {"bias": self.bias, "weights": self.weights}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Gate":
        return cls(data["weights"], data["bias"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainGate(GraphComponent, IntentClassifier):
    """Government intents the gate finds unlike government requests become ``out_of_scope``."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.5, "strength": 1.0}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 gate: Optional[Gate] = None) -> None:
        self._config, self._storage, self._resource, self._gate = config, model_storage, resource, gate

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "DomainGate":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = training_data.intent_examples
        government = [m.get(TEXT) for m in examples if m.get(INTENT) in GOVERNMENT_INTENTS]
        other = [m.get(TEXT) for m in examples if m.get(INTENT) == OUT_OF_SCOPE]
        if government and other:
            self._gate = Gate.fit(government, other, self._config["strength"])
            with self._storage.write_to(self._resource) as directory:
                (directory / WEIGHTS_FILE).write_text(json.dumps(self._gate.to_json(), ensure_ascii=False))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "DomainGate":
        try:
            with model_storage.read_from(resource) as directory:
                gate = Gate.from_json(json.loads((directory / WEIGHTS_FILE).read_text()))
        except (ValueError, FileNotFoundError):
            gate = None  # trained without out-of-scope examples: nothing to gate with
        return cls(config, model_storage, resource, gate)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._rejects(message):
                self._reject(message)
        return messages

    def _rejects(self, message: Message) -> bool:
        intent = message.get(INTENT) or {}
        if self._gate is None or intent.get("name") not in GOVERNMENT_INTENTS:
            return False
        text = message.get(TEXT) or ""
        if any(e.get("extractor") == "RegexEntityExtractor" for e in message.get(ENTITIES) or []) \
                or _BOOKING_NUMBER.search(text):
            return False
        return self._gate.government(text) < self._config["threshold"]

    def _reject(self, message: Message) -> None:
        confidence = 1.0 - self._gate.government(message.get(TEXT) or "")  # type: ignore[union-attr]
        rejected = {"name": OUT_OF_SCOPE, "confidence": confidence}
        message.set(INTENT, rejected, add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != OUT_OF_SCOPE]
        message.set(INTENT_RANKING_KEY, [rejected, *ranking], add_to_output=True)
