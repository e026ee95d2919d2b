"""What encrypting the attachments costs: one file of the upload limit (ATTACHMENT_MAX_BYTES,
10 MB) encrypted and decrypted as an upload and a download do it, time and peak memory of the
Python heap, and a key rotation over many files.

    .venv/bin/python benchmarks/bench_attachments.py [--files 200] [--size-kb 500]

Runs kokoma.services.attachment_crypto against a folder in a temporary directory (no database:
the files and their key are all it touches). The peak is tracemalloc's, of one decryption of
the largest file (a Fernet token is held whole in memory, which the 10 MB limit keeps small).
"""
import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from kokoma.config import Defaults  # noqa: E402
from kokoma.services import attachment_crypto  # noqa: E402


def timed(work):
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-kb", type=int, default=500)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kokoma-bench-attachments-") as work:
        app = Flask("bench", instance_path=work)
        app.config.update(ATTACHMENTS_PATH=str(Path(work) / "attachments"))
        largest = os.urandom(Defaults.ATTACHMENT_MAX_BYTES)
        token, seconds = timed(lambda: attachment_crypto.encrypt(largest, app))
        print(f"encrypt {len(largest) / 2**20:.0f} MiB: {seconds * 1000:.0f} ms, "
              f"on disk {len(token) / 2**20:.1f} MiB ({len(token) / len(largest):.2f}x)")
        path = Path(work) / "attachments" / "1" / "largest"
        path.parent.mkdir(parents=True)
        path.write_bytes(token)
        tracemalloc.start()
        plain, seconds = timed(lambda: attachment_crypto.read(path, app))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert plain == largest
        print(f"decrypt {len(largest) / 2**20:.0f} MiB: {seconds * 1000:.0f} ms, peak {peak / 2**20:.1f} MiB")
        path.unlink()
        content = os.urandom(options.size_kb * 1024)
        for number in range(options.files):
            (path.parent / f"file-{number}").write_bytes(attachment_crypto.encrypt(content, app))
        rotation, seconds = timed(lambda: attachment_crypto.rotate(app))
        assert rotation.finished and rotation.result.reencrypted == options.files
        print(f"rotate-key over {options.files} files of {options.size_kb} KiB: {seconds:.2f} s "
              f"({options.files * options.size_kb / 1024 / seconds:.0f} MiB/s)")
        again, seconds = timed(lambda: attachment_crypto.reencrypt_all(app))
        print(f"a pass with every file current already: {seconds:.2f} s ({again.current} files)")


if __name__ == "__main__":
    main()
