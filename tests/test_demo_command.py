"""The README's first command ends in `flask --app kokoma demo`: it must migrate, seed, print and serve."""
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_on_sqlite_with_demo_logins(tmp_path):
    port = free_port()
    env = {**os.environ, "KOKOMA_INSTANCE_PATH": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("KOKOMA_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "kokoma", "demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        while f"http://127.0.0.1:{port}/" not in output or "prozess@beispielhausen.example" not in output:
            assert time.monotonic() < deadline and process.poll() is None, output
            output += process.stdout.readline()
        for _ in range(50):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "KoKoMa" in page
        assert "prozess@musterstadt.example" in output
        assert (tmp_path / "kokoma.sqlite").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
