//! Agent Skills (the open SKILL.md format): a folder holding `SKILL.md`
//! whose front matter gives `name` (lowercase letters, digits and `-`, at
//! most 64, the folder's name) and `description` (at most 1024 bytes).
//! This file owns finding them in the project's `.mote/skills/`,
//! `.agents/skills/`, `.claude/skills/` and the user's
//! `~/.config/mote/skills/`, `~/.agents/skills/`, `~/.claude/skills/`
//! (the first of a name wins), and the system prompt's list of names and
//! descriptions (progressive disclosure: the model reads a SKILL.md with
//! the read tool when a task matches). No skills: no text, no cost.

use std::path::{Path, PathBuf};

/// Bytes of the skill list in the system prompt at most.
pub const CAP: usize = 4 * 1024;

pub struct Skill {
    pub name: String,
    pub description: String,
    /// The skill's folder (SKILL.md and its other files).
    pub dir: PathBuf,
}

/// Where skills are looked for, in order of precedence.
pub fn dirs(root: &Path, user: Option<&Path>, home: Option<&Path>) -> Vec<PathBuf> {
    let mut d: Vec<PathBuf> = [".mote/skills", ".agents/skills", ".claude/skills"]
        .iter()
        .map(|s| root.join(s))
        .collect();
    d.extend(user.map(|u| u.join("skills")));
    if let Some(h) = home {
        d.push(h.join(".agents/skills"));
        d.push(h.join(".claude/skills"));
    }
    d
}

/// The skills of the workspace `root` and of the user (their config
/// folder and home), and one warning per malformed SKILL.md.
pub fn found(root: &Path) -> (Vec<Skill>, Vec<String>) {
    let env = |k: &str| crate::secrets::env(k);
    let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let user = crate::config::user_dir(&env);
    load(&dirs(root, user.as_deref(), home.as_deref()))
}

/// The skills in `dirs`, and one warning per malformed SKILL.md.
pub fn load(dirs: &[PathBuf]) -> (Vec<Skill>, Vec<String>) {
    let mut skills: Vec<Skill> = Vec::new();
    let mut warnings = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        crate::sort::sort(&mut entries);
        for dir in entries {
            let file = dir.join("SKILL.md");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            match parse(&dir, &text) {
                Ok(s) if !skills.iter().any(|x| x.name == s.name) => skills.push(s),
                Ok(_) => {}
                Err(e) => warnings.push(format!("skill {}: {e}", file.display())),
            }
        }
    }
    (skills, warnings)
}

fn parse(dir: &Path, text: &str) -> Result<Skill, String> {
    let (lines, _) = crate::modes::front_matter(text, "")?;
    let field = |key: &str| {
        lines.iter().find_map(|(_, l)| {
            let (k, v) = l.split_once(':')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (k.trim() == key).then(|| v.to_string())
        })
    };
    let name = field("name").ok_or("no `name` in the front matter")?;
    let folder = dir.file_name().map(|f| f.to_string_lossy().into_owned());
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(format!(
            "name `{name}` must be lowercase letters, digits and -, at most 64"
        ));
    }
    if folder.as_deref() != Some(name.as_str()) {
        return Err(format!("name `{name}` is not the folder's name"));
    }
    let description = field("description").unwrap_or_default();
    if description.is_empty() || description.len() > 1024 {
        return Err("`description` must hold 1 to 1024 bytes".into());
    }
    Ok(Skill {
        name,
        description,
        dir: dir.to_path_buf(),
    })
}

/// The system prompt's skill section ("" with no skills), at most `CAP`
/// bytes; a list cut short says so.
pub fn prompt(skills: &[Skill]) -> String {
    if skills.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "\n\n# Skills\n\nWhen a task matches a skill, read its SKILL.md with the read tool first and follow it; its other files are read the same way when it says so.\n",
    );
    for (i, k) in skills.iter().enumerate() {
        let line = format!(
            "- {}: {} ({})\n",
            k.name,
            k.description,
            k.dir.join("SKILL.md").display()
        );
        if s.len() + line.len() > CAP {
            s.push_str(&format!(
                "({} more skills not listed: the list is capped at 4 KB)\n",
                skills.len() - i
            ));
            break;
        }
        s.push_str(&line);
    }
    s
}

/// The task for `/NAME args`: use that skill on the arguments.
pub fn invoke(k: &Skill, args: &str) -> String {
    format!(
        "Use the skill `{}`: read {} first and follow it.\n\n{}",
        k.name,
        k.dir.join("SKILL.md").display(),
        args.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_match_the_folder_and_the_format() {
        let d = Path::new("/x/pdf-tools");
        let ok = parse(
            d,
            "---\nname: pdf-tools\ndescription: \"Fill PDFs.\"\n---\nbody",
        )
        .unwrap();
        assert_eq!(ok.description, "Fill PDFs.");
        for (text, want) in [
            ("---\nname: other\ndescription: d\n---\n", "not the folder"),
            ("---\nname: PDF\ndescription: d\n---\n", "lowercase"),
            ("---\nname: pdf-tools\n---\n", "description"),
            ("---\ndescription: d\n---\n", "no `name`"),
            ("---\nname: pdf-tools\n", "closing"),
        ] {
            let e = parse(d, text).err().unwrap();
            assert!(e.contains(want), "{e}");
        }
    }
}
