<?php
// payatom_ref.php -- vectors from PayAtom's own PHP reference code (spec
// §3.1-§3.4; the docs' functions live in payatom_docs.php).
// Used by make_vectors.sh (generates tests/data/{crypto,sign}/*) and by the
// cross-check in tests/unit/lib/check_crypto.c (opens blobs sealed by our C).
//
// Usage (binary arguments are hex):
//   php payatom_ref.php seal <secret_hex> <plaintext_hex> [iv_hex]  -> base64
//   php payatom_ref.php open <secret_hex> <base64>  -> plaintext hex | NULL
//   php payatom_ref.php formulas <formulas_in.txt>   -> formula vectors
//   php payatom_ref.php v2 <v2_bodies.txt>            -> V2 vectors (jsonl)
//   php payatom_ref.php money <money_in.txt>          -> money vectors
//   php payatom_ref.php doubles                       -> float vectors
//   php payatom_ref.php strval                        -> (string) vectors
//   php payatom_ref.php base64 <base64_in.txt>        -> base64_decode vectors

require __DIR__ . '/payatom_docs.php';

// V2 canonical JSON per [I] (spec §3.4): the signer's ksort() (default
// flags: top level only; non-numeric keys compare byte-wise) and
// json_encode(); nested objects stay in their given order.

function fields($line) { return explode('|', rtrim($line, "\n")); }

$cmd = $argv[1] ?? '';
if ($cmd === 'seal') {
    $iv = isset($argv[4]) ? hex2bin($argv[4]) : null;
    echo base64_encode(encrypt(hex2bin($argv[3]), hex2bin($argv[2]), $iv)), "\n";
} elseif ($cmd === 'open') {
    $pt = decrypt(base64_decode($argv[3], true), hex2bin($argv[2]));
    echo ($pt === null || $pt === false) ? "NULL" : bin2hex($pt), "\n";
} elseif ($cmd === 'formulas') {
    // input: kind|secret|a|b|c   output: the same line + |expected
    foreach (file($argv[2]) as $line) {
        if ($line[0] === '#' || trim($line) === '') continue;
        $f = fields($line);
        [$kind, $secret] = [$f[0], $f[1]];
        $a = $f[2] ?? ''; $b = $f[3] ?? ''; $c = $f[4] ?? '';
        switch ($kind) {
        // spec §3.2: $local_hash = md5($order_id.$received_amount.$status.$secret_key)
        case 'callback': $h = md5($a . $b . $c . $secret); break;
        // spec §3.2: md5($ref_code.$pid.$secret_key) (or order_id)
        case 'poll_request': $h = md5($a . $b . $secret); break;
        case 'refund': $h = md5($a . $b . $secret); break;
        // spec §3.3: hash('sha256', $pid . $secret_key . $date)
        case 'recon': $h = hash('sha256', $a . $secret . $b); break;
        // spec §3.5: verification_code = md5(password); secret = password
        case 'wallet_code': $h = md5($secret); break;
        // complaint: ASSUMED (spec §13), see include/payatom/sign.h
        case 'complaint_pid_order_ref_secret': $h = hash('sha256', $a . $b . $c . $secret); break;
        case 'complaint_pid_secret_order_ref': $h = hash('sha256', $a . $secret . $b . $c); break;
        default: fwrite(STDERR, "unknown kind $kind\n"); exit(1);
        }
        echo rtrim($line, "\n"), '|', $h, "\n";
    }
} elseif ($cmd === 'v2') {
    // input: name|secret|<raw JSON body> per line ('#' comments); the raw
    // body goes to the output unchanged so that the C side parses it itself
    foreach (file($argv[2]) as $line) {
        $line = rtrim($line, "\n");
        if ($line === '' || $line[0] === '#') continue;
        [$name, $secret, $raw] = explode('|', $line, 3);
        $data = json_decode($raw, true);
        if ($data === null) { fwrite(STDERR, "bad body: $line\n"); exit(1); }
        unset($data['signature']);
        ksort($data);
        $canon = json_encode($data);
        if ($canon === false) { fwrite(STDERR, "json_encode failed: " . json_last_error_msg() . "\n"); exit(1); }
        echo json_encode([
            'name' => $name, 'secret' => $secret, 'body' => $raw,
            'canonical' => $canon,
            'sha256' => hash('sha256', $canon . $secret),
            'hmac' => hash_hmac('sha256', $canon, $secret),
        ]), "\n";
    }
} elseif ($cmd === 'money') {
    // input: amount text per line; output: text|PHP concat form|2dp form
    foreach (file($argv[2]) as $line) {
        $s = rtrim($line, "\n");
        if ($s === '' || $s[0] === '#') continue;
        $n = $s + 0;              // what PHP holds after arithmetic/DB
        echo $s, '|', (string)$n, '|', number_format((float)$s, 2, '.', ''), "\n";
    }
} elseif ($cmd === 'doubles') {
    // output: %.17e text|json_encode() (serialize_precision -1), for a fixed
    // list plus seeded random doubles of every magnitude
    $list = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 100.0, 12.5, 28.7041, 77.1025,
             1e15, 1e16, 1e17, 1e-4, 1e-5, 0.00012345, 123456789012345678.0,
             1.7976931348623157e308, 5e-324, 2.2250738585072014e-308,
             0.30000000000000004, 9007199254740993.0, 1e21, 1e22, 123.456];
    mt_srand(20261126);
    for ($i = 0; $i < 300; $i++) {
        $m = mt_rand() / mt_getrandmax();
        $e = mt_rand(-30, 30);
        $v = $m * (10 ** $e);
        if ($i % 3 == 0) $v = round($v, mt_rand(0, 6));
        if ($i % 5 == 0) $v = -$v;
        $list[] = $v;
    }
    foreach ($list as $d)
        echo ($d == 0 && fdiv(1, $d) < 0) ? '-' : '', sprintf('%.17e', $d),
             '|', json_encode($d), "\n";
} elseif ($cmd === 'strval') {
    // output: raw JSON value|hex of PHP's string conversion of what
    // json_decode() makes of it (what `.` concatenates into a hash), for a
    // fixed list plus seeded random doubles of every magnitude
    $list = ['100', '100.0', '100.00', '1e2', '1E2', '1.0e+2', '0.1e3', '12.5',
             '12.50', '1.25e1', '0.30000000000000004', '-0', '-0.0', '0',
             '1e14', '1e13', '99999999999999', '99999999999999.0',
             '123456789012345.0', '12345678901234.5', '100000000000000.5',
             '0.0001', '0.00001', '1e15', '1e-5', '5e-324', '1.7976931348623157e308',
             '9223372036854775807', '-9223372036854775808', '12345678901234567',
             '0.1', '2.5', '1e22', '-1.5e-7', 'true', 'false', 'null', '[]', '{}',
             '[1]', '{"a":1}', '"12.50"', '""', '"a\u0000b"'];
    mt_srand(20261127);
    for ($i = 0; $i < 400; $i++) {
        $m = mt_rand() / mt_getrandmax();
        $e = mt_rand(-30, 30);
        $v = $m * (10 ** $e);
        if ($i % 3 == 0) $v = round($v, mt_rand(0, 6));
        if ($i % 5 == 0) $v = -$v;
        $list[] = sprintf('%.17e', $v);
    }
    foreach ($list as $raw) {
        $v = json_decode($raw, true);
        if ($v === null && $raw !== 'null') { fwrite(STDERR, "bad $raw\n"); exit(1); }
        echo $raw, '|', bin2hex(@('' . $v)), "\n";
    }
} elseif ($cmd === 'base64') {
    // input: text per line, \n \r \t \\ and \xHH escaped; output: the same
    // line|hex of base64_decode($text) (non-strict, as the docs call it)
    foreach (file($argv[2]) as $line) {
        $s = rtrim($line, "\n");
        if ($s === '' || $s[0] === '#') continue;
        $t = stripcslashes($s);
        echo $s, '|', bin2hex(base64_decode($t)), "\n";
    }
} else {
    fwrite(STDERR, "usage: see header\n");
    exit(2);
}
