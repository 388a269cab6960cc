"""Decodes RFC 9290 concise problem details with Debian's python3-cbor2 (a CBOR decoder nobody here wrote).

python3 problem_details.py <base64>... prints one JSON line per body: {"title", "detail", "error"} as found in the
map (title -1, detail -2, the server's code in the custom entry "https://attest.invalid/problem"), and "keys", the
map's keys, so a test sees exactly what was sent.
"""
import base64
import json
import sys

import cbor2

for arg in sys.argv[1:]:
    body = cbor2.loads(base64.b64decode(arg))
    if not isinstance(body, dict):
        raise SystemExit("not a CBOR map: %r" % (body,))
    custom = body.get("https://attest.invalid/problem", {})
    print(json.dumps({"title": body.get(-1), "detail": body.get(-2), "error": custom.get("error"), "keys": [str(k) for k in body]}))
