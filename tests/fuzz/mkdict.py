#!/usr/bin/env python3
"""mkdict.py SOURCE_DIR OUT_DIR -- libFuzzer dictionaries made from the
sources, so they follow the schemas and the config map as they change:

  json.dict    field names and enum symbols of schemas/*.avsc, the keys the
               libpayatom parsers read (worker/lib/*.c), JSON punctuation
  avro.dict    the framing bytes, enum symbols and field names as Avro
               strings (zig-zag length + bytes), small zig-zag longs
  http.dict    methods, header names, framing tokens, routes
  config.dict  every key of the config map (worker/core/config_worker.c),
               profile keys, enum values, value forms
"""
import glob, json, os, re, sys

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def esc(b):
    return ''.join(chr(c) if 32 <= c < 127 and c not in (34, 92) else '\\x%02x' % c for c in b)


def write(name, tokens):
    seen, lines = set(), []
    for t in tokens:
        b = t.encode() if isinstance(t, str) else t
        if b and b not in seen and len(b) <= 64:
            seen.add(b)
            lines.append('"%s"' % esc(b))
    with open(os.path.join(out, name), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return len(lines)


names, symbols = set(), set()


def walk(node):
    if isinstance(node, dict):
        if node.get('type') == 'enum':
            symbols.update(node.get('symbols', []))
        if 'name' in node and isinstance(node['name'], str):
            names.add(node['name'].split('.')[-1])
        for v in node.values():
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)


for p in glob.glob(os.path.join(src, 'schemas', '*.avsc')):
    walk(json.load(open(p)))
lib_keys = set()
for p in glob.glob(os.path.join(src, 'worker', 'lib', '*.c')):
    lib_keys.update(re.findall(r'json_object_get\(\s*\w+\s*,\s*"([^"]+)"', open(p).read()))
    lib_keys.update(re.findall(r'"([a-z_]{3,32})"', open(p).read()))

js = ['{', '}', '[', ']', ':', ',', '"', 'null', 'true', 'false', '-0', '1e309',
      '0.5', '\\u0000', '\\ud800', '\\"', '"status":"error"', '"status":"success"']
js += ['"%s":' % n for n in sorted(names | lib_keys)]
js += ['"%s"' % s for s in sorted(symbols)]
n_json = write('json.dict', js)


def zz(n):
    z = (n << 1) ^ (n >> 63)
    b = bytearray()
    while True:
        if z & ~0x7f:
            b.append((z & 0x7f) | 0x80)
            z >>= 7
        else:
            b.append(z)
            return bytes(b)


avro = [b'\xc3\x01', b'\x00\x00\x00\x00\x01', b'\x00\x00\x00\x00\x02']
avro += [zz(n) for n in (0, 1, -1, 2, 63, 64, -65, 1 << 20, -(1 << 31), (1 << 62))]
avro += [b'\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01']
avro += [zz(len(s)) + s.encode() for s in sorted(symbols | names)]
n_avro = write('avro.dict', avro)

http = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'OPTIONS ', 'DELETE ', ' HTTP/1.1\r\n',
        ' HTTP/1.0\r\n', '\r\n', '\r\n\r\n', 'Host: 127.0.0.1\r\n',
        'Content-Length: ', 'Transfer-Encoding: chunked\r\n', 'Connection: close\r\n',
        'Connection: keep-alive\r\n', 'Expect: 100-continue\r\n',
        'Content-Type: application/json\r\n', 'X-Forwarded-For: ', '0\r\n\r\n',
        '/webhooks/payatom', '/later', '/reset', '/metrics', '/healthz', '/readyz',
        '?order_id=', '%00', '%zz', ';ext=1', ' \t', 'ffffffffffffffff\r\n']
n_http = write('http.dict', http)

cfg_src = open(os.path.join(src, 'worker', 'core', 'config_worker.c')).read()
keys = re.findall(r'PW_CFG_E\("([^"]+)"', cfg_src)
enums = set()
for alt in re.findall(r'"([a-z_0-9]+(?:\|[a-z_0-9]+)+)"', cfg_src):
    enums.update(alt.split('|'))
cfg = ['=', ' = ', '\n', '#', '@/', 'merchant.m1.', 'kafka.', 'true', 'false',
       'yes', 'no', '0', '-1', '1m', '30s', '250ms', '2h', '7d', '1k', '64m',
       '9223372036854775807', '18446744073709551616', '127.0.0.1:9092', ',,']
cfg += [k + '=' for k in keys] + ['merchant.m1.%s=' % k for k in keys] + sorted(enums)
n_cfg = write('config.dict', cfg)
print('mkdict: json %d, avro %d, http %d, config %d tokens' % (n_json, n_avro, n_http, n_cfg))
