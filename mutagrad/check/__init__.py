"""The checker: is a gradient right, and if not, which component is wrong?

Read from the protocol down: protocol.py (which points and settings are probed, localization),
evaluator.py (the model, called with its RNG pinned), gradcheck.py (per-component verdicts
over numeric.py's finite differences), then what sharpens them: precision.py, diagnose.py,
taylor.py, complex_step.py, and the fast evaluations directional.py, fastpath.py and
layered.py. model_file.py loads a user's file; sandboxed.py checks it with its code in a
server process.
"""
