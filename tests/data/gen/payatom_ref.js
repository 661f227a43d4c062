// payatom_ref.js -- PayAtom's own Node reference decrypt() (spec §3.1, the
// seed page /work/shared/spec/000_2ba833a2bd8f7455.txt), verbatim, plus a
// tiny CLI. Used by make_vectors.sh and the cross-check in check_crypto.c.
//
// Usage: node payatom_ref.js open <secret_hex> <base64>  -> plaintext hex | NULL
const crypto = require('crypto');

function decrypt(ivHashCiphertext, password) {
    // If ivHashCiphertext is a string, assume it's base64 encoded
    if (typeof ivHashCiphertext === 'string') {
        ivHashCiphertext = Buffer.from(ivHashCiphertext, 'base64');
    }

    const method = 'aes-256-cbc';

    // Extract the initialization vector (first 16 bytes)
    const iv = ivHashCiphertext.slice(0, 16);

    // Extract the hash (next 32 bytes)
    const hash = ivHashCiphertext.slice(16, 48);

    // Extract the ciphertext (remaining bytes)
    const ciphertext = ivHashCiphertext.slice(48);

    // Generate the key using SHA-256 hash of the password
    const key = crypto.createHash('sha256').update(password, 'utf8').digest();

    // Compute HMAC-SHA256 of (ciphertext || iv) using the key
    const hmac = crypto.createHmac('sha256', key)
        .update(Buffer.concat([ciphertext, iv]))
        .digest();

    // Compare the computed HMAC with the extracted hash
    if (!crypto.timingSafeEqual(hmac, hash)) {
        return null; // Hashes do not match; return null
    }

    try {
        // Decrypt the ciphertext using AES-256-CBC
        const decipher = crypto.createDecipheriv(method, key, iv);
        const plaintext = Buffer.concat([
            decipher.update(ciphertext),
            decipher.final()
        ]);
        return plaintext.toString('utf8'); // Return the decrypted text as a UTF-8 string
    } catch (err) {
        // Decryption failed; return null
        return null;
    }
}

// CLI. Adaptation: the secret is passed as a Buffer (hex on the command
// line) so that non-UTF-8 secrets work; update(Buffer, 'utf8') ignores the
// encoding argument for Buffers. The plaintext is printed as hex of its
// UTF-8 re-encoding (PayAtom plaintexts are ASCII MD5 hex).
const [cmd, secretHex, b64] = process.argv.slice(2);
if (cmd !== 'open') {
    process.stderr.write('usage: node payatom_ref.js open <secret_hex> <base64>\n');
    process.exit(2);
}
let pt = null;
try {
    pt = decrypt(b64, Buffer.from(secretHex, 'hex'));
} catch (err) {
    pt = null; // e.g. timingSafeEqual on a short blob
}
process.stdout.write(pt === null ? 'NULL\n' : Buffer.from(pt, 'utf8').toString('hex') + '\n');
