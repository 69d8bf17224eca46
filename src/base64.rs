//! Standard base64 (RFC 4648, with padding), encoding only: proxy
//! credentials (`Proxy-Authorization: Basic`) and images streamed from disk
//! into request bodies, a chunk at a time.

const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 of `data`, appended to `out`. A chunk whose length is a multiple
/// of 3 ends without padding, so consecutive chunks encode as one.
pub fn encode_into(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(match i <= chunk.len() {
                true => ABC[(n >> (18 - 6 * i) & 63) as usize],
                false => b'=',
            });
        }
    }
}

/// Base64 of `data` as a string.
pub fn encode(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    encode_into(data, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// How long the base64 of `n` bytes is.
pub fn encoded_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_4648_vectors_and_chunking() {
        let v = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, b64) in v {
            assert_eq!(super::encode(plain.as_bytes()), b64);
            assert_eq!(super::encoded_len(plain.len() as u64), b64.len() as u64);
        }
        let mut out = Vec::new();
        super::encode_into(b"foo", &mut out);
        super::encode_into(b"bar", &mut out);
        assert_eq!(out, b"Zm9vYmFy");
        assert_eq!(super::encode(&[0xff, 0xfe]), "//4=");
    }
}
