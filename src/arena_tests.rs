//! Unit tests of src/arena.rs: messages in and out of the arena,
//! escaping, compaction's exact tail, reasoning order.

use super::*;

#[test]
fn groups_records_into_messages() {
    let mut a = Arena::new();
    a.user("fix it");
    a.open(Role::Assistant, Kind::Text);
    a.extend("I'll ");
    a.extend("look.");
    a.call("c1", "read", r#"{"path":"a"}"#);
    a.call("c2", "ls", "{}");
    a.result("c1", "read", "contents", false);
    a.result("c2", "ls", "no such dir", true);
    a.push(Role::Assistant, Kind::Text, "done");
    let msgs: Vec<Msg> = a.messages().collect();
    assert_eq!(msgs.len(), 5);
    assert_eq!(msgs[0], Msg::User(Text::raw("fix it")));
    assert_eq!(
        msgs[1],
        Msg::Assistant {
            text: Text::raw("I'll look."),
            calls: vec![
                Call {
                    id: Text::raw("c1"),
                    name: Text::raw("read"),
                    args: Text::raw(r#"{"path":"a"}"#)
                },
                Call {
                    id: Text::raw("c2"),
                    name: Text::raw("ls"),
                    args: Text::raw("{}")
                }
            ],
            thinking: vec![]
        }
    );
    assert_eq!(
        msgs[3],
        Msg::Result {
            id: Text::raw("c2"),
            name: Text::raw("ls"),
            text: Text::raw("no such dir"),
            error: true
        }
    );
    assert_eq!(a.last_answer(), "done");
    assert_eq!(std::mem::size_of::<Rec>(), 12);
}

#[test]
fn compact_split_and_append_keep_the_tail_exact() {
    let mut a = Arena::new();
    a.user("first task");
    a.push(Role::Assistant, Kind::Text, "");
    a.call("c1", "read", "{}");
    a.result("c1", "read", "old output", false);
    a.push(Role::Assistant, Kind::Text, "");
    a.call("c2", "ls", "{}");
    a.result("c2", "ls", "newer", true);
    let mut b = Arena::new();
    let tail = {
        let mut c = Arena::new();
        c.append(&a);
        c.split_off(3)
    };
    b.user("SUMMARY");
    b.append(&tail);
    a.compact(3, "SUMMARY");
    let want: Vec<Msg> = b.messages().collect();
    assert_eq!(a.messages().collect::<Vec<_>>(), want);
    assert_eq!(want.len(), 3);
    assert_eq!(
        want[2],
        Msg::Result {
            id: Text::raw("c2"),
            name: Text::raw("ls"),
            text: Text::raw("newer"),
            error: true
        }
    );
    assert_eq!(a.bytes(), "SUMMARY".len() + "c2ls{}c2lsnewer".len());
}

#[test]
fn text_is_kept_escaped_and_control_bytes_raw() {
    let mut a = Arena::new();
    a.user("say \"hi\"\n");
    let ctrl = "\u{1b}[1m\u{0}".repeat(1000);
    a.result("c1", "bash", &ctrl, false);
    a.open(Role::Assistant, Kind::Text);
    a.extend("a\tb");
    let msgs: Vec<Msg> = a.messages().collect();
    let Msg::User(u) = &msgs[0] else { panic!() };
    assert_eq!(u.stored(), (&br#"say \"hi\"\n"#[..], false));
    assert_eq!(u.unescape(), "say \"hi\"\n");
    let Msg::Result { text, .. } = &msgs[1] else {
        panic!()
    };
    assert_eq!(text.stored(), (ctrl.as_bytes(), true));
    assert_eq!(text.unescape(), ctrl);
    assert!(
        a.bytes() * 2 <= (14 + ctrl.len() + 4 + 5) * 3,
        "{}",
        a.bytes()
    );
    let Msg::Assistant { text, .. } = &msgs[2] else {
        panic!()
    };
    assert_eq!(text.stored(), (&br"a\tb"[..], false));
    assert_eq!(a.last_answer().unescape(), "a\tb");
}

#[test]
fn a_user_message_after_an_answer_is_its_own_message() {
    let mut a = Arena::new();
    a.user("one");
    a.push(Role::Assistant, Kind::Text, "a");
    a.user("two");
    let msgs: Vec<Msg> = a.messages().collect();
    assert_eq!(
        msgs,
        vec![
            Msg::User(Text::raw("one")),
            Msg::Assistant {
                text: Text::raw("a"),
                calls: vec![],
                thinking: vec![]
            },
            Msg::User(Text::raw("two"))
        ]
    );
}

#[test]
fn reasoning_comes_first_in_an_assistant_message() {
    let mut a = Arena::new();
    a.user("go");
    a.push(Role::Assistant, Kind::Thinking, "hmm");
    a.push(Role::Assistant, Kind::Signature, "sig==");
    a.push(Role::Assistant, Kind::Redacted, "opaque");
    a.push(Role::Assistant, Kind::Text, "");
    a.call("c1", "ls", "{}");
    a.result("c1", "ls", "x", false);
    let msgs: Vec<Msg> = a.messages().collect();
    assert_eq!(msgs.len(), 3);
    let Msg::Assistant {
        text,
        calls,
        thinking,
    } = &msgs[1]
    else {
        panic!("{msgs:?}")
    };
    assert_eq!((*text, calls.len()), (Text::raw(""), 1));
    assert_eq!(
        thinking,
        &vec![
            Think {
                text: Text::raw("hmm"),
                signature: Text::raw("sig=="),
                redacted: false
            },
            Think {
                text: Text::raw("opaque"),
                signature: Text::raw(""),
                redacted: true
            }
        ]
    );
}
