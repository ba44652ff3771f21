"""Views of the voice app: recordings and transcripts (recordings), one module per page family."""
