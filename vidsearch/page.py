"""Starting the search page: `streamlit run ui/serve.py` in a child process, told the index through
the environment (VIDSEARCH_UI_INDEX). ui/serve.py is an ASGI app (`st.App`): the page and, at /api,
the API over the same engine, whose models load as the server starts. The page is a program this
one starts, not a module it imports: nothing here imports `ui` or Streamlit (the page is found by
its path), so the entry layer stays below the page, which imports it."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

INDEX_ENV = "VIDSEARCH_UI_INDEX"
"""The variable the page reads its index directory from."""
STOP_SECONDS = 10.0
"""How long the server may take to finish after Ctrl-C (or terminate) before it is killed."""


def app() -> Path:
    """The page's server script, `ui/serve.py`, where the `ui` package is installed beside this one."""
    spec = importlib.util.find_spec("ui.serve")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the search page (ui/serve.py) is not installed")
    return Path(spec.origin)


def command(port: int = 8501, host: str = "127.0.0.1", headless: bool = True) -> list[str]:
    """The `streamlit run` command line of the page (its port and address apply to the ASGI
    server Streamlit runs for `st.App`)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app()),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true" if headless else "false",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def environment(index: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment, VIDSEARCH_* settings included) plus the index."""
    env = dict(os.environ if base is None else base)
    env[INDEX_ENV] = str(Path(index).absolute())
    return env


def stop(process: subprocess.Popen[bytes]) -> int:
    """End the server: terminate it (Streamlit then shuts down cleanly), kill it if it lingers; its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("the search page did not stop within %.0f s; killing it", STOP_SECONDS)
            process.kill()
    return process.wait()


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def terminate_is_interrupt() -> Iterator[None]:
    """While inside, SIGTERM (a service manager stopping us) acts like Ctrl-C, so the server is not orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(index: Path, port: int = 8501, host: str = "127.0.0.1", headless: bool = True) -> int:
    """Serve the search page for `index` at http://host:port until the server exits or we are
    interrupted (Ctrl-C or SIGTERM, after which the server is stopped and 130 returned); the
    server's exit status otherwise."""
    log.info("serving the search page for %s at http://%s:%d", index, host, port)
    with terminate_is_interrupt():
        process = subprocess.Popen(command(port, host, headless), env=environment(index))
        try:
            return process.wait()
        except KeyboardInterrupt:
            stop(process)
            return 130
