"""Fixtures of the NLU web tests: a tiny random base encoder (built by the core's test helpers) and a bot with the
core's toy sales dataset."""

from __future__ import annotations

import pytest

from nlu import services
from nlu.models import Slot
from tests import factories
from tests.nlu.conftest import toy_examples, write_tiny_e5s1

TINY_CONFIG = {"epochs": 2, "max_length": 32, "batch_size": 8, "lora_rank": 4, "lora_alpha": 8}


@pytest.fixture(autouse=True)
def english():
    """Messages made outside a request come out in English (requests follow LANGUAGE_CODE or Accept-Language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def tiny_base_dir(tmp_path_factory):
    """A tiny BERT folder converted from a synthetic E5S1 file through the real conversion (no verification)."""
    from nlu.base_models import prepare_e5_small

    source = write_tiny_e5s1(tmp_path_factory.mktemp("e5s1") / "tiny-q4.bin")
    return prepare_e5_small(tmp_path_factory.mktemp("base") / "tiny", source=source, verify=False)


@pytest.fixture
def bot(team):
    return factories.make_bot(team["workspace"])


@pytest.fixture
def trained_bot(bot):
    """`bot` with the toy dataset: 4 intents, slots 扬程 (number, 米) and 数量 (quantity, 台)."""
    Slot.objects.create(bot=bot, name="扬程", type="number", unit="米")
    Slot.objects.create(bot=bot, name="数量", type="quantity", unit="台")
    services.do_import_rows(bot, None, toy_examples())
    return bot
