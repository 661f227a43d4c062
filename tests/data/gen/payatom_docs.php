<?php
// payatom_docs.php -- PayAtom's own PHP code, from the docs' page
// /work/shared/spec/000_2ba833a2bd8f7455.txt (spec §3.1, §5, §6): the
// encrypt()/decrypt() functions and the webhook verification steps. The
// independent reference every PHP tool under tests/ runs (tests/data/gen,
// tests/differential); never copied into the product. Adapted minimally:
//   * encrypt() takes an optional fixed IV (known-answer vectors, seeded
//     generators); with NULL it draws 16 random bytes exactly as the docs do;
//   * the docs' typo `$iv=openssl_$iv=openssl_random_pseudo_bytes(16);` is
//     fixed.
// Everything else (key = hash('sha256', $password, true), HMAC over
// ciphertext . iv, blob = iv . hash . ciphertext) is the docs' code verbatim.

// Function for encryption (docs, + optional $iv)
function encrypt($plaintext, $password, $iv = null)
{
    $method = "AES-256-CBC";
    $key = hash('sha256', $password, true);
    if ($iv === null)
        $iv = openssl_random_pseudo_bytes(16);
    $ciphertext = openssl_encrypt($plaintext, $method, $key, OPENSSL_RAW_DATA, $iv);
    $hash = hash_hmac('sha256', $ciphertext . $iv, $key, true);
    return $iv . $hash . $ciphertext;
}

// Function to decrypt (docs, verbatim)
function decrypt($ivHashCiphertext, $password) {
    $method = "AES-256-CBC";
    $iv = substr($ivHashCiphertext, 0, 16);
    $hash = substr($ivHashCiphertext, 16, 32);
    $ciphertext = substr($ivHashCiphertext, 48);
    $key = hash('sha256', $password, true);

    if (!hash_equals(hash_hmac('sha256', $ciphertext . $iv, $key, true), $hash)) {
        return null;
    }

    return openssl_decrypt($ciphertext, $method, $key, OPENSSL_RAW_DATA, $iv);
}

// The docs' "Steps to Integrate WebHook" (spec §5), on the raw body: base64
// decode post_hash, decrypt() it, compare it (===) with
// md5($order_id . $amount_received . $status . $secret_key). The docs name
// received_amount; spec §3.2/§12.1 documents the Feb-2023 form with
// `amount` in its place, so that form is tried second ("accept every
// documented variant"). Poll answers are verified the same way (§6: the
// docs' polling sample hashes a misspelt key of the raw string, spec
// §12.1). Returns [verdict, form, mac] -- verdict 'HashMatched' or
// 'HashMismatch'; form 'received', 'amount' or '-'; mac 1 when decrypt()
// passed the HMAC check (returned something other than null).
function docs_verify_callback($body, $secret_key)
{
    $JSON = json_decode($body, true);
    try {
        $encrypted_hash = @base64_decode($JSON['post_hash']);
        $remote_hash = decrypt($encrypted_hash, $secret_key);
        $mac = $remote_hash === null ? 0 : 1;
        $order_id = @$JSON['order_id'];
        $status = @$JSON['status'];
        foreach (['received' => 'received_amount', 'amount' => 'amount'] as $form => $key) {
            $amount_received = @$JSON[$key];
            $local_hash = @md5($order_id . $amount_received . $status . $secret_key);
            if ($remote_hash === $local_hash)
                return ['HashMatched', $form, $mac];
        }
        return ['HashMismatch', '-', $mac];
    } catch (Throwable $e) {
        return ['HashMismatch', '-', 0];
    }
}
