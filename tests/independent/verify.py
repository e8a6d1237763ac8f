#!/usr/bin/env python3
"""Independent verifier for the Icaze permit token (formats v1 and v2) and
trust list format 1, written from docs/token-format.md alone (no look at the
Rust code), checked against the known-answer vectors
tests/vectors/permit-v1.json, permit-v1-bitflips.txt, permit-v2.json,
permit-v2-bitflips.txt, trustlist-v1.json, bundle-v1.json and bundle-v2.json
(the bundle's revocation sets read as docs/revocations.md says).

Standard library only (Python 3.11+).  Ed25519 verification is implemented
here following RFC 8032 (sections 5.1.3, 5.1.4, 5.1.7) with the strict rules
of the spec section 4: S < L, A canonical (decoding refuses y >= p and a set
sign bit with x = 0) and not of small order, R decodes (same rule, so a
non-canonical R never verifies) and is not of small order, cofactorless
equation [S]B = R + [k]A.

Usage: python3 tests/independent/verify.py [VECTOR_DIR]
Prints one line per mismatch and finally "N passed, M failed".
Exit status 0 only if M == 0 and N > 0.
"""

import hashlib
import json
import os
import re
import sys
from datetime import datetime, timezone

# ---------------------------------------------------------------------------
# Ed25519 (RFC 8032), verification only
# ---------------------------------------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
D2 = (2 * D) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# Extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z.
IDENTITY = (0, 1, 1, 0)


def pt_add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * D2 % P * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def pt_double(p1):
    x1, y1, z1, _ = p1
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1)
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def pt_neg(p1):
    x, y, z, t = p1
    return ((-x) % P, y, z, (-t) % P)


def pt_equal(p1, p2):
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def pt_decompress(s):
    """RFC 8032 section 5.1.3.  Returns None when decoding fails."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:  # non-canonical y (RFC 8032: decoding fails)
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) % P * pow(u * pow(v, 7, P) % P, (P - 5) // 8, P) % P
    vxx = v * x * x % P
    if vxx == u:
        pass
    elif vxx == (-u) % P:
        x = x * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if (x & 1) != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def pt_is_small_order(p1):
    q = pt_double(pt_double(pt_double(p1)))
    return q[0] % P == 0 and (q[1] - q[2]) % P == 0


_BY = 4 * pow(5, P - 2, P) % P
def _base_point():
    # x recovered from y = 4/5 with x even (positive)
    enc = _BY.to_bytes(32, "little")
    return pt_decompress(enc)


BASE = _base_point()


def double_scalar_mul(a, pa, b, pb):
    """[a]pa + [b]pb (Straus/Shamir, simple double-and-add)."""
    both = pt_add(pa, pb)
    q = IDENTITY
    for i in range(max(a.bit_length(), b.bit_length()) - 1, -1, -1):
        q = pt_double(q)
        ba = (a >> i) & 1
        bb = (b >> i) & 1
        if ba and bb:
            q = pt_add(q, both)
        elif ba:
            q = pt_add(q, pa)
        elif bb:
            q = pt_add(q, pb)
    return q


class PublicKey:
    """A decompressed, strictly checked Ed25519 public key."""

    def __init__(self, raw):
        self.raw = bytes(raw)
        pt = pt_decompress(self.raw)
        if pt is None:
            raise ValueError("public key does not decompress")
        if pt_is_small_order(pt):
            raise ValueError("public key is of small order")
        self.point = pt
        self.neg_point = pt_neg(pt)


def ed25519_verify_strict(pub, message, sig):
    if len(sig) != 64:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    r_bytes = sig[:32]
    r = pt_decompress(r_bytes)
    if r is None or pt_is_small_order(r):
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + pub.raw + message).digest(), "little") % L
    # [S]B - [k]A must equal R (cofactorless)
    q = double_scalar_mul(s, BASE, k, pub.neg_point)
    return pt_equal(q, r)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class Malformed(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------
# Text forms (section 2)
# ---------------------------------------------------------------------------

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B64URL_VAL = {c: i for i, c in enumerate(B64URL)}
B64URL_SET = frozenset(B64URL)
MAX_TOKEN = 160  # bytes
SIG_LEN = 64

# bytes in a QR group -> digits
QR_DIGITS = {1: 3, 2: 5, 3: 8, 4: 10, 5: 13, 6: 15, 7: 17}
QR_BYTES_FOR_DIGITS = {v: k for k, v in QR_DIGITS.items()}


def b64url_decode_strict(s):
    if len(s) % 4 == 1:
        raise Malformed("bad_encoding")
    acc = 0
    nbits = 0
    out = bytearray()
    for ch in s:
        v = B64URL_VAL.get(ch)
        if v is None:
            raise Malformed("bad_encoding")
        acc = (acc << 6) | v
        nbits += 6
        if nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
            acc &= (1 << nbits) - 1
    if acc != 0:  # non-zero unused bits in the last character
        raise Malformed("bad_encoding")
    return bytes(out)


def b64url_encode(b):
    out = []
    acc = 0
    nbits = 0
    for byte in b:
        acc = (acc << 8) | byte
        nbits += 8
        while nbits >= 6:
            nbits -= 6
            out.append(B64URL[(acc >> nbits) & 63])
        acc &= (1 << nbits) - 1
    if nbits:
        out.append(B64URL[(acc << (6 - nbits)) & 63])
    return "".join(out)


def qr_encode(b):
    parts = []
    for i in range(0, len(b), 7):
        g = b[i:i + 7]
        parts.append(str(int.from_bytes(g, "big")).zfill(QR_DIGITS[len(g)]))
    return "".join(parts)


def qr_decode(digits):
    rem = len(digits) % 17
    if rem not in (0, 3, 5, 8, 10, 13, 15):
        raise Malformed("bad_encoding")
    out = bytearray()
    pos = 0
    while pos < len(digits):
        n_dig = min(17, len(digits) - pos)
        n_bytes = QR_BYTES_FOR_DIGITS[n_dig]
        value = int(digits[pos:pos + n_dig])
        if value >= 1 << (8 * n_bytes):
            raise Malformed("bad_encoding")
        out += value.to_bytes(n_bytes, "big")
        pos += n_dig
    return bytes(out)


def find_candidates(text):
    """Section 2.3.  Yields ('sms', version_char, body) or ('qr', digits)
    in order of position.  Candidates are words: maximal runs of base64url
    characters (a non-ASCII character is not base64url)."""
    i = 0
    n = len(text)
    while i < n:
        if text[i] in B64URL_SET:
            j = i
            while j < n and text[j] in B64URL_SET:
                j += 1
            run = text[i:j]
            if len(run) >= 3 and run[0] == "I" and run[1] == "Z" and run[2] in "0123456789":
                yield ("sms", run[2], run[3:])
            elif len(run) >= 100 and all("0" <= c <= "9" for c in run):
                yield ("qr", run)
            i = j
        else:
            i += 1


MAX_SMS_CHARS = 215   # section 2.4: characters after IZ1 / IZ2
MAX_QR_DIGITS = 405   # section 2.4
SMS_VERSIONS = ("1", "2")  # sections 2.1 and 2.3: IZ1 and IZ2 are read


def candidate_to_token(cand):
    """Section 2.4, steps 1-2: text limit, then decoding.  Returns
    (token, text_version): the digit after IZ as an integer for the SMS
    form, None for the QR form (it has no prefix)."""
    if cand[0] == "sms":
        _, ver, body = cand
        if ver not in SMS_VERSIONS:
            raise Malformed("unsupported_version")  # the rest unread
        if len(body) > MAX_SMS_CHARS:
            raise Malformed("too_long")
        return b64url_decode_strict(body), int(ver)
    digits = cand[1]
    if len(digits) > MAX_QR_DIGITS:
        raise Malformed("too_long")
    return qr_decode(digits), None


# ---------------------------------------------------------------------------
# Payload (section 3)
# ---------------------------------------------------------------------------

EPOCH_2020 = 26297280  # Unix minute of 2020-01-01T00:00Z

W = {1: 4, 2: 7, 3: 10, 4: 14, 5: 17, 6: 20, 7: 24, 8: 27, 9: 30, 10: 34,
     11: 37, 12: 40, 13: 44, 14: 47, 15: 50}
KINDS = {1: "id_card", 2: "id_card", 3: "id_card", 4: "temporary_residence",
         5: "permanent_residence", 6: "extended_stay", 7: "registration_notice"}
IMPLIED_SERIES = {2: "AZE", 3: "AA", 4: "MYI", 5: "DYI", 6: "MOM"}
TYPE1_FORBIDDEN = {"AZE", "AA", "MYI", "DYI", "MOM"}
PLATE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class BitReader:
    def __init__(self, data):
        self.data = data
        self.total = 8 * len(data)
        self.pos = 0
        self.value = int.from_bytes(data, "big") if data else 0

    def read(self, n):
        if self.pos + n > self.total:
            raise Malformed("truncated")
        shift = self.total - self.pos - n
        self.pos += n
        return (self.value >> shift) & ((1 << n) - 1)

    def finish(self):
        left = self.total - self.pos
        if left >= 8:
            raise Malformed("trailing_bytes")
        if self.value & ((1 << left) - 1):
            raise Malformed("invalid_field")


def invalid(cond):
    if cond:
        raise Malformed("invalid_field")


def parse_payload(payload, text_version=None):
    """Section 2.4 steps 5-6: the version in the payload's first four bits
    (for the SMS form it must be the digit after IZ), then the payload read
    by its version."""
    r = BitReader(payload)
    version = r.read(4)  # an empty payload ends inside the version: truncated
    if text_version is not None and version != text_version:
        raise Malformed("invalid_field")
    if version == 1:
        c = parse_payload_v1(r)
    elif version == 2:
        c = parse_payload_v2(r)
    else:
        raise Malformed("unsupported_version")
    c["version"] = version
    return c


def read_zones(r, width):
    """Fields zone and more_zones (v1 section 3, fields 9-10; v2 field 9), each zone of
    `width` bits, each checked as soon as it is read."""
    zones = []
    while True:
        z = r.read(width)
        invalid(z < 1)
        invalid(bool(zones) and z <= zones[-1])
        invalid(len(zones) >= 16)  # a 17th zone: refused after its bits
        zones.append(z)
        if not r.read(1):
            return zones


def read_vehicle(r):
    """Fields vehicle_flag, plate_len and plate_char (v1 field 11, v2 field 10)."""
    if not r.read(1):
        return None
    plate_len = r.read(4)
    invalid(plate_len == 0)
    plate = []
    for _ in range(plate_len):
        ch = r.read(6)
        invalid(ch > 35)
        plate.append(PLATE_ALPHABET[ch])
    return "".join(plate)


def read_series(r):
    """Fields series_len and series_char (v1 field 13, v2 field 12): the
    series' letters, each checked as soon as it is read."""
    series = []
    for _ in range(r.read(3)):
        ch = r.read(5)
        invalid(ch == 0 or ch > 26)
        series.append(chr(ord("A") + ch - 1))
    return "".join(series)


def read_header(r):
    """The fields after the version that both formats share (v1 section 3 fields 2-5,
    v2 section 10 fields 2-5): purpose, key_id, serial, issued_at."""
    c = {}
    purpose = r.read(4)
    invalid(purpose == 0)
    c["purpose"] = purpose
    c["key_id"] = r.read(8)
    c["serial"] = r.read(32)
    c["issued_at"] = r.read(26)
    return c


def parse_payload_v1(r):
    # Section 3, "Order": every field is checked as soon as its rule can be
    # checked, so the first problem in bit order wins.  The version (4 bits)
    # has been read.
    c = read_header(r)
    issued = c["issued_at"]
    if r.read(1):
        before = r.read(1)
        delta = r.read(20)
        invalid(delta == 0)
        valid_from = issued - delta if before else issued + delta
        invalid(valid_from < 0)
    else:
        valid_from = issued
    long_flag = r.read(1)
    if long_flag:
        duration = r.read(20)
        invalid(duration < 2048)
    else:
        duration = r.read(11)
        invalid(duration < 1)
    c["valid_from"] = valid_from
    c["valid_until"] = valid_from + duration
    c["zones"] = read_zones(r, 12)
    c["vehicle"] = read_vehicle(r)
    doc_type = r.read(4)
    invalid(doc_type == 0 or doc_type > 7)
    if doc_type in (1, 7):
        series = read_series(r)
        # AZE and AA are refused as soon as the series is read ...
        invalid(doc_type == 1 and series in ("AZE", "AA"))
    else:
        series = IMPLIED_SERIES[doc_type]
    n = r.read(4)
    invalid(n == 0)
    digits = r.read(W[n])
    invalid(digits >= 10**n)
    # ... the other kind rules only after the digits.
    invalid(doc_type in (4, 5, 6) and n != 7)
    invalid(doc_type == 1 and (series == "" or series in TYPE1_FORBIDDEN))
    r.finish()
    c["document"] = series + str(digits).zfill(n)
    c["document_kind"] = KINDS[doc_type]
    return c


# Format v2 (section 10).  Document types 8 and 9 are ID cards AZE and AA
# with any digit count but the one types 2 and 3 imply.
KINDS_V2 = {**KINDS, 8: "id_card", 9: "id_card"}
IMPLIED_SERIES_V2 = {**IMPLIED_SERIES, 8: "AZE", 9: "AA"}
IMPLIED_DIGITS_V2 = {2: 8, 3: 7, 4: 7, 5: 7, 6: 7}
DAYS_MAX, HOURS_MAX, MINUTES_MAX = 256, 1024, 2048


def v2_from_form(i, vf):
    """The first form of field 6 that holds valid_from `vf` for issued_at
    `i` (section 10: form 0 holds I, form 1 I+1 .. I+64, form 2 the other
    multiples of 15 with q in -4096 .. 4095, form 3 the rest)."""
    if vf == i:
        return 0
    if i + 1 <= vf <= i + 64:
        return 1
    if vf % 15 == 0 and -4096 <= vf // 15 - i // 15 <= 4095:
        return 2
    return 3


def v2_duration_form(d):
    """The first form of field 7 that holds a duration of `d` minutes."""
    if d % 1440 == 0 and 1 <= d // 1440 <= DAYS_MAX:
        return 0
    if d % 60 == 0 and 1 <= d // 60 <= HOURS_MAX:
        return 1
    if 1 <= d <= MINUTES_MAX:
        return 2
    return 3


def parse_payload_v2(r):
    # Section 10: the fields in the order of its table, each rule checked at
    # the point the section gives, so the first problem in bit order wins.
    # The version (4 bits) has been read.
    c = read_header(r)
    issued = c["issued_at"]
    from_form = r.read(2)
    if from_form == 0:
        valid_from = issued
    elif from_form == 1:
        valid_from = issued + r.read(6) + 1
    elif from_form == 2:
        q = r.read(13)
        if q >= 1 << 12:  # two's complement
            q -= 1 << 13
        valid_from = 15 * (issued // 15 + q)
    else:
        before = r.read(1)
        delta = r.read(20)
        invalid(delta == 0)
        valid_from = issued - delta if before else issued + delta
    invalid(valid_from < 0)
    invalid(v2_from_form(issued, valid_from) != from_form)
    duration_form = r.read(2)
    if duration_form == 0:
        duration = (r.read(8) + 1) * 1440
    elif duration_form == 1:
        duration = (r.read(10) + 1) * 60
    elif duration_form == 2:
        duration = r.read(11) + 1
    else:
        duration = r.read(20)
        invalid(duration == 0)
    invalid(v2_duration_form(duration) != duration_form)
    c["valid_from"] = valid_from
    c["valid_until"] = valid_from + duration
    zone_wide = r.read(1)
    width = 12 if zone_wide else 5
    zones = read_zones(r, width)
    invalid(zone_wide == 1 and all(z < 32 for z in zones))
    c["zones"] = zones
    c["vehicle"] = read_vehicle(r)
    doc_type = r.read(4)
    invalid(doc_type == 0 or doc_type > 9)
    if doc_type in (1, 7):
        series = read_series(r)
        # An empty series has no letters to read: refused right after its length.
        invalid(doc_type == 1 and (series == "" or series in TYPE1_FORBIDDEN))
    else:
        series = IMPLIED_SERIES_V2[doc_type]
    if doc_type in (1, 7, 8, 9):
        n = r.read(4)
        invalid(n == 0)
        invalid(doc_type == 8 and n == 8)
        invalid(doc_type == 9 and n == 7)
    else:
        n = IMPLIED_DIGITS_V2[doc_type]
    digits = r.read(W[n])
    invalid(digits >= 10**n)
    r.finish()
    c["document"] = series + str(digits).zfill(n)
    c["document_kind"] = KINDS_V2[doc_type]
    return c


def parse_token(token, text_version=None):
    """Section 2.4 steps 3-6 on the token bytes.  Returns (claims, payload, sig).
    The version is read with the payload, after the length checks;
    `text_version` is the digit after IZ of an SMS form (None for QR)."""
    if len(token) > MAX_TOKEN:
        raise Malformed("too_long")
    if len(token) < SIG_LEN:
        raise Malformed("truncated")
    payload, sig = token[:-SIG_LEN], token[-SIG_LEN:]
    claims = parse_payload(payload, text_version)
    return claims, payload, sig


def find_token(text):
    first_err = None
    for cand in find_candidates(text):
        try:
            token, text_version = candidate_to_token(cand)
            return (token,) + parse_token(token, text_version)
        except Malformed as e:
            if first_err is None:
                first_err = e
    if first_err is not None:
        raise first_err
    raise Malformed("no_token")


# ---------------------------------------------------------------------------
# Trust list (section 5)
# ---------------------------------------------------------------------------

PERMIT_PREFIX = {1: b"icaze:permit:v1\x00", 2: b"icaze:permit:v2\x00"}  # by format
TRUSTLIST_PREFIX = b"icaze:trustlist:v1\x00"


class CodedError(Exception):
    """A refused file; `code` is the error code its format names."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class TrustListError(CodedError):
    """A refused trust list; `code` is the error code of spec section 5."""


class ByteReader:
    """The body of a signed file (a trust list, a bundle), read field by field
    in order; the signature is split off first. Running out of bytes, or
    leaving some, raises `error` with its code."""

    def __init__(self, data, error):
        if len(data) < SIG_LEN:
            raise error("truncated", "shorter than a signature")
        self.body, self.sig = data[:-SIG_LEN], data[-SIG_LEN:]
        self.error = error
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.body):
            raise self.error("truncated")
        b = self.body[self.pos:self.pos + n]
        self.pos += n
        return b

    def u(self, n):
        return int.from_bytes(self.take(n), "big")

    def finish(self):
        if self.pos != len(self.body):
            raise self.error("trailing_bytes")


def parse_trust_list(data, root_pub):
    """Section 5: returns the list, or raises TrustListError."""
    r = ByteReader(data, TrustListError)
    take, u = r.take, r.u

    if take(4) != b"IZTL":
        raise TrustListError("bad_magic")
    if u(1) != 1:
        raise TrustListError("unsupported_format")
    tl = {"version": u(8), "issued_at": u(4), "keys": {}, "order": []}
    count = u(1)
    if count == 0:
        raise TrustListError("invalid_field", "no keys")
    last_id = -1
    for _ in range(count):
        key_id = u(1)
        if key_id <= last_id:
            raise TrustListError("invalid_field", "key ids not strictly ascending")
        last_id = key_id
        raw = take(32)
        try:
            pub = PublicKey(raw)
        except ValueError as e:
            raise TrustListError("invalid_field", f"key {key_id}: {e}")
        valid_from = u(4)
        valid_until = u(4)
        if valid_until <= valid_from:
            raise TrustListError("invalid_field", f"key {key_id}: valid_until not after valid_from")
        purposes = u(2)
        if purposes & 1:
            raise TrustListError("invalid_field", f"key {key_id}: purposes bit 0 set")
        flags = u(1)
        if flags & ~3:
            raise TrustListError("invalid_field", f"key {key_id}: unknown flags")
        label_len = u(1)
        if label_len > 32:
            raise TrustListError("invalid_field", f"key {key_id}: label too long")
        label = take(label_len)
        if any(not 0x21 <= b <= 0x7E for b in label):
            raise TrustListError("invalid_field", f"key {key_id}: label not printable ASCII")
        tl["keys"][key_id] = {
            "pub": pub, "valid_from": valid_from, "valid_until": valid_until,
            "purposes": purposes, "revoked": bool(flags & 1),
            "may_sign_bundles": bool(flags & 2),
            "label": label.decode("ascii"),
        }
        tl["order"].append(key_id)
    r.finish()
    if not ed25519_verify_strict(root_pub, TRUSTLIST_PREFIX + r.body, r.sig):
        raise TrustListError("bad_signature")
    return tl


# ---------------------------------------------------------------------------
# Sync bundles (docs/bundle-format.md)
# ---------------------------------------------------------------------------

BUNDLE_PREFIXES = {1: b"icaze:bundle:v1\x00", 2: b"icaze:bundle:v2\x00"}
MAX_BUNDLE = 64 << 20
SECTION_REPLACED = 1
SECTION_ORGANISATIONS = 2


class RevocationError(CodedError):
    """A refused revocation set; `code` is that of docs/revocations.md, "Refusals"."""


def decode_revocations(data):
    """docs/revocations.md: the serials, ascending, or raises RevocationError."""
    if not data:
        raise RevocationError("truncated")
    if data[0] != 1:
        raise RevocationError("unsupported_version")
    pos, n = 1, 0
    for i in range(6):
        if i == 5:
            raise RevocationError("count_too_large", "count longer than 5 bytes")
        if pos >= len(data):
            raise RevocationError("truncated")
        byte = data[pos]
        pos += 1
        n |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise RevocationError("non_minimal_count")
            break
    if n > 2**32:
        raise RevocationError("count_too_large")
    if n == 0:
        if pos != len(data):
            raise RevocationError("trailing_bytes")
        return []
    if pos >= len(data):
        raise RevocationError("truncated")
    k = data[pos]
    pos += 1
    if k > 31:
        raise RevocationError("invalid_parameter")
    stream = data[pos:]
    if n * (k + 1) > len(stream) * 8:
        raise RevocationError("truncated")
    bit = 0

    def read_bit():
        nonlocal bit
        if bit >= len(stream) * 8:
            raise RevocationError("truncated")
        b = (stream[bit // 8] >> (7 - bit % 8)) & 1
        bit += 1
        return b

    serials, nxt = [], 0
    for _ in range(n):
        q = 0
        while read_bit():
            q += 1
            if q > (2**32 - 1) >> k:
                raise RevocationError("serial_out_of_range")
        rem = 0
        for _ in range(k):
            rem = rem << 1 | read_bit()
        s = nxt + (q << k | rem)
        if s > 2**32 - 1:
            raise RevocationError("serial_out_of_range")
        serials.append(s)
        nxt = s + 1
    used = (bit + 7) // 8
    while bit < used * 8:
        if read_bit():
            raise RevocationError("non_zero_padding")
    if used != len(stream):
        raise RevocationError("trailing_bytes")
    t = (serials[-1] + 1) * 4812 // (n * 10000)
    if k != (0 if t == 0 else 1 + t.bit_length() - 1):
        raise RevocationError("non_canonical_parameter")
    return serials


class BundleError(CodedError):
    """A refused bundle; `code` is the error code of bundle-format section 5."""


def parse_bundle(data, root_pub):
    """Bundle-format sections 2 and 5: returns the bundle, or raises BundleError.
    The revocation set is kept in its wire form and decoded (docs/revocations.md);
    format 2's sections (section 2.1) are read, sections 1 and 2 decoded, the others skipped."""
    if len(data) > MAX_BUNDLE:
        raise BundleError("too_large")
    r = ByteReader(data, BundleError)
    take, u = r.take, r.u

    def text(cap):
        n = u(1)
        if n > cap:
            raise BundleError("too_large")
        raw = take(n)
        try:
            t = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("invalid_field", "not UTF-8")
        if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in t):
            raise BundleError("invalid_field", "control character")
        return t

    if take(4) != b"IZSB":
        raise BundleError("bad_magic")
    fmt = u(1)
    if fmt not in (1, 2):
        raise BundleError("unsupported_format")
    b = {"format": fmt, "signer": u(1), "version": u(8), "base_version": None}
    if b["version"] == 0:
        raise BundleError("invalid_field", "version 0")
    kind = u(1)
    if kind == 1:
        b["base_version"] = u(8)
        if b["base_version"] >= b["version"]:
            raise BundleError("invalid_field", "base_version")
    elif kind != 0:
        raise BundleError("invalid_field", "kind")
    b["server_time"] = u(8)
    if b["server_time"] >= 2**32 * 60:
        raise BundleError("invalid_field", "server_time")
    tl_len = u(4)
    if tl_len > 32768:
        raise BundleError("too_large")
    tl_bytes = take(tl_len)
    fresh = [u(4) for _ in range(4)]
    if not 1 <= fresh[0] <= fresh[1] <= fresh[2]:
        raise BundleError("invalid_field", "freshness")
    b["freshness"] = fresh
    count = u(1)
    if count > 64:
        raise BundleError("too_large")
    b["regimes"] = []
    for _ in range(count):
        id_len = u(1)
        if id_len > 32:
            raise BundleError("too_large")
        rid = take(id_len)
        if not rid or any(not 0x21 <= c <= 0x7E for c in rid):
            raise BundleError("invalid_field", "regime id")
        name = text(200)
        start, end = u(4), u(4)
        if end <= start:
            raise BundleError("invalid_field", "regime period")
        scope = u(1)
        if scope not in (0, 1):
            raise BundleError("invalid_field", "scope")
        purposes = u(2)
        if purposes & 1:
            raise BundleError("invalid_field", "purposes")
        zone_count = u(2)
        if zone_count > 4095:
            raise BundleError("too_large")
        if zone_count == 0 and scope == 1:
            raise BundleError("invalid_field", "listed regime without zones")
        zones, last = [], 0
        for _ in range(zone_count):
            zid = u(2)
            if not 1 <= zid <= 4095 or zid <= last:
                raise BundleError("invalid_field", "zone id")
            last = zid
            zones.append((zid, text(100), text(100), text(100)))
        rid = rid.decode("ascii")
        if any(r["id"] == rid for r in b["regimes"]):
            raise BundleError("invalid_field", "regime id twice")
        b["regimes"].append({"id": rid, "name": name, "start": start, "end": end,
                             "scope": scope, "purposes": purposes, "zones": zones})
    b["revocations"] = take(u(4))
    b["replaced_bytes"], b["organisations_bytes"], b["skipped"] = None, None, []
    if fmt == 2:
        last = 0
        for _ in range(u(1)):
            tag = u(1)
            if tag <= last:
                raise BundleError("invalid_field", "section tags")
            last = tag
            raw = take(u(4))
            if tag == SECTION_REPLACED:
                b["replaced_bytes"] = raw
            elif tag == SECTION_ORGANISATIONS:
                b["organisations_bytes"] = raw
            else:
                b["skipped"].append(tag)
    r.finish()
    try:
        tl = parse_trust_list(tl_bytes, root_pub)
    except TrustListError as e:
        raise BundleError("trust_list", e.code)
    key = tl["keys"].get(b["signer"])
    if key is None:
        raise BundleError("unknown_signer")
    if not ed25519_verify_strict(key["pub"], BUNDLE_PREFIXES[fmt] + r.body, r.sig):
        raise BundleError("bad_signature")
    if key["revoked"]:
        raise BundleError("signer_revoked")
    if not key["may_sign_bundles"]:
        raise BundleError("signer_not_allowed")
    if not key["valid_from"] <= b["server_time"] // 60 < key["valid_until"]:
        raise BundleError("signer_not_valid")
    b["trust_list"] = tl
    try:
        b["revoked"] = decode_revocations(b["revocations"])
    except RevocationError as e:
        raise BundleError("revocations", e.code)
    b["replaced"] = []
    if b["replaced_bytes"] is not None:
        try:
            b["replaced"] = decode_revocations(b["replaced_bytes"])
        except RevocationError as e:
            raise BundleError("replaced", e.code)
        if not b["replaced"]:
            raise BundleError("invalid_field", "empty replaced section")
        if not set(b["replaced"]) <= set(b["revoked"]):
            raise BundleError("invalid_field", "replaced serial not revoked")
    b["organisations"] = None
    if b["organisations_bytes"] is not None:
        b["organisations"] = parse_organisations(b["organisations_bytes"])
    return b


def parse_organisations(raw):
    """Bundle-format section 2.2: the authorised organisations, as lists
    [tax id (ten digits), name, sector, zones, until (Unix minute or None)]."""
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(raw):
            raise BundleError("truncated", "organisations")
        out = raw[pos:pos + n]
        pos += n
        return out

    def u(n):
        return int.from_bytes(take(n), "big")

    def text(cap, what):
        n = u(1)
        if n > cap:
            raise BundleError("too_large", what)
        try:
            t = take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("invalid_field", what + ": not UTF-8")
        if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in t):
            raise BundleError("invalid_field", what + ": control character")
        return t

    def plain(t, what):
        if not t or t.strip() != t:
            raise BundleError("invalid_field", what + ": empty or spaces at an end")

    sectors = []
    for _ in range(u(1)):
        sector = text(64, "sector")
        plain(sector, "sector")
        if sectors and sectors[-1].encode() >= sector.encode():
            raise BundleError("invalid_field", "sector order")
        sectors.append(sector)
    count = u(4)
    if count > 200_000:
        raise BundleError("too_large", "organisation count")
    used, orgs = set(), []
    for _ in range(count):
        tax = u(5)
        if tax >= 10**10 or (orgs and int(orgs[-1][0]) >= tax):
            raise BundleError("invalid_field", "tax id")
        name = text(160, "organisation name")
        index = u(1)
        if index >= len(sectors):
            raise BundleError("invalid_field", "sector index")
        used.add(index)
        zone_count = u(1)
        if zone_count > 64:
            raise BundleError("too_large", "zone count")
        zones = []
        for _ in range(zone_count):
            z = u(2)
            if not 1 <= z <= 4095:
                raise BundleError("invalid_field", "zone")
            zones.append(z)
        until = u(4)
        plain(name, "organisation name")
        if any(a >= b for a, b in zip(zones, zones[1:])):
            raise BundleError("invalid_field", "zone order")
        orgs.append([f"{tax:010d}", name, sectors[index], zones, until or None])
    if len(used) != len(sectors):
        raise BundleError("invalid_field", "a sector not used")
    if pos != len(raw):
        raise BundleError("trailing_bytes", "organisations")
    return orgs


def bundle_json(b):
    """What an accepted bundle says, as the vectors show it."""
    shown = {
        "version": b["version"],
        "base_version": b["base_version"],
        "server_time_unix_seconds": b["server_time"],
        "signer": b["signer"],
        "trust_list_version": b["trust_list"]["version"],
        "freshness": b["freshness"],
        "regimes": [
            {
                "id": r["id"], "name": r["name"],
                "start": fmt_unix_minute(r["start"]), "end": fmt_unix_minute(r["end"]),
                "scope": "listed" if r["scope"] == 1 else "everywhere",
                "purposes": r["purposes"],
                "zones": [list(z) for z in r["zones"]],
            }
            for r in b["regimes"]
        ],
        "revocations_hex": b["revocations"].hex(),
        "revoked": b["revoked"],
    }
    if b["format"] == 2:
        shown.update({"format": 2, "replaced": b["replaced"], "skipped_sections": b["skipped"]})
        orgs = b["organisations"]
        shown["organisations"] = None if orgs is None else [
            o[:4] + [None if o[4] is None else fmt_unix_minute(o[4])] for o in orgs
        ]
    return shown


def documented_bundle(path):
    """The hex block after 'The whole bundle:' in docs/bundle-format.md."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    block = doc.split("The whole bundle:", 1)[1].split("```", 2)[1]
    return bytes.fromhex("".join(block.split()))


# ---------------------------------------------------------------------------
# Verification (section 6)
# ---------------------------------------------------------------------------


def verify(text, trust, t, zone):
    """Returns (status, reasons, claims-or-None, token, payload)."""
    try:
        token, claims, payload, sig = find_token(text)
    except Malformed as e:
        return "malformed", [e.reason], None, None, None
    key = trust["keys"].get(claims["key_id"])
    if key is None:
        return "unknown_key", ["unknown_key"], None, token, payload
    if not ed25519_verify_strict(key["pub"], PERMIT_PREFIX[claims["version"]] + payload, sig):
        return "bad_signature", ["bad_signature"], None, token, payload
    if key["revoked"]:
        return "key_revoked", ["key_revoked"], claims, token, payload
    issued_unix = EPOCH_2020 + claims["issued_at"]
    if not key["valid_from"] <= issued_unix < key["valid_until"]:
        return "key_not_valid", ["key_not_valid"], claims, token, payload
    if not (key["purposes"] >> claims["purpose"]) & 1:
        return "purpose_not_allowed", ["purpose_not_allowed"], claims, token, payload
    reasons = []
    if t < EPOCH_2020 + claims["valid_from"]:
        reasons.append("not_yet_valid")
    elif t >= EPOCH_2020 + claims["valid_until"]:
        reasons.append("expired")
    if zone is not None and zone not in claims["zones"]:
        reasons.append("wrong_zone")
    if reasons:
        return reasons[0], reasons, claims, token, payload
    return "valid", [], claims, token, payload


# ---------------------------------------------------------------------------
# Vector harness
# ---------------------------------------------------------------------------


def parse_time(s):
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"time without offset: {s}")
    secs = int(dt.timestamp())
    if secs % 60:
        raise ValueError(f"time not on a minute: {s}")
    return secs // 60


def civil_from_days(z):
    """Days since 1970-01-01 to (year, month, day), proleptic Gregorian, any
    year (datetime stops at 9999; trust list times reach 10136)."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


def fmt_unix_minute(m):
    days, rest = divmod(m, 1440)
    y, mo, d = civil_from_days(days)
    return f"{y:04d}-{mo:02d}-{d:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"


def fmt_minute(m2020):
    return fmt_unix_minute(EPOCH_2020 + m2020)


def claims_json(c):
    return {
        "document": c["document"],
        "document_kind": c["document_kind"],
        "issued_at": fmt_minute(c["issued_at"]),
        "key_id": c["key_id"],
        "purpose": c["purpose"],
        "serial": c["serial"],
        "valid_from": fmt_minute(c["valid_from"]),
        "valid_until": fmt_minute(c["valid_until"]),
        "vehicle": c["vehicle"],
        "zones": c["zones"],
    }


def trust_list_json(tl):
    return {
        "version": tl["version"],
        "issued_at": fmt_unix_minute(tl["issued_at"]),
        "keys": [
            {
                "key_id": kid,
                "public_key_hex": k["pub"].raw.hex(),
                "valid_from": fmt_unix_minute(k["valid_from"]),
                "valid_until": fmt_unix_minute(k["valid_until"]),
                "purposes": k["purposes"],
                "revoked": k["revoked"],
                "may_sign_bundles": k["may_sign_bundles"],
                "label": k["label"],
            }
            for kid in tl["order"]
            for k in [tl["keys"][kid]]
        ],
    }


def check_permit_cases(cases, trust, fail, label):
    """The cases of a permit-vN.json file (section 9.1).  Returns the number
    of cases that pass and the token of case 'sms permit, SMS form'."""
    passed = 0
    first_token = None
    for case in cases:
        name = case["name"]
        t = parse_time(case["at"])
        status, reasons, claims, token, payload = verify(case["input"], trust, t, case["zone"])
        reason = reasons[0] if reasons else None
        ok = True
        if status != case["status"] or reason != case["reason"]:
            fail(f"{label}case {name!r}: got {status}/{reason}, expected {case['status']}/{case['reason']}")
            ok = False
        if ok and "claims" in case:
            if claims is None:
                fail(f"{label}case {name!r}: no claims, expected {case['claims']}")
                ok = False
            else:
                got = claims_json(claims)
                if got != case["claims"]:
                    fail(f"{label}case {name!r}: claims {got} != expected {case['claims']}")
                    ok = False
        if ok and "token_hex" in case and token is not None:
            if token.hex() != case["token_hex"]:
                fail(f"{label}case {name!r}: token {token.hex()} != {case['token_hex']}")
                ok = False
            elif payload.hex() != case.get("payload_hex", payload.hex()):
                fail(f"{label}case {name!r}: payload {payload.hex()} != {case['payload_hex']}")
                ok = False
            else:
                # encoders: the text forms must round-trip (the SMS prefix
                # digit is the token's own version)
                sms = f"IZ{claims['version']}" + b64url_encode(token)
                qr = qr_encode(token)
                if sms not in case["input"] and qr not in case["input"]:
                    fail(f"{label}case {name!r}: neither re-encoded form occurs in the input")
                    ok = False
        elif ok and "token_hex" not in case and claims is not None and status in (
                "valid", "not_yet_valid", "expired", "wrong_zone"):
            fail(f"{label}case {name!r}: accepted, but the vector shows no token")
            ok = False
        if name == "sms permit, SMS form" and token is not None:
            first_token = token
        if ok:
            passed += 1
    return passed, first_token


def check_bitflips(lines, trust, first_token, prefix, fail, label):
    """A permit-vN-bitflips.txt file (sections 9.2, 9.4): every bit of
    `first_token` flipped, written after `prefix`.  Returns the number of
    lines that pass."""
    passed = 0
    at = "2020-12-15T11:00:00+04:00"
    zone = 1
    for line in lines:
        if line.startswith("#"):
            m = re.search(r"Checked at (\S+) in zone (\d+|none)", line)
            if m:
                at = m.group(1)
                zone = None if m.group(2) == "none" else int(m.group(2))
    t = parse_time(at)
    if first_token is None:
        fail(f"{label}bitflips: no token of case 'sms permit, SMS form' to compare with")
    seen = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split()
        if len(cols) != 4:
            fail(f"{label}bitflip line not of 4 columns: {line!r}")
            continue
        bit, exp_status, exp_reason, text = int(cols[0]), cols[1], cols[2], cols[3]
        if exp_reason in ("-", "null", "none"):
            exp_reason = None
        seen.append(bit)
        ok = True
        if first_token is not None:
            flipped = bytearray(first_token)
            flipped[bit // 8] ^= 0x80 >> (bit % 8)
            if prefix + b64url_encode(bytes(flipped)) != text:
                fail(f"{label}bitflip {bit}: input is not the sms token with bit {bit} flipped")
                ok = False
        status, reasons, _, _, _ = verify(text, trust, t, zone)
        reason = reasons[0] if reasons else None
        if status != exp_status or reason != exp_reason:
            fail(f"{label}bitflip {bit}: got {status}/{reason}, expected {exp_status}/{exp_reason}")
            ok = False
        if ok:
            passed += 1
    if first_token is not None and sorted(seen) != list(range(8 * len(first_token))):
        fail(f"{label}bitflips: the lines do not cover every bit of the token exactly")
    return passed


def check_byte_cases(vdir, file, root, parse, error, judge, fail):
    """The cases of a vector file of signed byte inputs (trust lists, bundles),
    pinned to `root`: each input is read with `parse` (refusing with `error`),
    and `judge(case, parsed, result)` says what is wrong, if anything.
    Returns the number of cases that pass."""
    with open(os.path.join(vdir, file), encoding="utf-8") as f:
        vec = json.load(f)
    vroot = PublicKey(bytes.fromhex(vec["root_public_key_hex"]))
    if vroot.raw != root.raw:
        fail(f"{file} pins another root than permit-v1.json")
    passed = 0
    for case in vec["cases"]:
        try:
            parsed, result = parse(bytes.fromhex(case["input_hex"]), vroot), "ok"
        except error as e:
            parsed, result = None, e.code
        wrong = judge(case, parsed, result)
        if wrong:
            fail(wrong)
        else:
            passed += 1
    return passed


def judge_trust_list_case(case, tl, result):
    name = case["name"]
    if result != case["result"]:
        return f"trust list case {name!r}: got {result}, expected {case['result']}"
    if tl is not None:
        got = trust_list_json(tl)
        if got != case.get("list"):
            return f"trust list case {name!r}: list {got} != expected {case.get('list')}"
    elif "list" in case:
        return f"trust list case {name!r}: refused, but the vector shows a list"
    return None


def judge_bundle_case(case, b, result):
    name = case["name"]
    if result != case["result"]:
        return f"bundle case {name!r}: got {result}, expected {case['result']}"
    if b is not None:
        want = case.get("bundle")
        got = bundle_json(b)
        if got != want:
            return f"bundle case {name!r}: {got} != {want}"
    return None


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    vdir = argv[1] if len(argv) > 1 else os.path.join(here, "..", "vectors")
    passed = 0
    failed = 0

    def fail(msg):
        nonlocal failed
        failed += 1
        print("MISMATCH: " + msg)

    with open(os.path.join(vdir, "permit-v1.json"), encoding="utf-8") as f:
        vec = json.load(f)

    # --- trust list
    try:
        root = PublicKey(bytes.fromhex(vec["root_public_key_hex"]))
        trust = parse_trust_list(bytes.fromhex(vec["trust_list_hex"]), root)
        passed += 1
    except (ValueError, TrustListError) as e:
        fail(f"trust list does not verify: {e}")
        print(f"{passed} passed, {failed} failed")
        return 1

    # Negative control: a trust list with one byte changed must not verify.
    tl_bad = bytearray.fromhex(vec["trust_list_hex"])
    tl_bad[13] ^= 1
    try:
        parse_trust_list(bytes(tl_bad), root)
        fail("trust list with a flipped byte verified")
    except TrustListError:
        passed += 1

    # Self-check of the date arithmetic against datetime where it applies.
    for m in (0, EPOCH_2020, 27_000_000, 1_000_000_000, 4_000_000_000):
        want = datetime.fromtimestamp(m * 60, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:00Z")
        if fmt_unix_minute(m) != want:
            fail(f"date arithmetic: {fmt_unix_minute(m)} != {want}")

    # --- permit vectors of both formats, each file with its own trust list
    # (section 9.4: the same root and list as permit-v1.json)
    for fmt in (1, 2):
        with open(os.path.join(vdir, f"permit-v{fmt}.json"), encoding="utf-8") as f:
            pvec = vec if fmt == 1 else json.load(f)
        if fmt != 1:
            if pvec["root_public_key_hex"] != vec["root_public_key_hex"]:
                fail(f"permit-v{fmt}.json pins another root than permit-v1.json")
            try:
                ptrust = parse_trust_list(bytes.fromhex(pvec["trust_list_hex"]), root)
                passed += 1
            except TrustListError as e:
                fail(f"permit-v{fmt}.json: trust list does not verify: {e}")
                continue
        else:
            ptrust = trust
        n_ok, first_token = check_permit_cases(pvec["cases"], ptrust, fail, f"v{fmt} ")
        passed += n_ok
        with open(os.path.join(vdir, f"permit-v{fmt}-bitflips.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        passed += check_bitflips(lines, ptrust, first_token, f"IZ{fmt}", fail, f"v{fmt} ")

    # --- trust list vectors
    passed += check_byte_cases(vdir, "trustlist-v1.json", root, parse_trust_list, TrustListError,
                               judge_trust_list_case, fail)

    # --- bundle vectors (docs/bundle-format.md)
    passed += check_byte_cases(vdir, "bundle-v1.json", root, parse_bundle, BundleError, judge_bundle_case, fail)
    passed += check_byte_cases(vdir, "bundle-v2.json", root, parse_bundle, BundleError, judge_bundle_case, fail)

    # --- the worked examples of docs/revocations.md
    for hexed, want in (("010403360e80", [3, 10, 11, 40]), ("01010000", [0]), ("01011fbfffffff80", [2**32 - 1]),
                        ("0100", [])):
        if decode_revocations(bytes.fromhex(hexed)) != want:
            fail(f"revocation set {hexed} does not decode to {want}")
        else:
            passed += 1
    for hexed, code in (("010403360e81", "non_zero_padding"), ("01840003360e80", "non_minimal_count"),
                        ("0100ff", "trailing_bytes"),
                        ("02", "unsupported_version"), ("0104", "truncated")):
        try:
            decode_revocations(bytes.fromhex(hexed))
            fail(f"revocation set {hexed} was accepted")
        except RevocationError as e:
            if e.code != code:
                fail(f"revocation set {hexed}: {e.code}, expected {code}")
            else:
                passed += 1

    # --- the worked example of docs/bundle-format.md section 7
    bundle = documented_bundle(os.path.join(here, "..", "..", "docs", "bundle-format.md"))
    try:
        b = parse_bundle(bundle, root)
        r = b["regimes"]
        got = (b["version"], b["base_version"], b["signer"], b["server_time"], b["trust_list"]["version"],
               b["freshness"], [(x["id"], x["scope"], x["purposes"], [z[0] for z in x["zones"]]) for x in r],
               b["revocations"].hex())
        want = (1, None, 4, 1608012000, 1, [360, 1440, 4320, 10], [("2020-12-14", 1, 6, [1])], "0102080673f0")
        if got != want:
            fail(f"bundle example: {got} != {want}")
        elif r[0]["zones"][0][1:] != ("Bakı", "Баку", "Baku"):
            fail(f"bundle example: zone names {r[0]['zones'][0]}")
        else:
            passed += 1
    except BundleError as e:
        fail(f"bundle example refused: {e}")
    # Negative controls: a changed byte (a sample), every cut, a byte appended.
    refused = 0
    for i in range(0, len(bundle), 5):
        changed = bytearray(bundle)
        changed[i] ^= 0x01
        try:
            parse_bundle(bytes(changed), root)
            fail(f"bundle example with byte {i} changed was accepted")
        except BundleError:
            refused += 1
    for n in range(len(bundle)):
        try:
            parse_bundle(bundle[:n], root)
            fail(f"bundle example cut to {n} bytes was accepted")
        except BundleError as e:
            if e.code != "truncated":
                fail(f"bundle example cut to {n} bytes: {e.code}, expected truncated")
            else:
                refused += 1
    try:
        parse_bundle(bundle + b"\x00", root)
        fail("bundle example with a byte appended was accepted")
    except BundleError as e:
        if e.code == "trailing_bytes":
            refused += 1
        else:
            fail(f"bundle example with a byte appended: {e.code}, expected trailing_bytes")
    passed += refused

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
