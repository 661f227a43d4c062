#!/usr/bin/env bash
# webhook_vectors.sh -- regenerates tests/data/webhook/*.json: callbacks and
# poll answers sealed by PayAtom's own PHP encrypt() (spec §3.1, [P] docs),
# with fixed IVs so the output is reproducible. Tampered copies keep the
# original post_hash. Needs php with the openssl extension.
#   usage: tests/data/gen/webhook_vectors.sh   (from the repository root)
set -euo pipefail
out=$(cd "$(dirname "$0")/.." && pwd)/webhook
mkdir -p "$out"
php -d display_errors=stderr -- "$out" "$(dirname "$0")" <<'PHP'
<?php
// The docs' encrypt() (payatom_docs.php), base64 as the gateway sends it.
require $argv[2] . "/payatom_docs.php";
function seal($plaintext, $secret_key, $iv) {
    return base64_encode(encrypt($plaintext, $secret_key, $iv));
}
$out = $argv[1];
$secret = "tEst-Secret-Key-0123456789";
file_put_contents("$out/secret.txt", $secret);
$n = 0;
// name => [fields, amount text that enters the hash, secret used]
function vec($name, $f, $hash_amount, $secret) {
    global $out, $n;
    $n++;
    $iv = str_pad(sprintf("iv-vector-%02d", $n), 16, "#");
    $f["post_hash"] = seal(md5($f["order_id"] . $hash_amount . $f["status"] . $secret), $secret, $iv);
    file_put_contents("$out/$name.json", json_encode($f, JSON_UNESCAPED_SLASHES) . "\n");
    return $f;
}
$base = ["order_id" => "ORD1234567890", "requested_amount" => "100", "received_amount" => "100",
         "bank_ref" => "412345678901", "ref_code" => "9f1c2d3e4b5a6978", "status" => "Approved",
         "sender_upi" => "payer@okicici", "refund_info" => []];
// Current form: md5(order_id . received_amount . status . secret) (§3.2).
$ok = vec("callback_approved", $base, "100", $secret);
$mm = $base; $mm["requested_amount"] = "500"; $mm["received_amount"] = "450"; $mm["status"] = "Amount Mismatch";
vec("callback_amount_mismatch", $mm, "450", $secret);
// received_amount sent with decimals, hashed as PHP prints the number (§3.2 [I]).
$dec = $base; $dec["requested_amount"] = "12.50"; $dec["received_amount"] = "12.50";
vec("callback_decimal_php_hash", $dec, (string)(float)"12.50", $secret);
// Older form (§12.1): only requested_amount, and the hash is over it.
$late = $base; $late["status"] = "Late Approved"; unset($late["received_amount"]);
vec("callback_hash_over_requested", $late, "100", $secret);
// Hash over requested_amount while received_amount differs: the received
// amount is not covered by the hash, so it must not verify.
$unh = $base; $unh["received_amount"] = "99";
vec("callback_unhashed_received_amount", $unh, "100", $secret);
// Feb-2023 form: a single "amount" field (§3.2, §6 [P]).
$old = ["order_id" => "63e1fe596ed8aa", "upi_id" => "collect@upi", "amount" => "2000",
        "webhook_acknowledged" => "0", "status" => "Refund Initiated",
        "refund_info" => ["refunded_upi" => "", "refund_amount" => "100",
                          "refund_initiated_time" => "February 11, 2023, 4:34 pm",
                          "refund_completed_time" => "", "refund_status" => "Refund Initiated",
                          "refund_notes" => ""]];
vec("poll_refund_initiated_amount_form", $old, "2000", $secret);
// A poll answer with numeric amounts (as [I] observed) and ref_code.
$num = ["order_id" => "ORD1234567891", "ref_code" => "5c0ffee1", "upi_id" => "banker@okaxis",
        "requested_amount" => 201, "received_amount" => 201, "bank_ref" => "412345678902",
        "sender_upi" => "", "webhook_acknowledged" => "1", "status" => "Approved", "refund_info" => []];
vec("poll_numeric_amounts", $num, "201", $secret);
// Sealed with another merchant secret: must not verify.
vec("callback_wrong_secret", $base, "100", "another-merchants-secret");
// Tampered copies of callback_approved (post_hash unchanged).
$t = $ok; $t["received_amount"] = "1000"; file_put_contents("$out/callback_tampered_amount.json", json_encode($t, JSON_UNESCAPED_SLASHES) . "\n");
$t = $ok; $t["status"] = "Late Approved"; file_put_contents("$out/callback_tampered_status.json", json_encode($t, JSON_UNESCAPED_SLASHES) . "\n");
$t = $ok; $t["order_id"] = "ORD1234567899"; file_put_contents("$out/callback_tampered_order_id.json", json_encode($t, JSON_UNESCAPED_SLASHES) . "\n");
$t = $ok; $b = base64_decode($t["post_hash"]); $b[20] = chr(ord($b[20]) ^ 1); $t["post_hash"] = base64_encode($b);
file_put_contents("$out/callback_tampered_mac.json", json_encode($t, JSON_UNESCAPED_SLASHES) . "\n");
// Raw bodies, for JSON spellings json_encode() never writes (100.00, 1e2):
// @PH@ is replaced by the post_hash sealed over md5(order_id_text .
// hash_amount . status_text . secret), the texts as the docs' PHP
// concatenates them. $mangle rewrites the post_hash (base64 spellings).
function rawvec($name, $raw, $order_text, $hash_amount, $status_text, $secret, $mangle = null) {
    global $out, $n;
    $n++;
    $iv = str_pad(sprintf("iv-vector-%02d", $n), 16, "#");
    $ph = seal(md5($order_text . $hash_amount . $status_text . $secret), $secret, $iv);
    if ($mangle) $ph = $mangle($ph);
    file_put_contents("$out/$name.json", str_replace("@PH@", addcslashes($ph, "\n\r\t"), $raw) . "\n");
}
$cb = '{"order_id":"ORD1234567890","requested_amount":%s,"received_amount":%s,"status":"%s","ref_code":"9f1c2d3e4b5a6978","post_hash":"@PH@"}';
// issue 13: JSON numbers with a fraction or an exponent; PHP hashes "100"
foreach (["100_00" => ["100.00", "100"], "500_0" => ["500.0", "500"],
          "2000_0" => ["2000.0", "2000"], "exp" => ["1e2", "100"],
          "exp_upper" => ["1.0E+2", "100"]] as $nm => [$sp, $txt])
    rawvec("callback_float_$nm", sprintf($cb, '"100"', $sp, "Approved"), "ORD1234567890", $txt, "Approved", $secret);
// the unhashed requested_amount as a float does not matter
rawvec("callback_float_requested_amount", sprintf($cb, "100.00", '"100"', "Approved"), "ORD1234567890", "100", "Approved", $secret);
// more than 14 significant digits: PHP prints 0.1 + 0.2 as "0.3"
rawvec("callback_float_17_digits", sprintf($cb, '"100"', "0.30000000000000004", "Approved"), "ORD1234567890", "0.3", "Approved", $secret);
// Pending with received_amount null / absent: PHP concatenates ""
rawvec("callback_pending_received_null", sprintf($cb, '"100"', "null", "Pending"), "ORD1234567890", "", "Pending", $secret);
rawvec("callback_pending_received_absent", '{"order_id":"ORD1234567890","requested_amount":"100","status":"Pending","post_hash":"@PH@"}', "ORD1234567890", "", "Pending", $secret);
// a numeric order_id concatenates as its digits
rawvec("callback_numeric_order_id", '{"order_id":12345,"received_amount":"100","status":"Approved","post_hash":"@PH@"}', "12345", "100", "Approved", $secret);
// post_hash spellings PHP's non-strict base64_decode() reads
$forms = [
  "unpadded" => function ($p) { return rtrim($p, "="); },
  "chunked" => function ($p) { return chunk_split($p, 76, "\r\n"); },
  "spaces" => function ($p) { return implode(" ", str_split($p, 10)); },
  "inner_equals" => function ($p) { return substr($p, 0, 20) . "=" . substr($p, 20); },
  "stray_char" => function ($p) { return substr($p, 0, 7) . "*" . substr($p, 7); },
];
foreach ($forms as $f => $m)
    rawvec("callback_post_hash_$f", sprintf($cb, '"100"', '"100"', "Approved"), "ORD1234567890", "100", "Approved", $secret, $m);
// hash over `amount` (Feb-2023 form) while received_amount differs: the
// docs' PHP accepts it, we refuse it by name (api.h D1)
rawvec("callback_amount_form_received_differs", '{"order_id":"ORD1234567890","amount":"100","received_amount":"90","status":"Approved","post_hash":"@PH@"}', "ORD1234567890", "100", "Approved", $secret);
// hash over "" where received_amount is "100": the docs' PHP reads the
// absent `amount` as "" and accepts it; it covers no amount (D1)
rawvec("callback_hash_over_no_amount", '{"order_id":"ORD1234567890","received_amount":"100","status":"Approved","post_hash":"@PH@"}', "ORD1234567890", "", "Approved", $secret);
// hash over an empty order_id: verifies, but there is no order (D3)
rawvec("callback_no_order_id", '{"received_amount":"100","status":"Approved","post_hash":"@PH@"}', "", "100", "Approved", $secret);
PHP
echo "wrote $(ls "$out" | wc -l) files to $out"
