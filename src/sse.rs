//! Server-Sent Events framing: bytes in, fields out, with no line buffered
//! whole. `data` values are handed on in pieces as they arrive, so a huge
//! event costs no memory here; other fields are short and kept (bounded).
//! Lines may end in `\n`, `\r\n` or `\r`, split anywhere across chunks.

#[derive(Debug, PartialEq)]
pub enum Field<'a> {
    /// `event: NAME`.
    Event(&'a [u8]),
    /// A piece of the event's data. A second `data:` line in one event is
    /// preceded by a `Data(b"\n")`, as the standard joins them.
    Data(&'a [u8]),
    /// `id: VALUE`.
    Id(&'a [u8]),
    /// `retry: MILLISECONDS`.
    Retry(u64),
    /// A blank line ended an event that had data.
    Dispatch,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    LineStart,
    Name,
    /// After `data:`; the bool says whether one leading space may be skipped.
    Data(bool),
    /// Value of a short field, collected.
    Value(bool),
    /// A comment or an over-long name: skip to the end of the line.
    Skip,
}

const MAX_VALUE: usize = 1024;

pub struct Framer {
    state: State,
    name: Vec<u8>,
    value: Vec<u8>,
    data_lines: u32,
    /// The last byte was `\r`: a following `\n` belongs to the same line end.
    after_cr: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new()
    }
}

impl Framer {
    pub fn new() -> Framer {
        Framer {
            state: State::LineStart,
            name: Vec::new(),
            value: Vec::new(),
            data_lines: 0,
            after_cr: false,
        }
    }

    pub fn feed(&mut self, input: &[u8], sink: &mut dyn FnMut(Field)) {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    i += 1;
                    continue;
                }
            }
            if let (State::Data(skip_space), false) = (self.state, b == b'\n' || b == b'\r') {
                let start = if skip_space && b == b' ' { i + 1 } else { i };
                self.state = State::Data(false);
                let rest = input.get(start..).unwrap_or(&[]);
                let end = rest
                    .iter()
                    .position(|&c| c == b'\n' || c == b'\r')
                    .map_or(input.len(), |p| start + p);
                if let Some(piece) = input.get(start..end) {
                    if !piece.is_empty() {
                        sink(Field::Data(piece));
                    }
                }
                i = end;
                continue;
            }
            i += 1;
            if b == b'\n' || b == b'\r' {
                self.after_cr = b == b'\r';
                self.end_line(sink);
                continue;
            }
            match self.state {
                State::LineStart if b == b':' => self.state = State::Skip,
                State::LineStart | State::Name => {
                    if b == b':' {
                        self.begin_value(sink);
                    } else if self.name.len() < 16 {
                        self.name.push(b);
                        self.state = State::Name;
                    } else {
                        self.state = State::Skip;
                    }
                }
                State::Value(skip_space) => {
                    self.state = State::Value(false);
                    if !(skip_space && b == b' ') && self.value.len() < MAX_VALUE {
                        self.value.push(b);
                    }
                }
                State::Skip | State::Data(_) => {}
            }
        }
    }

    fn begin_value(&mut self, sink: &mut dyn FnMut(Field)) {
        if self.name == b"data" {
            if self.data_lines > 0 {
                sink(Field::Data(b"\n"));
            }
            self.data_lines += 1;
            self.state = State::Data(true);
        } else {
            self.value.clear();
            self.state = State::Value(true);
        }
    }

    fn end_line(&mut self, sink: &mut dyn FnMut(Field)) {
        match self.state {
            State::LineStart => {
                if self.data_lines > 0 {
                    sink(Field::Dispatch);
                }
                self.data_lines = 0;
            }
            // A field name with no colon: the whole line is the name, empty value.
            State::Name => {
                self.value.clear();
                self.begin_value(sink);
                self.finish_value(sink);
            }
            State::Value(_) => self.finish_value(sink),
            State::Data(_) | State::Skip => {}
        }
        self.name.clear();
        self.state = State::LineStart;
    }

    fn finish_value(&mut self, sink: &mut dyn FnMut(Field)) {
        match self.name.as_slice() {
            b"event" => sink(Field::Event(&self.value)),
            b"id" => sink(Field::Id(&self.value)),
            b"retry" => {
                if let Some(ms) = std::str::from_utf8(&self.value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                {
                    sink(Field::Retry(ms))
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(input: &[u8], step: usize) -> String {
        let mut f = Framer::new();
        let mut out = String::new();
        for chunk in input.chunks(step) {
            f.feed(chunk, &mut |field| match field {
                Field::Event(e) => out.push_str(&format!("E({})", String::from_utf8_lossy(e))),
                Field::Data(d) => out.push_str(&String::from_utf8_lossy(d)),
                Field::Id(d) => out.push_str(&format!("I({})", String::from_utf8_lossy(d))),
                Field::Retry(ms) => out.push_str(&format!("R({ms})")),
                Field::Dispatch => out.push('|'),
            });
        }
        out
    }

    #[test]
    fn frames_split_anywhere() {
        let input = b": comment\r\nevent: delta\r\ndata: {\"a\":1}\r\n\r\ndata:x\ndata:  y\n\nid: 7\rretry: 500\r\rdata: [DONE]\n\n";
        let whole = frame(input, input.len());
        assert_eq!(whole, "E(delta){\"a\":1}|x\n y|I(7)R(500)[DONE]|");
        for step in 1..input.len() {
            assert_eq!(frame(input, step), whole, "step {step}");
        }
    }

    #[test]
    fn events_without_data_are_not_dispatched() {
        assert_eq!(frame(b"event: ping\n\n\n\ndata\n\n", 3), "E(ping)|");
    }
}
