<?php
// verdict.php -- the docs' PHP verdict on every case of gen.php (the
// reference side of the differential test; docs/gateway-fidelity.md).
//
//   php verdict.php cases.tsv c.tsv > php.tsv
//
// W: docs_verify_callback() (tests/data/gen/payatom_docs.php): the docs'
//    webhook steps on the raw body with the merchant's secret.
//    -> W <id> <HashMatched|HashMismatch> <form> <mac> <received text> <amount text>
// V: what the V2 signer does: json_decode, unset signature, ksort(),
//    json_encode(), then hash('sha256', $json . $secret) and
//    hash_hmac('sha256', $json, $secret) (spec §3.4).
//    -> V <id> <canonical json|-> <sha256|-> <hmac|->
// R: the gateway's side of each request-side formula: the digest PHP
//    computes, and whether what libpayatom sent (read from c.tsv: its
//    post_hash, signature or whole request body) passes the check the
//    gateway's PHP would run on it.
//    -> R <id> <digest hex|-> <passes 1|0|->
// Texts are base64 where they may hold any byte.
require __DIR__ . '/../data/gen/payatom_docs.php';

error_reporting(E_ALL & ~E_DEPRECATED & ~E_WARNING & ~E_NOTICE);
[$_, $cases_file, $c_file] = $argv;

$c = [];
foreach (file($c_file, FILE_IGNORE_NEW_LINES) as $line) {
    $f = explode("\t", $line);
    if ($f[0] === 'R')
        $c[$f[1]] = $f;
}

function php_text($v) { return @('' . $v); }

// The docs' post_hash check of a request (spec §6, §7): the gateway
// decrypts post_hash and compares it with its own md5.
function opens_to($post_hash, $secret, $md5) {
    $remote = decrypt(base64_decode($post_hash), $secret);
    return $remote === $md5 ? 1 : 0;
}

function v2_canonical($body) {
    $data = json_decode($body, true);
    if (!is_array($data)) return false;
    unset($data['signature']);
    ksort($data);
    return json_encode($data);
}

$secrets = [];
$fh = fopen($cases_file, 'r');
while (($line = fgets($fh)) !== false) {
    $f = explode("\t", rtrim($line, "\n"));
    switch ($f[0]) {
    case 'S':
        $secrets[$f[1]] = base64_decode($f[2]);
        break;
    case 'W':
        $body = base64_decode($f[3]);
        [$verdict, $form, $mac] = docs_verify_callback($body, $secrets[$f[2]]);
        $j = json_decode($body, true);
        $rt = is_array($j) ? php_text($j['received_amount'] ?? null) : '';
        $at = is_array($j) ? php_text($j['amount'] ?? null) : '';
        echo "W\t$f[1]\t$verdict\t$form\t$mac\t", base64_encode($rt), "\t", base64_encode($at), "\n";
        break;
    case 'V':
        $secret = $secrets[$f[2]];
        $canon = v2_canonical(base64_decode($f[3]));
        if ($canon === false)
            echo "V\t$f[1]\t-\t-\t-\n";
        else
            echo "V\t$f[1]\t", base64_encode($canon), "\t", hash('sha256', $canon . $secret),
                 "\t", hash_hmac('sha256', $canon, $secret), "\n";
        break;
    case 'R':
        $secret = $secrets[$f[2]];
        $kind = $f[3];
        $a = base64_decode($f[4]);
        $b = base64_decode($f[5]);
        $cr = $c[$f[1]] ?? null;
        $sent = $cr && $cr[3] !== '-' ? base64_decode($cr[3]) : null;
        $digest = '-';
        $pass = '-';
        switch ($kind) {
        case 'poll': case 'refund':
            // spec §3.2: md5($ref_code . $pid . $secret_key)
            $digest = md5($a . $b . $secret);
            if ($sent !== null) $pass = opens_to($sent, $secret, $digest);
            break;
        case 'recon':
            // spec §3.3: hash('sha256', $pid . $secret_key . $date)
            $digest = hash('sha256', $a . $secret . $b);
            break;
        case 'wallet':
            // spec §3.5: verification_code = md5(password)
            $digest = md5($secret);
            break;
        case 'build_status': case 'build_status_order': case 'build_refund':
            // the gateway's side: read the JSON request, check post_hash
            if ($sent === null) break;
            $req = json_decode($sent, true);
            $key = $kind === 'build_status_order' ? $req['order_id'] : $req['ref_code'];
            $digest = md5($key . $req['pid'] . $secret);
            $pass = ($key === $a && opens_to($req['post_hash'], $secret, $digest)) ? 1 : 0;
            if ($kind === 'build_refund' && $b !== '0')
                $pass = $pass && ($req['amount'] ?? null) === intdiv((int)$b, 100) ? 1 : 0;
            break;
        case 'build_recon':
            if ($sent === null) break;
            $req = json_decode($sent, true);
            $digest = hash('sha256', $req['pid'] . $secret . $req['date']);
            $pass = ($req['date'] === $a && hash_equals($digest, (string)$req['signature'])) ? 1 : 0;
            break;
        case 'build_payin_v2':
            // the V2 signer's check on the whole request body (spec §3.4)
            if ($sent === null) break;
            $req = json_decode($sent, true);
            $canon = v2_canonical($sent);
            $digest = hash('sha256', $canon . $secret);
            $pass = (is_string($req['signature'] ?? null) && hash_equals($digest, $req['signature'])
                     && $req['name'] === base64_decode($f[6])) ? 1 : 0;
            break;
        }
        echo "R\t$f[1]\t$digest\t$pass\n";
        break;
    }
}
