"""Robot variable files shipped with crosscheck: the seeds' targets, the channel registry,
service addresses.

The one home of every seed constant: suites import them as ``Variables
crosscheck.variables.targets`` (or through the thin files in the repository's
``variables/``), and libraries take their documented defaults from here.
"""
