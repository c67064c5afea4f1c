//! How S3 writes object keys into events: URL-encoded the way HTML forms are. A space arrives
//! as `+` and everything else outside the safe set as `%XX`, so `my rocket+v2 (1).ork` arrives
//! as `my+rocket%2Bv2+%281%29.ork`. Also the stricter encoding of Batch Operations manifests,
//! and which keys name `.ork` files.

/// Decodes an S3 event key: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent-escape at byte {i} of {raw:?}"))?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("key {raw:?} does not decode to UTF-8"))
}

/// Encodes a key the way S3 event notifications do (the inverse of [`decode_key`]): letters,
/// digits and `-_.*/` stay, a space becomes `+`, every other byte `%XX`.
pub fn encode_key(key: &str) -> String {
    percent_encode(key, KeyEncoding::Form)
}

/// Encodes a key for an S3 Batch Operations manifest: letters, digits and `-_./` stay, every
/// other byte (a space too) becomes `%XX`. Without `+` and `*`, a form decoder (such as
/// [`decode_key`]) and a plain percent decoder read the same key.
pub fn encode_key_strict(key: &str) -> String {
    percent_encode(key, KeyEncoding::Strict)
}

/// How [`percent_encode`] writes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyEncoding {
    /// As S3 event notifications: a space as `+`, `*` kept.
    Form,
    /// Only unreserved characters and `/` kept.
    Strict,
}

fn percent_encode(key: &str, encoding: KeyEncoding) -> String {
    let mut out = String::with_capacity(key.len() + key.len() / 4);
    for &b in key.as_bytes() {
        match (b, encoding) {
            (b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/', _)
            | (b'*', KeyEncoding::Form) => out.push(b as char),
            (b' ', KeyEncoding::Form) => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Whether a key names an `.ork` file (any case).
pub fn is_ork_key(key: &str) -> bool {
    key.len() >= 4 && key[key.len() - 4..].eq_ignore_ascii_case(".ork")
}

#[cfg(test)]
mod tests {
    use super::*;
    fn check(raw: &str, expected: Result<&str, ()>) {
        assert_eq!(
            decode_key(raw).map_err(|_| ()),
            expected.map(str::to_string),
            "{raw}"
        );
    }

    #[test]
    fn keys_decode_like_s3_sends_them() {
        check("uploads/rocket.ork", Ok("uploads/rocket.ork"));
        check(
            "uploads/my+rocket%2Bv2+%281%29.ork",
            Ok("uploads/my rocket+v2 (1).ork"),
        );
        check(
            "uploads/H%C3%B6henrakete.ork",
            Ok("uploads/Höhenrakete.ork"),
        );
        check("a%2Fb", Ok("a/b"));
        check("bad%zz.ork", Err(()));
        check("cut%4", Err(()));
        check("%FF%FE.ork", Err(()));
    }

    #[test]
    fn keys_encode_as_s3_does_and_round_trip() {
        for (key, encoded) in [
            ("uploads/rocket.ork", "uploads/rocket.ork"),
            (
                "uploads/my rocket+v2 (1).ork",
                "uploads/my+rocket%2Bv2+%281%29.ork",
            ),
            ("uploads/Höhenrakete.ork", "uploads/H%C3%B6henrakete.ork"),
            ("a%b&c=d.ork", "a%25b%26c%3Dd.ork"),
        ] {
            assert_eq!(encode_key(key), encoded, "{key}");
            assert_eq!(decode_key(encoded).as_deref(), Ok(key), "{key}");
        }
    }

    #[test]
    fn ork_suffix_any_case() {
        for (k, want) in [
            ("a.ork", true),
            ("a.ORK", true),
            ("a.Ork", true),
            ("a.ork.zip", false),
            ("ork", false),
            ("x.rkt", false),
        ] {
            assert_eq!(is_ork_key(k), want, "{k}");
        }
    }
}
