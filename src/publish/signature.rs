//! Cloudinary request signatures (pure functions).
//!
//! The string to sign is every parameter except `file`, `cloud_name`, `resource_type`,
//! `api_key` and those with empty values, sorted by name and joined as `name=value` with `&`;
//! the signature is the lowercase hex SHA-1 of that string with the API secret appended (no
//! separator). Values are used as they are, not URL-encoded.

use sha1::{Digest, Sha1};

/// Parameters that are sent but never signed.
pub const UNSIGNED_PARAMS: [&str; 4] = ["file", "cloud_name", "resource_type", "api_key"];

/// The string to sign for `params`, without the secret.
pub fn string_to_sign(params: &[(&str, &str)]) -> String {
    let mut signed: Vec<(&str, &str)> = params
        .iter()
        .copied()
        .filter(|(k, v)| !v.is_empty() && !UNSIGNED_PARAMS.contains(k))
        .collect();
    signed.sort();
    let mut out = String::new();
    for (i, (k, v)) in signed.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The hex SHA-1 signature of `params` with `api_secret`.
pub fn sign(params: &[(&str, &str)], api_secret: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(string_to_sign(params).as_bytes());
    hasher.update(api_secret.as_bytes());
    to_hex(&hasher.finalize())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cloudinary's documented example ("Generating authentication signatures").
    #[test]
    fn documented_example() {
        let params = [
            ("timestamp", "1315060510"),
            ("public_id", "sample_image"),
            ("eager", "w_400,h_300,c_pad|w_260,h_200,c_crop"),
            ("api_key", "1234"),
            ("file", "ignored"),
            ("cloud_name", "demo"),
            ("resource_type", "image"),
            ("tags", ""),
        ];
        assert_eq!(
            format!("{}abcd", string_to_sign(&params)),
            "eager=w_400,h_300,c_pad|w_260,h_200,c_crop&public_id=sample_image&timestamp=1315060510abcd"
        );
        assert_eq!(
            sign(&params, "abcd"),
            "bfd09f95f331f558cbd1320e67aa8d488770583e"
        );
    }

    #[test]
    fn empty_params() {
        assert_eq!(string_to_sign(&[]), "");
        // SHA-1 of "abc".
        assert_eq!(sign(&[], "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
