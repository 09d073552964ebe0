"""Runs many calls of the stock Rucio client in one Python process.

The client's modules are imported once; each call then runs in a forked child (fresh client state, its own
stdout/stderr), so a hundred CLI commands cost a hundred forks, not a hundred interpreter start-ups.

stdin: {"bin": "<venv>/bin", "steps": [{"config": "...", "kind": "rucio" | "rucio-admin" | "python",
        "args": [...], "code": "<python source, for kind python>", "cwd": "<optional directory>"}]}
stdout: one JSON object per step, in order: {"code": <exit code>, "stdout": "...", "stderr": "..."}
"""
import json
import os
import runpy
import sys
import tempfile
import traceback

import rucio.cli.bin_legacy.rucio  # noqa: F401  (imported once, shared by every forked call)
import rucio.cli.bin_legacy.rucio_admin  # noqa: F401
import rucio.cli.command  # noqa: F401
import rucio.client  # noqa: F401
from rucio.common.config import clean_cached_config


def run_step(step, bin_dir, out_path, err_path):
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.environ['RUCIO_CONFIG'] = step['config']
    if step.get('cwd'):
        os.chdir(step['cwd'])
    clean_cached_config()
    # The CLI's command group picks its commands from the [cli] section when it is imported (once, before the fork):
    # pick them again from this call's configuration.
    rucio.cli.command.main.lazy_subcommands = rucio.cli.command.main.pick_commands()
    code = 0
    try:
        if step['kind'] == 'python':
            sys.argv = ['python'] + list(step.get('args', []))
            exec(compile(step['code'], '<step>', 'exec'), {'__name__': '__main__'})
        else:
            sys.argv = [step['kind']] + list(step.get('args', []))
            runpy.run_path(os.path.join(bin_dir, step['kind']), run_name='__main__')
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: B036 - a failing call reports its traceback and a non-zero code
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main():
    request = json.load(sys.stdin)
    bin_dir = request['bin']
    work = tempfile.mkdtemp(prefix='tarn-rucio-batch-')
    out_path = os.path.join(work, 'out')
    err_path = os.path.join(work, 'err')
    results = sys.stdout
    for step in request['steps']:
        results.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            run_step(step, bin_dir, out_path, err_path)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        with open(out_path, encoding='utf-8', errors='replace') as f:
            stdout = f.read()
        with open(err_path, encoding='utf-8', errors='replace') as f:
            stderr = f.read()
        results.write(json.dumps({'code': code, 'stdout': stdout, 'stderr': stderr}) + '\n')
    results.flush()
    for path in (out_path, err_path):
        if os.path.exists(path):
            os.remove(path)
    os.rmdir(work)


if __name__ == '__main__':
    main()
