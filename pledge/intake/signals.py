"""What intake tells the apps above it (they listen; intake never imports them)."""

from django.dispatch import Signal

# Sent inside the storing transaction with ``submission`` and ``person``: the sales inbox makes
# a lead of it (meetings), so both commit or neither does.
submission_stored = Signal()
