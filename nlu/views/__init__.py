"""NLU pages: intents & slots, examples, import/export, training, model versions and their reports."""
