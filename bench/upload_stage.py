"""One upload through the whole web stack in a fresh process, so that what it adds to the
process's memory is its own: python bench/upload_stage.py FILE USER_ID. The file is posted
as a multipart body streamed from disk (as gunicorn hands a request to Django), to the
opening-import page. Prints the new job's id, seconds, and the peak memory the request added
over the process's memory just before it."""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
os.environ.setdefault("DEBUG", "0")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from imports.models import ImportJob  # noqa: E402
from shops.models import User  # noqa: E402


def _status(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


path, user_id = Path(sys.argv[1]), int(sys.argv[2])
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
client = Client()
client.force_login(User.objects.get(pk=user_id))
client.get(reverse("imports:opening"))  # templates, URLs and translations loaded
boundary = "BenchBoundary7d1f"
with tempfile.TemporaryFile() as body:
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
    )
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            body.write(chunk)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    length = body.tell()
    body.seek(0)
    before = _status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as clear:  # the peak starts again from here
        clear.write("5")
    started = time.perf_counter()
    response = client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=reverse("imports:opening"),
        CONTENT_TYPE=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": body},
    )
    seconds = time.perf_counter() - started
    added = _status("VmHWM:") - before
assert response.status_code == 302, response.status_code
job = ImportJob.objects.filter(uploaded_by_id=user_id).latest("pk")
print(json.dumps({"job": job.pk, "seconds": seconds, "added_mb": added}))
