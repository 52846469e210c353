#!/usr/bin/env python3
"""Independent DARE 2.0 / MinIO object-key implementation (python `cryptography`), used to cross-check
the TypeScript code. Reads a JSON command on stdin, writes a JSON answer on stdout.

Commands (all binary values hex):
  {"op":"decrypt","key":K,"data":D,"seq":0}        -> {"plaintext":P} or {"error":...}
  {"op":"encrypt","key":K,"nonce":N,"data":P}      -> {"ciphertext":C}
  {"op":"unseal","extKey":E,"iv":I,"domain":"SSE-S3","bucket":B,"object":O,"sealed":S} -> {"objectKey":K}
  {"op":"partkey","objectKey":K,"part":n}          -> {"key":K}
"""
import hashlib, hmac, json, struct, sys, posixpath
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

PAYLOAD = 65536

def nonce_for(header, seq):
    n = bytearray(header[4:16])
    v = struct.unpack('<I', bytes(n[8:12]))[0] ^ seq
    n[8:12] = struct.pack('<I', v)
    return bytes(n)

def decrypt(key, data, seq=0):
    out, off, final, ref = [], 0, False, None
    while off < len(data):
        if final:
            raise ValueError('data after final')
        h = data[off:off + 16]
        if len(h) < 16 or h[0] != 0x20:
            raise ValueError('bad header')
        n = struct.unpack('<H', h[2:4])[0] + 1
        pkg = data[off:off + 16 + n + 16]
        if len(pkg) != 32 + n:
            raise ValueError('truncated')
        final = bool(h[4] & 0x80)
        if not final and n != PAYLOAD:
            raise ValueError('short non-final package')
        bare = bytes([h[4] & 0x7f]) + bytes(h[5:16])
        if ref is None:
            ref = (h[1], bare)
        if ref != (h[1], bare):
            raise ValueError('nonce mismatch')
        aead = AESGCM(key) if h[1] == 0 else ChaCha20Poly1305(key)
        out.append(aead.decrypt(nonce_for(h, seq), bytes(pkg[16:]), bytes(h[0:4])))
        seq += 1
        off += len(pkg)
    if data and not final:
        raise ValueError('no final package')
    return b''.join(out)

def encrypt(key, nonce, data):
    out, seq = [], 0
    for off in range(0, len(data), PAYLOAD):
        chunk = data[off:off + PAYLOAD]
        final = off + PAYLOAD >= len(data)
        h = bytearray(16)
        h[0], h[1] = 0x20, 0x00
        h[2:4] = struct.pack('<H', len(chunk) - 1)
        h[4:16] = nonce
        h[4] = (h[4] | 0x80) if final else (h[4] & 0x7f)
        out.append(bytes(h) + AESGCM(key).encrypt(nonce_for(h, seq), chunk, bytes(h[0:4])))
        seq += 1
    return b''.join(out)

def go_path_join(a, b):
    j = posixpath.normpath(a + '/' + b)
    return j

def main():
    cmd = json.load(sys.stdin)
    x = lambda k: bytes.fromhex(cmd[k])
    try:
        if cmd['op'] == 'decrypt':
            res = {'plaintext': decrypt(x('key'), x('data'), cmd.get('seq', 0)).hex()}
        elif cmd['op'] == 'encrypt':
            res = {'ciphertext': encrypt(x('key'), x('nonce'), x('data')).hex()}
        elif cmd['op'] == 'unseal':
            msg = x('iv') + cmd['domain'].encode() + b'DAREv2-HMAC-SHA256' + go_path_join(cmd['bucket'], cmd['object']).encode()
            sealing = hmac.new(x('extKey'), msg, hashlib.sha256).digest()
            res = {'objectKey': decrypt(sealing, x('sealed')).hex()}
        elif cmd['op'] == 'partkey':
            res = {'key': hmac.new(x('objectKey'), struct.pack('<I', cmd['part']), hashlib.sha256).digest().hex()}
        else:
            res = {'error': 'unknown op'}
    except Exception as e:  # noqa: BLE001 - report any failure to the caller
        res = {'error': type(e).__name__ + ': ' + str(e)}
    json.dump(res, sys.stdout)

main()
