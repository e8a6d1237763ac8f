#!/usr/bin/env python3
"""Writes the seed corpus that comes from the known-answer vectors
(tests/vectors) and a few SMS texts. Run from the repository root; the
examples/seeds.rs program writes the seeds of the other targets."""
import json, os

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

vectors = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "vectors")
# Both permit formats: the first cases of each (valid ones carry token bytes),
# and the first token inside a whole SMS reply.
for file, prefix, reply in [
    ("permit-v1.json", "", "AZE11111111 15.12 10:00-13:00 "),
    ("permit-v2.json", "v2-", "AZE11111111 15.12 10:15-13:15 "),
]:
    permits = json.load(open(os.path.join(vectors, file)))
    for i, case in enumerate(permits["cases"][:24]):
        if case.get("input"):
            write("token_text", f"{prefix}vector-{i:02}", case["input"])
        if case.get("token_hex"):
            write("token_bytes", f"{prefix}vector-{i:02}", bytes.fromhex(case["token_hex"]))
    write("token_text", f"{prefix}whole-sms", reply + permits["cases"][0]["input"])
for i, case in enumerate(json.load(open(os.path.join(vectors, "bundle-v1.json")))["cases"][:16]):
    write("bundle", f"vector-{i:02}", bytes.fromhex(case["input_hex"]))
# Format 2: accepted bundles with sections, then refused ones.
for i, case in enumerate(json.load(open(os.path.join(vectors, "bundle-v2.json")))["cases"][:12]):
    write("bundle", f"v2-vector-{i:02}", bytes.fromhex(case["input_hex"]))
for i, case in enumerate(json.load(open(os.path.join(vectors, "trustlist-v1.json")))["cases"][:16]):
    write("trust_list", f"vector-{i:02}", bytes.fromhex(case["input_hex"]))
for i, text in enumerate([
    "1 AZE12345678", "2 aze 1234 5678", "AZE12345678 1", "1 АZЕ12345678", "１ AZE12345678",
    "1 MYI1234567 EN", "", "salam", "3 AA1234567", "1 AZE12345678 2 AZE87654321", "İ1 aze12345678",
]):
    write("sms_text", f"sms-{i:02}", text)
