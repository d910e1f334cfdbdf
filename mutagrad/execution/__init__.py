"""Where code mutagrad did not write runs (mutants, users' model files): isolate.py's child processes.

What comes back from there is a record of what happened, never a verdict: verdicts are the
checker's (check/) and the campaign's (campaign/).
"""
