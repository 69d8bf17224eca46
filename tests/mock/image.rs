//! The mock's reading of attached images: each wire format's image fields
//! in a request body, with their media type and bytes. The base64 is
//! decoded strictly (alphabet, length, padding), so a test that compares
//! the bytes with the file proves the image reached the model exactly.

use super::json::{parse, Value};
use super::{Dialect, Request};

/// The images in a request, in order: (media type, bytes). Ollama's
/// `images` carry no type: "" there.
pub fn images(req: &Request) -> Result<Vec<(String, Vec<u8>)>, String> {
    let route = req.path.split('?').next().unwrap_or("");
    let d = Dialect::of(route).ok_or_else(|| format!("no wire at {route}"))?;
    let body = parse(&req.body)?;
    let list = |v: &Value, k: &str| v.get(k).and_then(Value::as_array).unwrap_or(&[]).to_vec();
    let s = |v: &Value, path: &[&str]| {
        let mut v = v;
        for k in path {
            v = v.get(k)?;
        }
        v.as_str().map(str::to_string)
    };
    let mut out = Vec::new();
    let top = match d {
        Dialect::Responses => "input",
        Dialect::Gemini => "contents",
        _ => "messages",
    };
    for m in list(&body, top) {
        match d {
            Dialect::Ollama => {
                for i in list(&m, "images") {
                    out.push((
                        String::new(),
                        decode(i.as_str().ok_or("image not a string")?)?,
                    ));
                }
            }
            Dialect::Gemini => {
                for p in list(&m, "parts")
                    .iter()
                    .filter_map(|p| p.get("inline_data"))
                {
                    let media = s(p, &["mime_type"]).ok_or("inline_data without mime_type")?;
                    out.push((media, decode(&s(p, &["data"]).ok_or("no data")?)?));
                }
            }
            _ => {
                for c in list(&m, "content") {
                    let kind = s(&c, &["type"]).unwrap_or_default();
                    let url = match kind.as_str() {
                        "image_url" => s(&c, &["image_url", "url"]),
                        "input_image" => s(&c, &["image_url"]),
                        "image" => {
                            if s(&c, &["source", "type"]).as_deref() != Some("base64") {
                                return Err("image source is not base64".into());
                            }
                            let media = s(&c, &["source", "media_type"]).ok_or("no media_type")?;
                            let data = s(&c, &["source", "data"]).ok_or("no data")?;
                            out.push((media, decode(&data)?));
                            continue;
                        }
                        _ => continue,
                    };
                    let url = url.ok_or("image without url")?;
                    let rest = url.strip_prefix("data:").ok_or("not a data URL")?;
                    let (media, data) = rest.split_once(";base64,").ok_or("not base64")?;
                    out.push((media.to_string(), decode(data)?));
                }
            }
        }
    }
    Ok(out)
}

/// Strict standard base64.
pub fn decode(s: &str) -> Result<Vec<u8>, String> {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    if b.len() % 4 != 0 {
        return Err(format!("base64 length {} is not a multiple of 4", b.len()));
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (ci, chunk) in b.chunks(4).enumerate() {
        let last = ci + 1 == b.len() / 4;
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err("bad base64 padding".into());
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = match (i >= 4 - pad, ABC.iter().position(|a| a == c)) {
                (true, _) => 0,
                (false, Some(v)) => v as u32,
                (false, None) => return Err(format!("bad base64 byte {c:#x}")),
            };
            n = n << 6 | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}
