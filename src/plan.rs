//! The plan file of a loop task: a Markdown checklist. This file owns
//! finding its `- [ ]` / `- [x]` items (outside code fences) and ticking or
//! unticking one box on disk, atomically (a temp file renamed over the
//! original), changing that one byte and nothing else.

use std::io::Write;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// 0-based line number.
    pub line: usize,
    /// The text after the box, trimmed: the item's identity.
    pub text: String,
    pub checked: bool,
    /// Byte offset of the box's inner character (` ` or `x`) in the file.
    mark: usize,
}

/// The checklist items of `text`, in order.
pub fn items(text: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut fenced = false;
    let mut at = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let start = at;
        at += line.len();
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let indent = line.len() - t.len();
        let Some(rest) = t
            .strip_prefix("- [")
            .or_else(|| t.strip_prefix("* ["))
            .or_else(|| t.strip_prefix("+ ["))
        else {
            continue;
        };
        let checked = match rest.as_bytes() {
            [b' ', b']', ..] => false,
            [b'x' | b'X', b']', ..] => true,
            _ => continue,
        };
        let after = rest.get(2..).unwrap_or("");
        if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
            continue;
        }
        if after.trim().is_empty() {
            continue;
        }
        out.push(Item {
            line: n,
            text: after.trim().to_string(),
            checked,
            mark: start + indent + 3,
        });
    }
    out
}

/// Set the box of `item` in the file at `path` as it is now (the model may
/// have edited it): the item on the same line if its text is unchanged,
/// else the first item with that text. `Ok(false)` when it is gone.
pub fn set(path: &Path, item: &Item, checked: bool) -> Result<bool, String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let real = path.canonicalize().map_err(err)?;
    let mut bytes = std::fs::read(&real).map_err(err)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
    let now = items(text);
    let found = now
        .iter()
        .find(|i| i.line == item.line && i.text == item.text)
        .or_else(|| now.iter().find(|i| i.text == item.text));
    let Some(found) = found else { return Ok(false) };
    if found.checked == checked {
        return Ok(true);
    }
    let Some(b) = bytes.get_mut(found.mark) else {
        return Ok(false);
    };
    *b = if checked { b'x' } else { b' ' };
    write_atomic(&real, &bytes).map_err(err)?;
    Ok(true)
}

/// Replace `path` by a file holding `bytes`, keeping its permissions.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.mote-{}.tmp", std::process::id()));
    let done = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::set_permissions(&tmp, std::fs::metadata(path)?.permissions())?;
        std::fs::rename(&tmp, path)
    })();
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "# Goal\r\n\r\n- [ ] first `a`\r\n  * [x] nested done\r\n```\r\n- [ ] in a fence\r\n```\r\n- [] not an item\r\n- [ ]second not an item\r\n+ [ ]\r\n- [ ] last";

    #[test]
    fn finds_items_outside_fences() {
        let all = items(PLAN);
        let got: Vec<(usize, &str, bool)> = all
            .iter()
            .map(|i| (i.line, i.text.as_str(), i.checked))
            .collect();
        assert_eq!(
            got,
            [
                (2, "first `a`", false),
                (3, "nested done", true),
                (10, "last", false)
            ]
        );
    }

    #[test]
    fn ticks_one_byte_and_keeps_the_rest() {
        let d = std::env::temp_dir().join(format!("mote-plan-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("PLAN.md");
        std::fs::write(&p, PLAN).unwrap();
        let it = items(PLAN);
        assert!(set(&p, &it[2], true).unwrap());
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            PLAN.replace("- [ ] last", "- [x] last")
        );
        assert!(set(&p, &it[1], false).unwrap());
        assert!(set(&p, &it[2], false).unwrap());
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            PLAN.replace("* [x] nested", "* [ ] nested")
        );
        // The model moved the item: it is found by its text.
        std::fs::write(&p, format!("note\n{PLAN}")).unwrap();
        assert!(set(&p, &it[0], true).unwrap());
        assert!(std::fs::read_to_string(&p)
            .unwrap()
            .contains("- [x] first `a`"));
        std::fs::write(&p, "- [ ] other").unwrap();
        assert!(!set(&p, &it[0], true).unwrap());
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "temp file left behind"
        );
    }
}
