"""Runs Python programs each in its own forked process, after importing heavy libraries once.

usage: python fork_server.py [MODULE...]

Imports each MODULE (third-party libraries only: numpy, pandas, scikit-learn), then reads one
JSON request a line on stdin, {"argv": [...], "env": {...}, "cwd": ...} where argv is what
follows `python` on a command line (a script and its arguments, or -c and a program), and
answers each with one JSON line {"status", "stdout", "stderr"}. Each program runs in a child
forked for it alone, with exactly the given environment, working directory, sys.argv and
sys.path[0] that `python ARGV` would give it, stdin from /dev/null, and its own stdout and
stderr; an uncaught exception prints its traceback and exits 1, as the interpreter does. The
server never imports a program's own modules, so no program sees another's state.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from typing import TextIO


def run_child(
    argv: list[str], env: dict[str, str], cwd: str | None, out: int, err: int
) -> None:
    """In the forked child: becomes `python ARGV` and never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.environ.clear()
        os.environ.update(env)
        if cwd:
            os.chdir(cwd)
        sys.dont_write_bytecode = True
        if argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            sys.path[0] = ""
            code = execute(
                lambda: exec(
                    compile(argv[1], "<string>", "exec"), {"__name__": "__main__"}
                )
            )
        else:
            sys.argv = list(argv)
            sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
            code = execute(lambda: runpy.run_path(argv[0], run_name="__main__"))
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def execute(program: Callable[[], object]) -> int:
    """The exit status the interpreter would give: SystemExit's code, 1 after a traceback."""
    try:
        program()
        return 0
    except SystemExit as done:
        if done.code is None:
            return 0
        if isinstance(done.code, int):
            return done.code
        print(done.code, file=sys.stderr)
        return 1
    except BaseException:  # the interpreter reports every uncaught exception
        traceback.print_exc()
        return 1


def serve(requests: Iterable[str], answers: TextIO) -> None:
    for line in requests:
        request = json.loads(line)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                run_child(
                    request["argv"],
                    request["env"],
                    request.get("cwd"),
                    out.fileno(),
                    err.fileno(),
                )
            _, wait_status = os.waitpid(pid, 0)
            status = os.waitstatus_to_exitcode(wait_status)
            out.seek(0)
            err.seek(0)
            answer = {
                "status": status,
                "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace"),
            }
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    for name in sys.argv[1:]:
        importlib.import_module(name)
    serve(sys.stdin, sys.stdout)
