<?php
// gen.php -- the seeded generator of the differential test (issue 13,
// docs/gateway-fidelity.md): callback and poll-answer bodies sealed with
// the docs' encrypt(), V2 bodies, and request-side inputs, one case a line.
//
//   php gen.php SEED N_BODIES N_V2 N_REQUESTS > cases.tsv
//
// The same seed gives the same file (mt_rand is seeded; IVs come from it
// too). Lines, tab-separated, binary fields base64:
//   S <merchant> <secret>                        merchant secrets
//   W <id> <merchant> <body> <truth>             a callback / poll answer
//   V <id> <merchant> <body>                     a V2 request body
//   R <id> <merchant> <kind> <a> <b> <c>         a request-side input
// <truth> says how the body was made (key=value;..., for the report and for
// the checks that do not depend on PHP): sealed=merchant|wrong|none,
// hashed=<base64 of the amount text sealed>, kind, and tags.
require __DIR__ . '/../data/gen/payatom_docs.php';

error_reporting(E_ALL & ~E_DEPRECATED & ~E_WARNING);
[$_, $seed, $n_bodies, $n_v2, $n_req] = $argv + [null, 1, 100000, 20000, 20000];
mt_srand((int)$seed);

function rnd($n) { return $n > 1 ? mt_rand(0, $n - 1) : 0; }
function pick($a) { return $a[mt_rand(0, count($a) - 1)]; }
function chance($p) { return mt_rand(0, 999999) < $p * 1000000; }
function rbytes($n) { $s = ''; for ($i = 0; $i < $n; $i++) $s .= chr(mt_rand(0, 255)); return $s; }
function rtext($n, $alpha) {
    if ($n > 64) // str_shuffle() draws from the seeded mt_rand too
        return substr(str_shuffle(str_repeat($alpha, intdiv($n, strlen($alpha)) + 1)), 0, $n);
    $s = '';
    for ($i = 0; $i < $n; $i++) $s .= $alpha[mt_rand(0, strlen($alpha) - 1)];
    return $s;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function b64($s) { return base64_encode($s); }

// ---- merchants -------------------------------------------------------------
$secrets = [
    'tEst-Secret-Key-0123456789',
    "s\u{e9}cret-\u{43a}\u{43b}\u{44e}\u{447}-\u{79d8}\u{5bc6}-\u{1f511}",
    rtext(200, ALNUM . '!#$%&()*+,-./:;<=>?@[]^_{|}~'),
    'k',
];
foreach ($secrets as $i => $s)
    echo "S\t$i\t", b64($s), "\n";
function wrong_secret($s) {
    return pick(['wrong-secret', $s . 'x', strtoupper($s) === $s ? strtolower($s) : strtoupper($s),
                 substr($s, 0, -1), ' ' . $s]);
}

// ---- JSON spellings ----------------------------------------------------------
// A JSON string as json_encode() writes it with one of the flag sets a
// gateway may use (escaped or raw slashes and unicode).
function jstr($s) {
    $flags = pick([0, JSON_UNESCAPED_SLASHES, JSON_UNESCAPED_UNICODE,
                   JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE]);
    $j = json_encode($s, $flags);
    return $j === false ? json_encode($s, JSON_INVALID_UTF8_SUBSTITUTE) : $j;
}

const STATUSES = ['Approved', 'Declined', 'Late Approved', 'Pending', 'User Timed Out',
                  'Cancelled', 'Failed', 'Amount Mismatch', 'No Matching Payment for UTR',
                  'Refund Initiated', 'Refund Completed'];

// An exponent spelling of $v/100 with an integral mantissa: 2000 -> 2e1.
function exp_spelling($v) {
    if ($v == 0) return '0e0';
    $z = strspn(strrev("$v"), '0');
    return sprintf('%de%d', intdiv($v, 10 ** $z), $z - 2);
}

// Raw JSON tokens of an amount (null = the key is left out).
function amount_token($value) {
    $v = $value;
    $f = sprintf('%.2f', $v / 100);
    $int = intdiv($v, 100);
    $whole = $v % 100 == 0;
    $forms = [
        // as PHP's json_encode() writes a number or a string
        fn() => $whole ? "$int" : rtrim(rtrim($f, '0'), '.'),
        fn() => jstr($whole ? "$int" : rtrim(rtrim($f, '0'), '.')),
        fn() => jstr($f),
        // spellings json_encode() never writes
        fn() => $f,
        fn() => $whole ? "$int.0" : $f . '0',
        fn() => exp_spelling($v),
        fn() => sprintf('%.17g', $v / 100),
        fn() => sprintf('%.3E', $v / 100),
        fn() => '0.' . $v . 'e' . (strlen("$v") - 2),
    ];
    return pick($forms)();
}

function odd_amount_token() {
    return pick([
        '100', '100.0', '100.00', '1e2', '1E2', '1.0e+2', '1e+2', '0.1e3', '10E1', '12.5', '12.50',
        '1.25e1', '0.30000000000000004', '0.1', '123456789012345.67', '12345678901234567',
        '9223372036854775807', '-9223372036854775808', '1e14', '1e15', '1e-5', '5e-324',
        '1.7976931348623157e308', '-0', '-0.0', '0', '-5', '2000.0', '500.0', '99.99', '199.999',
        '"100"', '"100.00"', '"12.5"', '"12.50"', '"0"', '"0.00"', '"1e2"', '" 100"', '"100 "',
        '"abc"', '""', '"-5"', '"12.345"', '"1,000"', '"\u0967\u0966\u0966"', '"100.0"',
        '"' . str_repeat('9', 60) . '"', '"10\u0000"',
        'true', 'false', 'null', '[]', '{}', '[1,2]', '{"v":"100"}',
    ]);
}

// Numbers PHP reads as floats and jansson cannot hold (api.h D4): rare.
function out_of_range_token() {
    return pick(['99999999999999999999', '-99999999999999999999', '1e400', '-1e400',
                 '9223372036854775808']);
}

function order_token() {
    $r = rnd(100);
    if ($r < 55) return jstr('ORD' . rtext(7 + rnd(4), '0123456789'));
    if ($r < 62) return jstr(rtext(10 + rnd(3), ALNUM));
    if ($r < 70) return (string)mt_rand(1, 2000000000) . (string)rnd(10);
    if ($r < 73) return jstr((string)mt_rand(1000000, 99999999));
    return pick([
        '0', '1.5e3', '12345.0', '""', jstr(rtext(500, ALNUM)), jstr("ORD-\u{65e5}\u{672c}-\u{ff11}\u{ff12}"),
        jstr('ORD/1'), jstr('ORD"\\1'), 'null', 'true', 'false', '[]', '{"a":1}', '"ORD\u0000X"',
        jstr("ORD\u{1f600}"), '"ORD\ud83d\ude00"', '-1', '9223372036854775807',
    ]);
}

function status_token() {
    if (rnd(100) < 88) return jstr(pick(STATUSES));
    return pick([
        '"approved"', '"APPROVED"', '"Processing"', '"Approved "', jstr("\u{41e}\u{434}\u{43e}\u{431}\u{440}\u{435}\u{43d}\u{43e}"),
        '""', jstr(rtext(300, ALNUM)), '1', '0', 'null', 'true', '[]', '"error"', '"Approved\u0000"',
        '"Late\/Approved"',
    ]);
}

// What the docs' PHP concatenates for a token (null: the key is absent).
function php_text($tok) {
    if ($tok === null) return '';
    $v = json_decode($tok, true);
    return @('' . $v);
}

// ---- post_hash spellings ---------------------------------------------------
function spell_post_hash($b64, &$tags) {
    if (rnd(100) < 65) return $b64;
    $forms = [
        'unpadded' => fn($p) => rtrim($p, '='),
        'chunk76' => fn($p) => chunk_split($p, 76, "\r\n"),
        'chunk64' => fn($p) => chunk_split($p, 64, "\n"),
        'spaces' => fn($p) => implode(' ', str_split($p, 1 + rnd(20))),
        'inner_eq' => function ($p) { $k = rnd(strlen($p)); return substr($p, 0, $k) . str_repeat('=', 1 + rnd(3)) . substr($p, $k); },
        'stray' => function ($p) { $k = rnd(strlen($p)); return substr($p, 0, $k) . pick(['*', '!', '#', '~', '.', '-', '_', '@', '%', "\u{e9}", "\t"]) . substr($p, $k); },
        'urlsafe' => fn($p) => strtr($p, '+/', '-_'),
        'urlsafe_unpadded' => fn($p) => rtrim(strtr($p, '+/', '-_'), '='),
        'outer_ws' => fn($p) => pick([' ', "\n", "\t", "\r\n"]) . $p . pick([' ', "\n", '']),
        'extra_pad' => fn($p) => $p . '==',
        'truncated' => fn($p) => substr($p, 0, rnd(strlen($p))),
        'flipped' => function ($p) { $k = rnd(strlen($p)); $c = $p[$k]; $n = pick(str_split('ABCDEFabcdef0123456789+/=')); return substr($p, 0, $k) . ($n === $c ? 'Q' : $n) . substr($p, $k + 1); },
        'extra_block' => fn($p) => rtrim($p, '=') . 'AAAAAAAAAAAAAAAAAAAAAA==',
        'lowercase' => fn($p) => strtolower($p),
    ];
    $name = pick(array_keys($forms));
    $tags[] = "b64_$name";
    $out = $forms[$name]($b64);
    if (rnd(100) < 10) { // two spellings at once
        $name2 = pick(['unpadded', 'chunk76', 'spaces', 'stray', 'inner_eq']);
        $tags[] = "b64_$name2";
        $out = $forms[$name2]($out);
    }
    return $out;
}

// ---- bodies ------------------------------------------------------------------
function members_to_json($members) {
    // $members: list of [key, raw token]; keys json-encoded; whitespace varies
    $pretty = rnd(10) == 0;
    $sep = $pretty ? ",\n  " : pick([',', ',', ', ']);
    $colon = $pretty ? ': ' : pick([':', ':', ': ']);
    $parts = [];
    foreach ($members as [$k, $v])
        $parts[] = jstr($k) . $colon . $v;
    return ($pretty ? "{\n  " : '{') . implode($sep, $parts) . ($pretty ? "\n}" : '}');
}

function refund_info_token() {
    $r = rnd(10);
    if ($r < 5) return '[]';
    if ($r < 8) return members_to_json([
        ['refunded_upi', jstr(pick(['', 'payer@okicici']))],
        ['refund_amount', rnd(3) ? amount_token(100 * mt_rand(1, 500)) : odd_amount_token()],
        ['refund_initiated_time', jstr('February 11, 2023, 4:34 pm')],
        ['refund_completed_time', jstr('')],
        ['refund_status', jstr(pick(['Refund Initiated', 'Refund Completed']))],
        ['refund_notes', jstr(pick(['', "note \u{2014} \u{1f4b8}"]))],
    ]);
    return pick(['null', '"x"', '5', '{}', '[1,2]', 'true']);
}

function junk_member() {
    return pick([
        [rtext(1 + rnd(12), ALNUM), jstr(rtext(rnd(40), ALNUM))],
        ["k\u{43b}\u{44e}\u{447}", jstr("v\u{1f600}\u{10348}")],
        ['long', jstr(rtext(2000 + rnd(3000), ALNUM . ' /\\"'))],
        ['nested', '{"a":{"b":[1,{"c":null}],"d":"\/"},"e":[]}'],
        ['', '"empty key"'],
        ['num', (string)mt_rand()],
        ['float', sprintf('%.17g', mt_rand() / 7)],
    ]);
}

// A token $depth arrays deep; in a body one level more (json_decode()
// decodes 511 levels, not 512).
function nested_token($depth) {
    return str_repeat('[', $depth) . '1' . str_repeat(']', $depth);
}

function make_body($id, $m, $secret) {
    $tags = [];
    $kind = pick(['webhook', 'webhook', 'webhook', 'poll', 'poll_old']);
    $value = rnd(4) ? 100 * mt_rand(1, 100000) : mt_rand(1, 10000000);
    $recv_value = rnd(8) ? $value : mt_rand(0, 10000000);
    // tokens (null = absent)
    $order = order_token();
    $status = status_token();
    if (rnd(100) < 2) $order = null;
    if (rnd(100) < 2) $status = null;
    $req = rnd(100) < 85 ? amount_token($value) : (rnd(4) ? odd_amount_token() : null);
    $rec = rnd(100) < 80 ? amount_token($recv_value) : (rnd(3) ? odd_amount_token() : null);
    $amt = null;
    if ($kind === 'poll_old') {
        $amt = rnd(100) < 85 ? amount_token($value) : odd_amount_token();
        $rec = rnd(5) ? null : $rec;
        $req = rnd(3) ? null : $req;
    } elseif (rnd(100) < 6) {
        $amt = rnd(2) ? amount_token($value) : amount_token(mt_rand(1, 10000000));
    }
    if (rnd(1000) < 3) { // rare: a number out of range for jansson
        $tags[] = 'out_of_range';
        if (rnd(2)) $rec = out_of_range_token(); else $req = out_of_range_token();
    }
    if ($status !== null && php_text($status) === 'Pending' && rnd(3) == 0) {
        $rec = rnd(2) ? 'null' : null; // Pending: received_amount null or absent
        $tags[] = 'pending_no_received';
    }
    // what the gateway hashes
    $t_order = php_text($order);
    $t_status = php_text($status);
    $hk = rnd(100);
    if ($kind === 'poll_old') $hk = rnd(100) < 80 ? 60 : $hk;
    $hashed_field = 'received';
    if ($hk < 58) {
        $hashed = php_text($rec);
    } elseif ($hk < 70) {
        $hashed = php_text($amt);
        $hashed_field = 'amount';
    } elseif ($hk < 78) { // [I]: the number as PHP prints it
        $v = json_decode($rec ?? 'null', true);
        $hashed = is_numeric($v) ? (string)(0 + $v) : php_text($rec);
        $hashed_field = 'received_number';
    } elseif ($hk < 83) {
        $v = json_decode($rec ?? 'null', true);
        $hashed = is_numeric($v) ? number_format((float)$v, 2, '.', '') : php_text($rec);
        $hashed_field = 'received_2dp';
    } elseif ($hk < 88) {
        $hashed = php_text($req);
        $hashed_field = 'requested';
    } elseif ($hk < 92) {
        $hashed = (string)mt_rand(1, 999999);
        $hashed_field = 'other';
    } else {
        $hashed = php_text($rec);
    }
    $tags[] = "hash_$hashed_field";
    // seal (the docs' encrypt(), IV from the seeded generator)
    $sealed = 'merchant';
    $key = $secret;
    $r = rnd(100);
    if ($r < 7) { $key = wrong_secret($secret); $sealed = 'wrong'; }
    $plain = md5($t_order . $hashed . $t_status . $key);
    if (rnd(200) == 0) { $plain = strtoupper($plain); $tags[] = 'md5_upper'; }
    if (rnd(200) == 0) { $plain = $t_order . $hashed . $t_status; $tags[] = 'not_md5'; $sealed = 'wrong'; }
    $ph = base64_encode(encrypt($plain, $key, rbytes(16)));
    $ph_tok = jstr(spell_post_hash($ph, $tags));
    if ($r >= 7 && $r < 10) {
        $sealed = 'none';
        $ph_tok = pick(['null', '""', '12345', '[]', jstr(base64_encode(rbytes(64))), jstr('not base64!'), null]);
        $tags[] = 'post_hash_bad';
    }
    // members
    $mem = [];
    if ($order !== null) $mem[] = ['order_id', $order];
    if ($kind === 'poll' || $kind === 'poll_old') {
        $mem[] = ['upi_id', jstr('collect@upi')];
        $mem[] = ['webhook_acknowledged', pick(['"0"', '"1"', '0', '1', 'true', '"yes"', 'null'])];
    }
    if ($req !== null) $mem[] = ['requested_amount', $req];
    if ($rec !== null) $mem[] = ['received_amount', $rec];
    if ($amt !== null) $mem[] = ['amount', $amt];
    if ($status !== null) $mem[] = ['status', $status];
    if ($ph_tok !== null) $mem[] = ['post_hash', $ph_tok];
    if (rnd(3)) $mem[] = ['bank_ref', rnd(5) ? jstr((string)mt_rand(100000000, 999999999)) : (string)mt_rand()];
    if (rnd(2)) $mem[] = ['sender_upi', jstr(pick(['payer@okicici', '', "p\u{e4}yer@upi"]))];
    if (rnd(2)) $mem[] = ['ref_code', jstr(bin2hex(rbytes(8)))];
    if (rnd(3)) $mem[] = ['refund_info', refund_info_token()];
    for ($j = rnd(4) == 0 ? 1 + rnd(3) : 0; $j > 0; $j--) $mem[] = junk_member();
    shuffle($mem);
    // tampering after sealing
    $t = rnd(100);
    if ($t < 5) {
        $tags[] = 'tampered';
        $field = pick(['received_amount', 'status', 'order_id', 'requested_amount', 'amount']);
        $tok = ['received_amount' => fn() => rnd(2) ? amount_token(mt_rand(1, 10000000)) : odd_amount_token(),
                'requested_amount' => fn() => amount_token(mt_rand(1, 10000000)),
                'amount' => fn() => amount_token(mt_rand(1, 10000000)),
                'status' => fn() => jstr(pick(STATUSES)),
                'order_id' => fn() => order_token()][$field]();
        $found = false;
        foreach ($mem as &$kv) if ($kv[0] === $field) { $kv[1] = $tok; $found = true; }
        unset($kv);
        if (!$found) $mem[] = [$field, $tok];
        $tags[] = "tampered_$field";
    } elseif ($t < 8) { // a key twice: PHP takes the last
        $tags[] = 'duplicate_key';
        $k = rnd(count($mem));
        $dup = [$mem[$k][0], pick([odd_amount_token(), jstr('x'), $mem[$k][1]])];
        if (rnd(2)) array_splice($mem, $k, 0, [$dup]); else $mem[] = $dup;
    } elseif ($t < 9) {
        $tags[] = 'deep';
        $mem[] = ['refund_info', nested_token(pick([509, 510, 511, 512]))];
    }
    $body = members_to_json($mem);
    // structural damage, rare
    $s = rnd(1000);
    if ($s < 10) {
        $tags[] = 'structure';
        $body = pick([
            fn($b) => substr($b, 0, rnd(strlen($b))),
            fn($b) => "\xef\xbb\xbf" . $b,
            fn($b) => $b . pick(['x', ',', '}', ' {}']),
            fn($b) => '[' . $b . ']',
            fn($b) => jstr($b),
            fn($b) => pick(['', 'null', '123', 'true', '[]', '{}']),
            fn($b) => str_replace('"status"', "\"st\xc3(atus\"", $b),
            fn($b) => str_replace('"status"', "\"st\x01atus\"", $b),
            fn($b) => str_replace('"status"', '"st\ud800atus"', $b),
            fn($b) => preg_replace('/,/', ",\x00", $b, 1),
            fn($b) => substr($b, 0, -1) . ',"pad":"' . str_repeat('p', 66000) . '"}',
        ])($body);
    }
    $truth = 'sealed=' . $sealed . ';hashed=' . b64($hashed) . ';field=' . $hashed_field
           . ';kind=' . $kind . ';tags=' . implode(',', $tags);
    echo "W\t$id\t$m\t", b64($body), "\t$truth\n";
}

for ($i = 0; $i < $n_bodies; $i++) {
    $m = rnd(count($secrets));
    make_body($i, $m, $secrets[$m]);
}

// ---- V2 bodies (spec §3.4) -------------------------------------------------
function v2_string() {
    return pick([
        fn() => rtext(rnd(30), ALNUM),
        fn() => 'https://merchant.example/return?x=1&y=' . rnd(100) . '#f',
        fn() => "Jos\u{e9} \u{d1}o\u{f1}o",
        fn() => "\u{92e}\u{941}\u{902}\u{92c}\u{908}",
        fn() => "pay \u{1f600} now \u{10348}",
        fn() => "a/b\\c\"d\n\r\t\x08\x0c\x01\x1f\x7f<&>'",
        fn() => "\u{2028}\u{2029}\u{feff}",
        fn() => "nul\0byte",
        fn() => '',
        fn() => (string)mt_rand(),
        fn() => sprintf('%.4f', mt_rand() / 1e7),
    ])();
}
function v2_key($top) {
    $k = pick(['pid', 'amount', 'order_id', 'name', 'email', 'phone', 'redirect_url', 'ip',
               'latitude', 'longitude', 'customer_id', 'upi_id', 'wallet_type', 'B', 'a_b', 'ab',
               'Z', 'aa', '_x', "\u{43a}\u{43b}\u{44e}\u{447}", "k\u{e9}y", 'a/b', '', 'x y',
               rtext(1 + rnd(8), 'abcXYZ_')]);
    if (!$top && rnd(4) == 0) $k = pick(['0', '1', '2', '-1', '01', '1.5', ' 3', '10']);
    return $k;
}
function v2_value($depth) {
    $r = rnd($depth > 3 ? 6 : 9);
    switch ($r) {
    case 0: case 1: return jstr(v2_string());
    case 2: return (string)(mt_rand() - (1 << 30));
    case 3: return pick([json_encode(mt_rand() / mt_getrandmax() * 10 ** mt_rand(-30, 30)),
                         sprintf('%.17g', (mt_rand() - (1 << 30)) / 1000), '-0.0', '100.0', '1e25',
                         '0.30000000000000004', '9007199254740993', '-9223372036854775808']);
    case 4: return pick(['true', 'false', 'null']);
    case 5: return jstr(v2_string());
    case 6: // list
        $n = rnd(4); $a = [];
        for ($i = 0; $i < $n; $i++) $a[] = v2_value($depth + 1);
        return '[' . implode(',', $a) . ']';
    default: // object, keys in given order; sometimes 0..n-1
        $n = rnd(4); $a = []; $seq = rnd(3) == 0;
        for ($i = 0; $i < $n; $i++) $a[] = jstr($seq ? (string)$i : v2_key(false)) . ':' . v2_value($depth + 1);
        return '{' . implode(',', $a) . '}';
    }
}
for ($i = 0; $i < $n_v2; $i++) {
    $m = rnd(count($secrets));
    $n = 1 + rnd(12);
    $mem = [];
    for ($j = 0; $j < $n; $j++)
        $mem[] = [v2_key(true), v2_value(0)];
    if (rnd(3) == 0) $mem[] = ['signature', jstr(bin2hex(rbytes(32)))];
    if (rnd(200) == 0) $mem[] = [pick(['0', '12', '-1', ' x', '.5']), '1']; // D5
    echo "V\t$i\t$m\t", b64(members_to_json($mem)), "\n";
}

// ---- request-side inputs (spec §3.2, §3.3, §3.4, §6, §7, §10.5) ------------
function req_text() {
    return pick([
        fn() => bin2hex(rbytes(1 + rnd(32))),
        fn() => rtext(1 + rnd(20), ALNUM),
        fn() => "\u{92a}\u{940}\u{906}\u{908}\u{921}-" . rnd(1000),
        fn() => rtext(300, ALNUM),
        fn() => '',
        fn() => 'a b/c"d\\e',
    ])();
}
function req_date() {
    return sprintf('%02d-%02d-%04d', 1 + rnd(28), 1 + rnd(12), 2000 + rnd(40));
}
for ($i = 0; $i < $n_req; $i++) {
    $m = rnd(count($secrets));
    $kind = pick(['poll', 'refund', 'recon', 'wallet', 'build_status', 'build_status_order',
                  'build_refund', 'build_recon', 'build_payin_v2']);
    $a = $b = $c = '';
    switch ($kind) {
    case 'poll': case 'refund': $a = req_text(); $b = req_text(); break;
    case 'recon': $a = req_text(); $b = rnd(4) ? req_date() : req_text(); break;
    case 'wallet': break;
    case 'build_status': case 'build_refund':
        $a = rnd(2) ? bin2hex(rbytes(32)) : rtext(1 + rnd(60), ALNUM . '-_.:/');
        $b = (string)(rnd(3) ? 0 : 100 * mt_rand(1, 100000));
        break;
    case 'build_status_order':
        $a = 'ORD' . rtext(10 + rnd(10), ALNUM);
        break;
    case 'build_recon': $a = req_date(); break;
    case 'build_payin_v2':
        $a = 'ORD' . rtext(10 + rnd(10), ALNUM);
        $b = (string)(100 * mt_rand(1, 100000));
        $c = pick(['Asha Rao', "Jos\u{e9} \u{d1}o\u{f1}o", "\u{906}\u{936}\u{93e} \u{930}\u{93e}\u{935}",
                   "O'Brien / \"Q\"", rtext(1 + rnd(90), ALNUM . ' ')]);
        break;
    }
    echo "R\t$i\t$m\t$kind\t", b64($a), "\t", b64($b), "\t", b64($c), "\n";
}
