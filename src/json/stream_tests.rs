//! Tests of the push parser: events at every split, errors, limits.

use super::*;

/// Parse `input` split at every `step` bytes and return a log of events.
fn log(input: &[u8], step: usize) -> Result<String, Error> {
    let mut p = Parser::new();
    let mut out = String::new();
    let mut sink = |path: &[u8], e: Event| {
        let path = String::from_utf8_lossy(path);
        match e {
            Event::Str(s) => out.push_str(&format!("{path}+{s}|")),
            Event::StrEnd => out.push_str(&format!("{path}$|")),
            Event::Scalar(v) => out.push_str(&format!("{path}={}|", String::from_utf8_lossy(v))),
            Event::Open(k) => out.push_str(&format!("{path}{}|", k as char)),
            Event::Close(k) => out.push_str(&format!("{path}/{}|", k as char)),
        }
    };
    for chunk in input.chunks(step.max(1)) {
        p.feed(chunk, &mut sink)?;
    }
    p.finish(&mut sink)?;
    Ok(out)
}

/// Join the string fragments per path, as a consumer would.
fn strings(input: &[u8], step: usize) -> Result<Vec<(String, String)>, Error> {
    let mut p = Parser::new();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut open = false;
    let mut sink = |path: &[u8], e: Event| match e {
        Event::Str(s) => {
            if !open {
                out.push((String::from_utf8_lossy(path).into(), String::new()));
                open = true;
            }
            if let Some(last) = out.last_mut() {
                last.1.push_str(s);
            }
        }
        Event::StrEnd => {
            if !open {
                out.push((String::from_utf8_lossy(path).into(), String::new()));
            }
            open = false;
        }
        _ => {}
    };
    for chunk in input.chunks(step.max(1)) {
        p.feed(chunk, &mut sink)?;
    }
    p.finish(&mut sink)?;
    Ok(out)
}

#[test]
fn paths_and_events() {
    let got = log(br#"{"a":[1,{"b":"x"},true],"c":null}"#, 1000).unwrap();
    assert_eq!(
        got,
        "{|a[|a.0=1|a.1{|a.1.b+x|a.1.b$|a.1/{|a.2=true|a/[|c=null|/{|"
    );
}

#[test]
fn every_split_gives_the_same_strings() {
    // Escapes, a surrogate pair, 2-, 3- and 4-byte UTF-8, in keys and values.
    let doc = r#"{"choices":[{"delta":{"content":"h\u00e9 \ud83d\ude00 ü€😀 \"q\"\n\\","k\u00e9y":"v"}}]}"#;
    let whole = strings(doc.as_bytes(), doc.len()).unwrap();
    assert_eq!(whole[0].0, "choices.0.delta.content");
    assert_eq!(whole[0].1, "hé 😀 ü€😀 \"q\"\n\\");
    assert_eq!(whole[1].0, "choices.0.delta.kéy");
    for step in 1..doc.len() {
        assert_eq!(strings(doc.as_bytes(), step).unwrap(), whole, "step {step}");
    }
}

#[test]
fn a_string_split_into_fragments_joins_back() {
    // From the fuzzer (tests/fuzz, json_stream): a value split at byte 18.
    let doc = format!("{{\"#\":\"/{}\"}}", ";".repeat(97));
    let whole = strings(doc.as_bytes(), doc.len()).unwrap();
    let (a, b) = doc.as_bytes().split_at(18);
    let mut p = Parser::new();
    let mut got = String::new();
    let mut ends = 0;
    let mut sink = |path: &[u8], e: Event| match e {
        Event::Str(s) => got.push_str(s),
        Event::StrEnd => {
            assert_eq!(path, b"#");
            ends += 1;
        }
        _ => {}
    };
    p.feed(a, &mut sink).unwrap();
    p.feed(b, &mut sink).unwrap();
    p.finish(&mut sink).unwrap();
    assert_eq!((got.as_str(), ends), (whole[0].1.as_str(), 1));
}

#[test]
fn lone_surrogates_become_replacement_characters() {
    let got = strings(br#"["\ud800x","\udc00","\ud800\ud83d\ude00"]"#, 3).unwrap();
    assert_eq!(got[0].1, "\u{FFFD}x");
    assert_eq!(got[1].1, "\u{FFFD}");
    assert_eq!(got[2].1, "\u{FFFD}😀");
}

#[test]
fn numbers_split_across_chunks() {
    assert_eq!(log(b"[-12.5e+3,0]", 1).unwrap(), "[|0=-12.5e+3|1=0|/[|");
    assert_eq!(log(b"42", 1).unwrap(), "=42|");
}

#[test]
fn rejects_malformed_input() {
    for bad in [
        &b"{"[..],
        b"{\"a\" 1}",
        b"[1,]",
        b"[01]",
        b"[1.]",
        b"[-]",
        b"{\"a\":tru}",
        b"\"a\x01\"",
        b"\"\\x\"",
        b"\"\\u12g4\"",
        b"[1] [2]",
        b"}",
        b"\"\xff\"",
        b"\"\xe2\x82\"",
        b"{,}",
        b"",
    ] {
        assert!(
            validate(bad).is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn depth_is_bounded() {
    let deep = "[".repeat(MAX_DEPTH + 1);
    assert_eq!(
        validate(deep.as_bytes()).unwrap_err().msg,
        "nesting too deep"
    );
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(validate(ok.as_bytes()).is_ok());
}

#[test]
fn long_strings_are_handed_out_in_pieces() {
    let doc = format!("\"{}\"", "é".repeat(10_000));
    let mut p = Parser::new();
    let mut pieces = 0;
    let mut total = 0;
    p.feed(doc.as_bytes(), &mut |_, e| {
        if let Event::Str(s) = e {
            pieces += 1;
            total += s.len();
        }
    })
    .unwrap();
    assert!(pieces > 1);
    assert_eq!(total, 20_000);
}

#[test]
fn below_strips_a_prefix() {
    assert_eq!(below(b"a.b.c", b"a.b"), Some(&b"c"[..]));
    assert_eq!(below(b"a.bc", b"a.b"), None);
}

#[test]
fn reset_forgets_a_half_read_value() {
    let mut p = Parser::new();
    let mut got = String::new();
    // Cut off inside a nested string key, with a high surrogate pending.
    p.feed(br#"{"a":[1,{"\ud83d"#, &mut |_, _| {}).unwrap();
    p.reset();
    let mut sink = |path: &[u8], e: Event| {
        got.push_str(&format!("{}:{e:?}|", String::from_utf8_lossy(path)));
    };
    p.feed(br#"{"b":"x"}"#, &mut sink).unwrap();
    p.finish(&mut sink).unwrap();
    assert_eq!(got, r#":Open(123)|b:Str("x")|b:StrEnd|:Close(123)|"#);
    // Offsets count from the reset.
    p.reset();
    let err = p.feed(b"]", &mut |_, _| {}).unwrap_err();
    assert_eq!(err.offset, 0, "{err}");
}

#[test]
fn error_offsets_count_string_runs() {
    // The plain run "hello" goes through the fast path; the offset of the
    // error after it must still count every byte, in one chunk or many.
    let doc = br#"{"a":"hello" x}"#;
    for step in [1, 3, doc.len()] {
        let err = log(doc, step).unwrap_err();
        assert_eq!(err.offset, 13, "step {step}: {err}");
    }
}

#[test]
fn trailing_commas_are_refused() {
    for (doc, msg) in [
        (&br#"{"a":1,}"#[..], "expected a key"),
        (b"[1,]", "expected a value"),
    ] {
        let err = log(doc, 1).unwrap_err();
        assert_eq!(err.msg, msg, "{}", String::from_utf8_lossy(doc));
    }
    assert!(log(b"{}", 1).is_ok() && log(b"[]", 1).is_ok());
}

#[test]
fn every_escape_decodes() {
    // Each short escape, and \u in lower- and upper-case hex.
    let got = strings(br#"["\"\\\/\b\f\n\r\t","\u00e9\u00C9\u2A7d\uFFfF"]"#, 1).unwrap();
    assert_eq!(got[0].1, "\"\\/\u{8}\u{c}\n\r\t");
    assert_eq!(got[1].1, "\u{e9}\u{c9}\u{2a7d}\u{ffff}");
}

#[test]
fn literals_are_read_whole() {
    assert_eq!(
        log(b"[true,false,null]", 1).unwrap(),
        "[|0=true|1=false|2=null|/[|"
    );
    assert_eq!(log(b"false", 2).unwrap(), "=false|");
}

#[test]
fn only_whitespace_may_follow_the_value() {
    assert_eq!(log(b"{} \t\r\n ", 1).unwrap(), "{|/{|");
    assert_eq!(log(b"1 ", 1).unwrap(), "=1|");
    for doc in [&b"{} x"[..], b"\"a\" 1", b"null,"] {
        let err = log(doc, 1).unwrap_err();
        assert_eq!(err.msg, "trailing characters after the value", "{err}");
    }
}

#[test]
fn an_empty_string_has_no_fragments() {
    // A consumer gets the end of the string, never an empty piece of it.
    assert_eq!(log(br#"{"a":"","b":"x"}"#, 1).unwrap(), "{|a$|b+x|b$|/{|");
    assert_eq!(log(br#""""#, 1).unwrap(), "$|");
}

#[test]
fn a_key_needs_its_colon() {
    // Whitespace may stand around the colon; nothing else may stand for it.
    assert_eq!(log(br#"{"a" : 1}"#, 1).unwrap(), "{|a=1|/{|");
    for doc in [&br#"{"a" 1}"#[..], br#"{"a"11}"#] {
        let err = log(doc, 1).unwrap_err();
        assert_eq!(err.msg, "expected ':'", "{}", String::from_utf8_lossy(doc));
    }
}
