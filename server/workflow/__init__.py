"""The workflow core that wishes (and next cases and visits) share: a rule table of
who may do what (:mod:`.rules`) and the one transition writer (:mod:`.writer`)."""
