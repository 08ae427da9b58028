"""Signals the pipeline sends besides Django's own."""

from django.dispatch import Signal

# The end of each deadline sweep pass (sweep.sweep_once): periodic upkeep of other apps hangs here
# (the evaluation folds new facts into its rollups). Argument: now.
sweep_done = Signal()
