"""Decodes CBOR the transparency service returns with Debian's python3-cbor2, an independent CBOR reader, and prints
it as JSON: byte strings as {"bytes": hex}, tags as {"tag": n, "value": v}, map keys as their text (7 -> "7").

    /usr/bin/python3 decode.py <file>               the item
    /usr/bin/python3 decode.py --thumbprints <file> the RFC 9679 COSE Key Thumbprint (hex) of each key of a COSE Key Set

Exits 1, printing why, when the file is not exactly one well-formed CBOR item.
"""
import hashlib
import io
import json
import sys

import cbor2


def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, cbor2.CBORTag):
        return {"tag": v.tag, "value": plain(v.value)}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def thumbprint(key):
    # RFC 9679 §3: SHA-256 of the deterministic encoding of the key's required parameters; for EC2 (RFC 9679 §4)
    # kty (1), crv (-1), x (-2), y (-3).
    required = {k: key[k] for k in (1, -1, -2, -3)}
    return hashlib.sha256(cbor2.dumps(required, canonical=True)).hexdigest()


def main(argv):
    thumbprints = argv[:1] == ["--thumbprints"]
    path = argv[-1]
    data = open(path, "rb").read()
    stream = io.BytesIO(data)
    item = cbor2.load(stream)
    if stream.tell() != len(data):
        raise ValueError(f"{len(data) - stream.tell()} bytes follow the CBOR item")
    print(json.dumps([thumbprint(k) for k in item] if thumbprints else plain(item)))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        print(f"error: {e}")
        sys.exit(1)
