#!/usr/bin/env python3
"""An independent implementation of KES's ciphertext and stored-key formats, for cross-checks.

Written from the format description (docs/kes-compatibility.md, "Ciphertext format" and
"Stored key format"), not from the TypeScript code.
Reads one JSON request on stdin and writes one JSON answer on stdout:

  {"decrypt": [{"alg", "key", "ct", "ctx"}],            -> {"decrypted": [b64 plaintext | null]}
   "encrypt": [{"alg", "key", "pt", "ctx", "format"}],  -> {"encrypted": [b64 ciphertext]}
   "encode_key": [{"alg", "key", "hmac", "seconds", "nanos", "by"}],  -> {"encoded_keys": [ascii]}
   "decode_key": [ascii]}                               -> {"decoded_keys": [{...} | null]}

All byte strings are standard base64. format is "current", "msgpack" or "json".
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

MASK = 0xFFFFFFFF


def _rotl(x, n):
    return ((x << n) & MASK) | (x >> (32 - n))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & MASK; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & MASK; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & MASK; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & MASK; s[b] = _rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce):
    """HChaCha20: 20 ChaCha rounds over constants|key|nonce16, output words 0-3 and 12-15."""
    assert len(key) == 32 and len(nonce) == 16
    s = list(struct.unpack('<4I', b'expand 32-byte k')) + list(struct.unpack('<8I', key)) + \
        list(struct.unpack('<4I', nonce))
    for _ in range(10):
        _qr(s, 0, 4, 8, 12); _qr(s, 1, 5, 9, 13); _qr(s, 2, 6, 10, 14); _qr(s, 3, 7, 11, 15)
        _qr(s, 0, 5, 10, 15); _qr(s, 1, 6, 11, 12); _qr(s, 2, 7, 8, 13); _qr(s, 3, 4, 9, 14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))


def aead(alg, master, iv):
    if alg == 'AES256':
        return AESGCM(hmac.new(master, iv, hashlib.sha256).digest())
    if alg == 'ChaCha20':
        return ChaCha20Poly1305(hchacha20(master, iv))
    raise ValueError('unknown algorithm')


def key_id(master):
    return hashlib.sha256(master).digest()[:16].hex()


def encrypt(alg, master, pt, ctx, fmt):
    iv, nonce = os.urandom(16), os.urandom(12)
    sealed = aead(alg, master, iv).encrypt(nonce, pt, ctx)
    if fmt == 'current':
        return sealed + iv + nonce
    if fmt == 'msgpack':
        name = {'AES256': b'AES256-GCM_SHA256', 'ChaCha20': b'XCHACHA20-POLY1305'}[alg]
        kid = key_id(master).encode()
        out = bytes([0x95, 0xa0 | len(name)]) + name + bytes([0xd9, len(kid)]) + kid
        for b in (iv, nonce):
            out += bytes([0xc4, len(b)]) + b
        return out + (bytes([0xc4, len(sealed)]) if len(sealed) < 256 else b'\xc5' + struct.pack('>H', len(sealed))) + sealed
    if fmt == 'json':
        name = {'AES256': 'AES-256-GCM-HMAC-SHA-256', 'ChaCha20': 'ChaCha20Poly1305'}[alg]
        b64 = lambda b: base64.b64encode(b).decode()
        return json.dumps({'aead': name, 'id': key_id(master), 'iv': b64(iv), 'nonce': b64(nonce),
                           'bytes': b64(sealed)}, separators=(',', ':')).encode()
    raise ValueError('unknown format')


def decrypt(alg, master, ct, ctx):
    """Current format only: the TypeScript side produces nothing else."""
    if len(ct) <= 28:
        return None
    sealed, iv, nonce = ct[:-28], ct[-28:-12], ct[-12:]
    try:
        return aead(alg, master, iv).decrypt(nonce, sealed, ctx)
    except InvalidTag:
        return None


# --- protobuf, for the stored-key form -------------------------------------------------------

def _varint(n):
    n &= (1 << 64) - 1
    out = b''
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80]); n >>= 7
    return out + bytes([n])


def _field(num, wire, payload):
    tag = _varint(num << 3 | wire)
    return tag + (_varint(len(payload)) + payload if wire == 2 else _varint(payload))


def encode_key(alg, key, hmac_key, seconds, nanos, by):
    secret = _field(1, 2, key) + _field(2, 0, {'AES256': 1, 'ChaCha20': 2}[alg])
    hm = _field(1, 2, hmac_key) + _field(2, 0, 1)
    ts = (_field(1, 0, seconds) if seconds else b'') + (_field(2, 0, nanos) if nanos else b'')
    msg = _field(1, 2, secret) + _field(2, 2, hm) + _field(3, 2, ts) + (_field(4, 2, by.encode()) if by else b'')
    return base64.b64encode(msg).decode()


def _read_varint(b, i):
    shift = n = 0
    while True:
        x = b[i]; i += 1
        n |= (x & 0x7F) << shift; shift += 7
        if not x & 0x80:
            return n, i


def _fields(b):
    i, out = 0, {}
    while i < len(b):
        tag, i = _read_varint(b, i)
        if tag & 7 == 0:
            v, i = _read_varint(b, i)
        elif tag & 7 == 2:
            n, i = _read_varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError('wire type')
        out[tag >> 3] = v
    return out


def decode_key(text):
    try:
        f = _fields(base64.b64decode(text, validate=True))
        sk, hk, ts = _fields(f[1]), _fields(f[2]), _fields(f.get(3, b''))
        seconds = ts.get(1, 0)
        if seconds >= 1 << 63:
            seconds -= 1 << 64
        return {'alg': {1: 'AES256', 2: 'ChaCha20'}[sk[2]], 'key': base64.b64encode(sk[1]).decode(),
                'hmac': base64.b64encode(hk[1]).decode(), 'hash': hk[2], 'seconds': seconds,
                'nanos': ts.get(2, 0), 'by': f.get(4, b'').decode()}
    except (KeyError, ValueError, IndexError):
        return None


def main():
    req = json.load(sys.stdin)
    d = lambda s: base64.b64decode(s, validate=True)
    e = lambda b: None if b is None else base64.b64encode(b).decode()
    out = {
        'decrypted': [e(decrypt(r['alg'], d(r['key']), d(r['ct']), d(r['ctx']))) for r in req.get('decrypt', [])],
        'encrypted': [e(encrypt(r['alg'], d(r['key']), d(r['pt']), d(r['ctx']), r['format']))
                      for r in req.get('encrypt', [])],
        'encoded_keys': [encode_key(r['alg'], d(r['key']), d(r['hmac']), r['seconds'], r['nanos'], r['by'])
                         for r in req.get('encode_key', [])],
        'decoded_keys': [decode_key(t) for t in req.get('decode_key', [])],
    }
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
