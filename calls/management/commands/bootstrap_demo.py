"""Create the demo workspace, its owner account and the demo bot, queue the training of its model (idempotent);
print how to log in."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from calls.calllog.bulk import simulate_calls
from calls.calllog.customers import do_import_customers
from calls.models import ConversationTest
from flows import bundles
from nlu import services as nlu_services
from nlu.base_models import E5_FOLDER_NAME, is_prepared
from salesstudio import services
from salesstudio.models import Workspace

USERNAME = "demo"
WORKSPACE = "演示团队"
DEMO_CALLS = 300  # simulated calls, so the dashboards are not empty on first start
CALLS_PER_CUSTOMER = 3  # of them to each demo customer, so their pages and the bot's memory of them are not empty
DEMO_CUSTOMERS = Path(bundles.__file__).parent / "demo" / "customers.csv"
DEMO_TESTS = Path(bundles.__file__).parent / "demo" / "tests.json"


def base_model_ready() -> bool:
    """Whether training can start at once: a configured base model, or the default one `prepare_models` made."""
    return bool(settings.NLU_BASE_MODEL) or is_prepared(settings.MODELS_DIR / "base_models" / E5_FOLDER_NAME)


class Command(BaseCommand):
    help = "Create the demo workspace, owner account and demo bot if missing, and print the credentials."

    def handle(self, *args, **options) -> None:
        password = self._ensure_owner()
        user = get_user_model().objects.get(username=USERNAME)
        workspace = Workspace.objects.filter(memberships__user=user, name=WORKSPACE).first()
        if workspace is None:
            workspace = services.do_create_workspace(WORKSPACE, user)
        if not workspace.bots.exists():
            bot = bundles.do_import_bot(workspace, bundles.load_demo_bundle(), user)
            self.stdout.write(f"Seeded the demo bot {bot.name} in {workspace.name}.")
        if not workspace.customers.exists():
            added = do_import_customers(workspace, DEMO_CUSTOMERS.read_bytes(), DEMO_CUSTOMERS.name).created
            self.stdout.write(f"Added {added} demo customers (call as one of them from the tester).")
        bot = workspace.bots.first()
        if bot is not None and bot.flow.versions.exists() and not bot.calls.exists():
            customers = list(workspace.customers.all())
            simulate_calls(bot, DEMO_CALLS - len(customers) * CALLS_PER_CUSTOMER)
            simulate_calls(bot, len(customers) * CALLS_PER_CUSTOMER, customers=customers, seed=1)
            self.stdout.write(f"Logged {DEMO_CALLS} simulated calls of {bot.name}, {CALLS_PER_CUSTOMER} to each demo "
                              "customer.")
        if bot is not None and not bot.conversation_tests.exists():
            cases = json.loads(DEMO_TESTS.read_text(encoding="utf-8"))
            ConversationTest.objects.bulk_create(ConversationTest(bot=bot, **case) for case in cases)
            self.stdout.write(f"Added {len(cases)} conversation tests of {bot.name}.")
        if bot is not None and base_model_ready() and not bot.training_runs.exists():
            nlu_services.do_start_training(bot, user)
            self.stdout.write(f"Queued the training of {bot.name}'s model (a few minutes; the tester says when).")
        self.stdout.write(self.style.SUCCESS(f"Log in at http://127.0.0.1:8000/ as {USERNAME} / {password}"))

    def _ensure_owner(self) -> str:
        """The demo owner's password lives in the data folder so every start can print it."""
        path = settings.DATA_DIR / "demo-credentials.txt"
        User = get_user_model()
        if path.exists() and User.objects.filter(username=USERNAME).exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=USERNAME, defaults={"email": "demo@example.com"})
        user.set_password(password)
        user.is_staff = user.is_superuser = True  # the instance admin of a one-machine installation
        user.save()
        path.write_text(password)
        path.chmod(0o600)
        return password
