//! Pieces of request bodies that several wire formats write the same way:
//! a JSON list framed only when it has items, a tool's name, description
//! and schema, tool arguments as an object, and the Chat Completions
//! `messages` list that Ollama's /api/chat copies. What differs between
//! wires stays in each wire's file.

use std::io::{self, Write};

use super::reqbody::ReqBody;
use super::{Request, ToolSpec};
use crate::arena::{Call, Msg, Text};
use crate::image::Image;

/// `open`, the items separated by commas, `close`; nothing at all when
/// there are no items (an absent member, not an empty list).
pub fn list<'a, T>(
    w: &mut ReqBody<'a>,
    open: &[u8],
    items: &[T],
    close: &[u8],
    mut each: impl FnMut(&mut ReqBody<'a>, usize, &T) -> io::Result<()>,
) -> io::Result<()> {
    for (i, item) in items.iter().enumerate() {
        w.write_all(if i == 0 { open } else { b"," })?;
        each(w, i, item)?;
    }
    if !items.is_empty() {
        w.write_all(close)?;
    }
    Ok(())
}

/// Writes nothing before the first item of a list and a comma before each
/// later one, for lists whose items are not all in one slice.
#[derive(Default)]
pub struct Comma(bool);

impl Comma {
    pub fn write(&mut self, w: &mut ReqBody) -> io::Result<()> {
        w.write_all(if std::mem::replace(&mut self.0, true) {
            b","
        } else {
            b""
        })
    }
}

/// `"name":…,"description":…,"<key>":<schema>`: a tool as every wire
/// declares it, inside whatever object the wire wraps it in.
pub fn tool_fields(w: &mut ReqBody, t: &ToolSpec, key: &[u8], schema: &str) -> io::Result<()> {
    w.write_all(b"\"name\":")?;
    w.string(t.name);
    w.write_all(b",\"description\":")?;
    w.string(t.description);
    w.write_all(b",\"")?;
    w.write_all(key)?;
    w.write_all(b"\":")?;
    w.write_all(schema.as_bytes())
}

/// `{"type":"function","function":{…}}` for each tool, as Chat Completions
/// and Ollama declare them.
pub fn function_tools(req: &Request, w: &mut ReqBody) -> io::Result<()> {
    list(w, b",\"tools\":[", req.tools, b"]", |w, _, t| {
        w.write_all(b"{\"type\":\"function\",\"function\":{")?;
        tool_fields(w, t, b"parameters", t.params)?;
        w.write_all(b"}}")
    })
}

/// Arena text as a JSON string, or `empty` in its place when it is empty
/// (APIs that refuse an empty text part).
pub fn text_or<'a>(w: &mut ReqBody<'a>, text: Text<'a>, empty: &str) {
    if text.is_empty() {
        w.string(empty);
    } else {
        w.text(text);
    }
}

/// An image's base64 as a JSON string, streamed from its file while the
/// body is sent; as a `data:` URL when `url`.
pub fn image_data(w: &mut ReqBody, img: &Image, url: bool) -> io::Result<()> {
    w.write_all(b"\"")?;
    if url {
        write!(w, "data:{};base64,", img.media)?;
    }
    w.source(img.base64());
    w.write_all(b"\"")
}

/// Where a wire's `messages` list differs from Chat Completions'.
pub struct Chat {
    /// An assistant message that only calls tools says `"content":null`
    /// (OpenAI) rather than `""`.
    pub null_content: bool,
    /// A tool result names its tool (`tool_name`, Ollama) rather than its
    /// call's id (`tool_call_id`).
    pub by_name: bool,
    /// A user message's members for an image, after `"role":"user",`.
    pub image: fn(&mut ReqBody, &Image) -> io::Result<()>,
}

/// `{"model":…,"messages":[…]`: the system prompt, then the conversation
/// with each tool result as a `tool` message of its own; `call` writes one
/// element of an assistant message's `tool_calls`.
pub fn chat_messages<'a>(
    req: &Request<'a>,
    w: &mut ReqBody<'a>,
    chat: Chat,
    call: impl Fn(&mut ReqBody<'a>, &Call<'a>) -> io::Result<()>,
) -> io::Result<()> {
    w.write_all(b"{\"model\":")?;
    w.string(&req.cfg.model);
    w.write_all(b",\"messages\":[{\"role\":\"system\",\"content\":")?;
    w.string(req.system);
    w.write_all(b"}")?;
    for m in req.arena.messages() {
        match m {
            Msg::User(text) => {
                w.write_all(b",{\"role\":\"user\",\"content\":")?;
                w.text(text);
            }
            Msg::Image(img) => {
                w.write_all(b",{\"role\":\"user\",")?;
                match img.note(req.cfg.vision) {
                    Some(note) => {
                        w.write_all(b"\"content\":")?;
                        w.string(&note);
                    }
                    None => (chat.image)(w, &img)?,
                }
            }
            Msg::Assistant { text, calls, .. } => {
                w.write_all(b",{\"role\":\"assistant\",\"content\":")?;
                if chat.null_content && text.is_empty() && !calls.is_empty() {
                    w.write_all(b"null")?;
                } else {
                    w.text(text);
                }
                list(w, b",\"tool_calls\":[", &calls, b"]", |w, _, c| call(w, c))?;
            }
            Msg::Result { id, name, text, .. } => {
                if chat.by_name {
                    w.write_all(b",{\"role\":\"tool\",\"tool_name\":")?;
                    w.text(name);
                } else {
                    w.write_all(b",{\"role\":\"tool\",\"tool_call_id\":")?;
                    w.text(id);
                }
                w.write_all(b",\"content\":")?;
                w.text(text);
            }
        }
        w.write_all(b"}")?;
    }
    w.write_all(b"]")
}
