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
permits = json.load(open(os.path.join(vectors, "permit-v1.json")))
for i, case in enumerate(permits["cases"][:24]):
    if case.get("input"):
        write("token_text", f"vector-{i:02}", case["input"])
    if case.get("token_hex"):
        write("token_bytes", f"vector-{i:02}", bytes.fromhex(case["token_hex"]))
sms = "AZE11111111 15.12 10:00-13:00 " + permits["cases"][0]["input"]
write("token_text", "whole-sms", sms)
# Format v2: the first cases of each form (valid ones carry token bytes).
permits2 = json.load(open(os.path.join(vectors, "permit-v2.json")))
for i, case in enumerate(permits2["cases"][:24]):
    if case.get("input"):
        write("token_text", f"v2-vector-{i:02}", case["input"])
    if case.get("token_hex"):
        write("token_bytes", f"v2-vector-{i:02}", bytes.fromhex(case["token_hex"]))
write("token_text", "v2-whole-sms", "AZE11111111 15.12 10:15-13:15 " + permits2["cases"][0]["input"])
for i, case in enumerate(json.load(open(os.path.join(vectors, "bundle-v1.json")))["cases"][:16]):
    write("bundle", f"vector-{i:02}", bytes.fromhex(case["input_hex"]))
for i, case in enumerate(json.load(open(os.path.join(vectors, "trustlist-v1.json")))["cases"][:16]):
    write("trust_list", f"vector-{i:02}", bytes.fromhex(case["input_hex"]))
for i, text in enumerate([
    "1 AZE12345678", "2 aze 1234 5678", "AZE12345678 1", "1 АZЕ12345678", "１ AZE12345678",
    "1 MYI1234567 EN", "", "salam", "3 AA1234567", "1 AZE12345678 2 AZE87654321", "İ1 aze12345678",
]):
    write("sms_text", f"sms-{i:02}", text)
