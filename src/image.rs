//! Images attached to the conversation (a `@shot.png` or a pasted image
//! path in a prompt, a read of an image file). The arena and the session
//! keep only the path, size, SHA-256 and media type; a request body gets
//! the bytes as a `Source` (src/provider/reqbody.rs), base64-encoded
//! straight from the file a chunk at a time while the body is sent, so a
//! 5 MB screenshot is never held in memory. A file that changed since it
//! was attached is never sent under its name: `note` says so when the body
//! is assembled, and the source fails the request if the bytes it reads
//! are not the attached ones. PNG, JPEG, GIF and WebP, by their magic
//! bytes, up to 5 MB.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::provider::reqbody::Source;

pub const MAX_SIZE: u64 = 5 * 1024 * 1024;

/// An attached image as the arena and the session keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub media: String,
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub hash: String,
    /// Absolute.
    pub path: String,
}

impl Image {
    /// From the arena form, `media size hash path`.
    pub fn parse(s: &str) -> Option<Image> {
        let mut it = s.splitn(4, ' ');
        let media = it.next()?.to_string();
        let size = it.next()?.parse().ok()?;
        let hash = it.next()?.to_string();
        let path = it.next()?.to_string();
        Some(Image {
            media,
            size,
            hash,
            path,
        })
    }

    /// The arena form.
    pub fn record(&self) -> String {
        format!("{} {} {} {}", self.media, self.size, self.hash, self.path)
    }

    /// Are the file's bytes still the attached ones?
    pub fn intact(&self) -> bool {
        digest(Path::new(&self.path)).is_ok_and(|(n, h)| n == self.size && h == self.hash)
    }

    /// The length of `write_base64`'s output.
    pub fn base64_len(&self) -> u64 {
        crate::base64::encoded_len(self.size)
    }

    /// The bytes as base64, as a piece of a request body.
    pub fn base64(&self) -> Box<dyn Source> {
        Box::new(Base64(self.clone()))
    }

    /// The file's bytes as base64, read and encoded 12 KB at a time. Fails
    /// when they are not the attached bytes (the file changed after
    /// `intact` said yes), so the request is abandoned, not sent with them.
    pub fn write_base64(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut f = File::open(&self.path)?;
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 12 * 1024];
        let mut out = Vec::with_capacity(16 * 1024);
        let mut total = 0u64;
        loop {
            let n = fill(&mut f, &mut buf)?;
            let chunk = buf.get(..n).unwrap_or_default();
            ctx.update(chunk);
            total += n as u64;
            if total > self.size {
                break;
            }
            out.clear();
            crate::base64::encode_into(chunk, &mut out);
            w.write_all(&out)?;
            if n < buf.len() {
                break;
            }
        }
        if total != self.size || hex(ctx.finish().as_ref()) != self.hash {
            let e = format!("{} changed while it was being sent", self.path);
            return Err(io::Error::other(e));
        }
        Ok(())
    }

    /// The text a request carries instead of the image: the model takes
    /// none, or the file is no longer what was attached.
    pub fn note(&self, vision: bool) -> Option<String> {
        if !vision {
            return Some(format!(
                "[image {} not sent: this model does not take images (models.ID.vision is false)]",
                self.path
            ));
        }
        (!self.intact()).then(|| {
            format!(
                "[image {} not sent: the file changed or went away after it was attached; attach it again to send it as it is now]",
                self.path
            )
        })
    }
}

/// An image's base64, written while the request body is sent.
struct Base64(Image);

impl Source for Base64 {
    fn size(&self) -> u64 {
        self.0.base64_len()
    }

    fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        self.0.write_base64(w)
    }
}

/// The media type of an image by its first bytes.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// Attach the file at `path` (absolute): its arena form, None when it is
/// not an image of a known type, an error when it is one but over 5 MB or
/// unreadable.
pub fn attach(path: &Path) -> Result<Option<String>, String> {
    let shown = path.display();
    let fail = |e: io::Error| format!("cannot attach {shown}: {e}");
    let mut f = File::open(path).map_err(fail)?;
    if !f.metadata().map_err(fail)?.is_file() {
        return Ok(None);
    }
    let mut head = [0u8; 16];
    let n = fill(&mut f, &mut head).map_err(fail)?;
    let Some(media) = sniff(head.get(..n).unwrap_or_default()) else {
        return Ok(None);
    };
    let (size, hash) = digest(path).map_err(fail)?;
    if size > MAX_SIZE {
        return Err(format!(
            "{shown} is an image over 5 MB; only images up to 5 MB are attached"
        ));
    }
    let path = path
        .to_str()
        .ok_or_else(|| format!("cannot attach {shown}: the path is not UTF-8"))?;
    Ok(Some(
        Image {
            media: media.to_string(),
            size,
            hash,
            path: path.to_string(),
        }
        .record(),
    ))
}

/// Size and SHA-256 of a file, reading at most one byte past `MAX_SIZE`.
fn digest(path: &Path) -> io::Result<(u64, String)> {
    let f = File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    let mut f = f.take(MAX_SIZE + 1);
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(buf.get(..n).unwrap_or_default());
        size += n as u64;
    }
    Ok((size, hex(ctx.finish().as_ref())))
}

/// Read until `buf` is full or the file ends.
fn fill(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match f.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_by_magic_bytes_streamed_and_checked() {
        let dir = std::env::temp_dir().join(format!("mote-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("shot.dat");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend((0..40_000u32).map(|i| (i * 7 % 251) as u8));
        std::fs::write(&png, &bytes).unwrap();
        let rec = attach(&png).unwrap().unwrap();
        let img = Image::parse(&rec).unwrap();
        assert_eq!(
            (img.media.as_str(), img.size),
            ("image/png", bytes.len() as u64)
        );
        assert!(img.intact() && img.note(true).is_none());
        assert!(img.note(false).unwrap().contains("does not take images"));
        let mut out = Vec::new();
        img.write_base64(&mut out).unwrap();
        assert_eq!(out, crate::base64::encode(&bytes).as_bytes());
        assert_eq!(out.len() as u64, img.base64_len());
        let mut again = Vec::new();
        img.base64().write_to(&mut again).unwrap();
        assert_eq!(
            (again, img.base64().size()),
            (out.clone(), out.len() as u64)
        );
        // Changed since: noted before a request, refused while writing one.
        bytes[100] ^= 1;
        std::fs::write(&png, &bytes).unwrap();
        assert!(!img.intact());
        assert!(img.note(true).unwrap().contains("changed"));
        assert!(img.write_base64(&mut Vec::new()).is_err());
        for (head, media) in [
            (&b"\xff\xd8\xff\xe0rest"[..], Some("image/jpeg")),
            (b"GIF89a..", Some("image/gif")),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Some("image/webp")),
            (b"RIFF\x10\0\0\0WAVEfmt ", None),
            (b"plain text", None),
        ] {
            assert_eq!(sniff(head), media);
        }
        let text = dir.join("a.png");
        std::fs::write(&text, "not really").unwrap();
        assert_eq!(attach(&text).unwrap(), None);
        let big = dir.join("big.gif");
        let mut f = File::create(&big).unwrap();
        f.write_all(b"GIF89a").unwrap();
        f.set_len(MAX_SIZE + 1).unwrap();
        assert!(attach(&big).unwrap_err().contains("over 5 MB"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
