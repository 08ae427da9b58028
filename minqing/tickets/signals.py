"""Signals the pipeline sends besides Django's own."""

from django.dispatch import Signal

# Many events written at once (a 12345 import batch), after each has had its post_save with
# `instance.in_bulk = True`: listeners that can do the batch in one go take this one. Argument: events.
events_bulk_created = Signal()

# The end of each deadline sweep pass (sweep.sweep_once): periodic upkeep of other apps hangs here
# (the evaluation folds new facts into its rollups). Argument: now.
sweep_done = Signal()
