//! The memory and extension commands in the interactive mode, driven in
//! tmux like a user would (tests/tui/ is the harness): /skills lists the
//! skills and a malformed one, Tab completes a skill's name and
//! `/NAME args` asks for it, /memory lists the files with their sizes and
//! `/memory N` opens one in $EDITOR (the terminal working after), and
//! /remember writes AGENTS.md; a template's `` !`cmd` `` runs before it
//! is sent.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use mock::{Mock, Reply};

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn skills_memory_remember_and_templates_in_the_terminal() {
    let ws = tui::workspace("memory").canonicalize().unwrap();
    std::fs::create_dir_all(ws.join(".git")).unwrap();
    write(&ws.join("AGENTS.md"), "# Rules\n\nBe kind.\n");
    write(
        &ws.join(".claude/skills/pdf-tools/SKILL.md"),
        "---\nname: pdf-tools\ndescription: Fill PDF forms.\n---\nSteps.\n",
    );
    write(
        &ws.join(".agents/skills/Bad/SKILL.md"),
        "---\nname: Bad\n---\n",
    );
    write(
        &ws.join(".claude/commands/state.md"),
        "---\ndescription: The state\n---\nState: !`printf tpl-%s out`; focus $1\n",
    );
    let script = ws.join("editor.sh");
    write(
        &script,
        "#!/bin/sh\nprintf 'EDITED-BY-SCRIPT\\n' >> \"$1\"\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let m = Mock::start(vec![
        Reply::text("skill used"),
        Reply::text("template sent"),
    ]);
    let env = format!(
        "HOME={} VISUAL= EDITOR={}",
        tui::sh_quote(&ws.join("home").to_string_lossy()),
        tui::sh_quote(&script.to_string_lossy())
    );
    let t = tui::start_mote_env("memory", &ws, &m.base_url(), 120, &env, "--permission auto");

    t.type_text("/skills");
    t.keys(&["Enter"]);
    let s = t.wait_text("malformed: skill");
    assert!(s.contains("/pdf-tools — Fill PDF forms."), "{s}");
    assert!(
        s.contains(&ws.join(".claude/skills/pdf-tools").display().to_string()),
        "{s}"
    );
    assert!(s.contains("Bad/SKILL.md") && s.contains("lowercase"), "{s}");

    let agents = ws.join("AGENTS.md");
    t.type_text("/memory");
    t.keys(&["Enter"]);
    let s = t.wait_text("/memory N opens one");
    assert!(
        s.contains(&format!("  1. {} (18 bytes)", agents.display())),
        "{s}"
    );
    let skill = ws.join(".claude/skills/pdf-tools/SKILL.md");
    assert!(
        s.contains(&format!("  2. {} (60 bytes)", skill.display())),
        "{s}"
    );

    t.type_text("/memory 1");
    t.keys(&["Enter"]);
    t.wait_text("(the next session reads it)");
    assert_eq!(
        std::fs::read_to_string(&agents).unwrap(),
        "# Rules\n\nBe kind.\nEDITED-BY-SCRIPT\n"
    );

    t.type_text("/remember keep answers short");
    t.keys(&["Enter"]);
    t.wait_text("added `- keep answers short` under ## Notes");
    assert_eq!(
        std::fs::read_to_string(&agents).unwrap(),
        "# Rules\n\nBe kind.\nEDITED-BY-SCRIPT\n\n## Notes\n\n- keep answers short\n"
    );

    // Tab completes a skill's name; `/NAME args` asks for the skill.
    t.type_text("/pdf-t");
    t.keys(&["Tab"]);
    t.wait_text("› /pdf-tools ");
    t.type_text("fill form.pdf");
    t.keys(&["Enter"]);
    t.wait_text("skill used");
    let body = m.requests()[0].body.clone();
    assert!(
        body.contains("Use the skill `pdf-tools`") && body.contains("fill form.pdf"),
        "{body}"
    );

    t.type_text("/state parser");
    t.keys(&["Enter"]);
    t.wait_text("template sent");
    let body = m.requests()[1].body.clone();
    assert!(body.contains("State: tpl-out; focus parser"), "{body}");
}

#[test]
fn a_template_s_commands_ask_in_standard_mode() {
    let ws = tui::workspace("memory-ask").canonicalize().unwrap();
    write(
        &ws.join(".mote/prompts/mk.md"),
        "Made: !`touch $1.txt && echo made-$1`\n",
    );
    let m = Mock::start(vec![Reply::text("yes sent"), Reply::text("no sent")]);
    let env = format!("HOME={}", tui::sh_quote(&ws.join("home").to_string_lossy()));
    let t = tui::start_mote_env("memory-ask", &ws, &m.base_url(), 120, &env, "");
    t.type_text("/mk one");
    t.keys(&["Enter"]);
    let s = t.wait_text("allow?");
    assert!(s.contains("touch one.txt && echo made-one"), "{s}");
    t.keys(&["y"]);
    t.wait_text("yes sent");
    assert!(ws.join("one.txt").exists());
    assert!(m.requests()[0].body.contains("Made: made-one"));

    t.type_text("/mk two");
    t.keys(&["Enter"]);
    t.wait_for("second question", |s| s.matches("allow?").count() == 2);
    t.keys(&["n"]);
    t.wait_text("reason");
    t.keys(&["Enter"]);
    t.wait_text("no sent");
    assert!(!ws.join("two.txt").exists());
    let body = m.requests()[1].body.clone();
    assert!(
        body.contains("Made: [`touch two.txt && echo made-two` did not run: "),
        "{body}"
    );
}
