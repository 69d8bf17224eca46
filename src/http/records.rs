//! The request writer: whatever sizes a request is written in (a header
//! line, a comma, a 2 MB span of the conversation), the connection is
//! handed whole 16 KB pieces (one full TLS record each, and few socket
//! writes), with what is left over written at the end.

use std::io::{self, Write};

/// The largest TLS record's plaintext.
pub const RECORD: usize = 16 * 1024;

pub struct Records<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Records<W> {
    pub fn new(inner: W) -> Records<W> {
        Records {
            inner,
            buf: Vec::with_capacity(RECORD),
        }
    }
}

impl<W: Write> Write for Records<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        if !self.buf.is_empty() {
            let (head, rest) = data.split_at((RECORD - self.buf.len()).min(data.len()));
            self.buf.extend_from_slice(head);
            data = rest;
            if self.buf.len() < RECORD {
                return Ok(());
            }
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        // Whole pieces go straight from the caller's bytes.
        let (whole, rest) = data.split_at(data.len() - data.len() % RECORD);
        if !whole.is_empty() {
            self.inner.write_all(whole)?;
        }
        self.buf.extend_from_slice(rest);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the size of every write it gets.
    #[derive(Default)]
    struct Sizes(Vec<usize>, Vec<u8>);
    impl Write for &mut Sizes {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.push(b.len());
            self.1.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_write_but_the_last_is_whole_records() {
        let mut sizes = Sizes::default();
        let mut want = Vec::new();
        {
            let mut w = Records::new(&mut sizes);
            for (i, n) in [3, 200, 40_000, 1, 1, 16_384, 100_000, 7, 5000]
                .into_iter()
                .enumerate()
            {
                let piece = vec![i as u8; n];
                w.write_all(&piece).unwrap();
                want.extend_from_slice(&piece);
            }
            w.flush().unwrap();
        }
        assert_eq!(sizes.1, want, "the bytes, in order");
        let (last, rest) = sizes.0.split_last().unwrap();
        assert!(*last <= RECORD && *last > 0, "{:?}", sizes.0);
        assert!(
            rest.iter().all(|n| n % RECORD == 0 && *n > 0),
            "{:?}",
            sizes.0
        );
        assert_eq!(rest.iter().sum::<usize>() + last, want.len());
    }
}
