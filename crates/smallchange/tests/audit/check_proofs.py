#!/usr/bin/env python3
"""An independent check of smallchange's audit log, written from RFC 6962 / RFC 9162,
RFC 8032 and the C2SP tlog-checkpoint and signed-note formats alone (standard library only).

    python3 check_proofs.py BASE_URL API_KEY ENTRY_ID...

Give every entry id of the tenant, in any order. The script fetches the public key (no
auth), the latest checkpoint (and checks its Ed25519 signature), each entry with its
inclusion proof (recomputing the leaf hash from the entry's bytes and reading the bytes'
fields), recomputes the root of the whole tree from the leaves, and checks a consistency
proof from every smaller size to the checkpoint's. It exits non-zero at the first mismatch.
"""

import base64
import hashlib
import json
import sys
import urllib.request


def fail(message):
    print("MISMATCH: " + message, file=sys.stderr)
    sys.exit(1)


def get(base, path, key=None):
    request = urllib.request.Request(base + path)
    if key:
        request.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read().decode("utf-8"))


# --- RFC 6962 section 2.1: hashing ------------------------------------------------------

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """MTH(D[n]) exactly as RFC 6962 defines it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


# --- RFC 9162 section 2.1.3.2 and 2.1.4.2: verifying proofs -----------------------------

def verify_inclusion(leaf, index, size, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path):
    if first == second:
        return not path and first_hash == second_hash
    if first == 0 or first > second:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


# --- RFC 8032 section 6: Ed25519 verification -------------------------------------------

P = 2 ** 255 - 19
Q = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def point_add(a, b):
    A, B = (a[1] - a[0]) * (b[1] - b[0]) % P, (a[1] + a[0]) * (b[1] + b[0]) % P
    C, E = 2 * a[3] * b[3] * D % P, 2 * a[2] * b[2] % P
    E, F, G, H = B - A, E - C, E + C, B + A
    return (E * F, G * H, F * G, E * H)


def point_mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        s >>= 1
    return result


def point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decompress(s):
    y = int.from_bytes(s, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


G_Y = 4 * pow(5, P - 2, P) % P
G_X = recover_x(G_Y, 0)
BASE = (G_X, G_Y, 1, G_X * G_Y % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = decompress(public), decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return point_equal(point_mul(s, BASE), point_add(r, point_mul(h, a)))


# --- C2SP signed-note and tlog-checkpoint ------------------------------------------------

def check_checkpoint(note, key):
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    name = key["key_name"]
    public = base64.b64decode(key["public_key"])
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    vkey = "%s+%s+%s" % (name, key_id.hex(), base64.b64encode(b"\x01" + public).decode())
    if vkey != key["verifier_key"]:
        fail("the verifier key is not name+id+base64(0x01 || key)")
    signed = False
    for line in signatures.rstrip("\n").split("\n"):
        prefix = "\u2014 " + name + " "
        if not line.startswith(prefix):
            continue
        blob = base64.b64decode(line[len(prefix):])
        if blob[:4] == key_id and ed25519_verify(public, text.encode(), blob[4:]):
            signed = True
    if not signed:
        fail("the checkpoint's signature does not verify with the published key")
    origin, size, root = text.rstrip("\n").split("\n")
    return origin, int(size), base64.b64decode(root)


def fields(entry):
    """The length-prefixed fields of an entry's canonical bytes (docs/AUDIT.md)."""
    out, at = [], 0
    while at < len(entry):
        length = int.from_bytes(entry[at:at + 4], "big")
        out.append(entry[at + 4:at + 4 + length].decode("utf-8"))
        at += 4 + length
    if at != len(entry):
        fail("an entry's length prefixes overrun its bytes")
    return out


def main():
    if len(sys.argv) < 3:
        fail("usage: check_proofs.py BASE_URL API_KEY ENTRY_ID...")
    base, api_key, ids = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3:]
    key = get(base, "/.well-known/smallchange/audit-key")
    latest = get(base, "/v1/audit/checkpoints/latest", api_key)
    origin, size, root = check_checkpoint(latest["checkpoint"], key)
    if size != latest["tree_size"] or base64.b64decode(latest["root_hash"]) != root:
        fail("tree_size/root_hash differ from the signed checkpoint")
    if not origin.startswith("smallchange/"):
        fail("origin %r is not smallchange/<tenant>" % origin)
    leaves = {}
    for entry_id in ids:
        found = get(base, "/v1/audit/entries/" + entry_id, api_key)
        entry = base64.b64decode(found["entry"])
        leaf = leaf_hash(entry)
        if leaf != base64.b64decode(found["leaf_hash"]):
            fail("%s: the leaf hash is not SHA-256(0x00 || entry)" % entry_id)
        parts = fields(entry)
        expected = ["smallchange-audit/1", origin[len("smallchange/"):], str(found["index"]), found["id"],
                    found["kind"], found["subject"], found["actor"], found["at"]]
        if len(parts) != 9 or parts[:8] != expected:
            fail("%s: the entry's fields %r are not %r" % (entry_id, parts[:8], expected))
        json.loads(parts[8])
        proof = found["proof"]
        if proof is None or proof["tree_size"] != size or base64.b64decode(proof["root_hash"]) != root:
            fail("%s: no proof against the latest checkpoint" % entry_id)
        path = [base64.b64decode(h) for h in proof["hashes"]]
        if not verify_inclusion(leaf, found["index"], size, path, root):
            fail("%s: the inclusion proof does not lead to the checkpoint's root" % entry_id)
        leaves[found["index"]] = leaf
    if sorted(leaves) == list(range(size)):
        ordered = [leaves[i] for i in range(size)]
        if mth(ordered) != root:
            fail("the root of every leaf is not the checkpoint's root")
        for first in range(0, size + 1):
            answer = get(base, "/v1/audit/consistency?from=%d&to=%d" % (first, size), api_key)
            path = [base64.b64decode(h) for h in answer["hashes"]]
            if first == 0:
                if path:
                    fail("a consistency proof from the empty tree is not empty")
                continue
            if not verify_consistency(first, size, mth(ordered[:first]), root, path):
                fail("the consistency proof from %d to %d does not verify" % (first, size))
    print("checked %d entries and the checkpoint of %d entries (%s)" % (len(ids), size, origin))


if __name__ == "__main__":
    main()
