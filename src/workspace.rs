//! The workspace: the directory mote works in, and the one place that turns
//! a path a model wrote into a real path inside it. Every tool resolves its
//! paths here, so a `..` or a symlink cannot lead a tool outside.

use std::io;
use std::path::{Component, Path, PathBuf};

pub struct Workspace {
    /// Canonical (symlink-free, absolute) root.
    pub root: PathBuf,
    /// Directories outside the root that allow rules name; the permission
    /// gate still judges each path in them.
    pub external: Vec<PathBuf>,
}

impl Workspace {
    pub fn new(dir: &Path) -> io::Result<Workspace> {
        Ok(Workspace {
            root: dir.canonicalize()?,
            external: Vec::new(),
        })
    }

    /// Resolve `p` wherever it leads: the real path and whether it lies
    /// inside the root. The permission gate decides what to do with it.
    pub fn locate(&self, p: &str) -> Result<(PathBuf, bool), String> {
        let out = self.real(p)?;
        let inside = out.starts_with(&self.root);
        Ok((out, inside))
    }

    /// Resolve `p` (relative to the root, or absolute) to a path inside the
    /// workspace. Symlinks in the part that exists are followed; the part
    /// that does not exist yet (a file about to be written) is joined as is.
    pub fn resolve(&self, p: &str) -> Result<PathBuf, String> {
        let out = self.real(p)?;
        if !out.starts_with(&self.root) && !self.external.iter().any(|d| out.starts_with(d)) {
            return Err(format!(
                "path `{p}` is outside the workspace ({})",
                self.root.display()
            ));
        }
        Ok(out)
    }

    /// `p` made absolute, cleaned and canonicalized as far as it exists.
    fn real(&self, p: &str) -> Result<PathBuf, String> {
        if p.is_empty() {
            return Err("path is empty".into());
        }
        if p.contains('\0') {
            return Err("path contains a NUL byte".into());
        }
        let joined = self.root.join(p);
        // Lexical clean-up first, so `a/../b` needs no `a`.
        let mut clean = PathBuf::new();
        for c in joined.components() {
            match c {
                Component::ParentDir => {
                    clean.pop();
                }
                Component::CurDir => {}
                other => clean.push(other),
            }
        }
        // Canonicalize the longest existing ancestor.
        let mut existing = clean.as_path();
        let mut rest = Vec::new();
        let real = loop {
            match existing.canonicalize() {
                Ok(r) => break r,
                Err(_) => match (existing.parent(), existing.file_name()) {
                    (Some(parent), Some(name)) => {
                        rest.push(name.to_os_string());
                        existing = parent;
                    }
                    _ => return Err(format!("cannot resolve path `{p}`")),
                },
            }
        };
        let mut out = real;
        for name in rest.iter().rev() {
            out.push(name);
        }
        Ok(out)
    }

    /// `path` shown relative to the root where it lies inside it.
    pub fn display(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mote-ws-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn stays_inside() {
        let d = tmp("inside");
        std::fs::create_dir_all(d.join("src")).unwrap();
        let ws = Workspace::new(&d).unwrap();
        assert_eq!(
            ws.resolve("src/new.rs").unwrap(),
            ws.root.join("src/new.rs")
        );
        assert_eq!(ws.resolve("a/../src").unwrap(), ws.root.join("src"));
        assert_eq!(ws.resolve("new/dir/f").unwrap(), ws.root.join("new/dir/f"));
        assert!(ws
            .resolve("../x")
            .unwrap_err()
            .contains("outside the workspace"));
        assert!(ws.resolve("/etc/passwd").is_err());
        assert_eq!(
            ws.resolve(ws.root.join("src").to_str().unwrap()).unwrap(),
            ws.root.join("src")
        );
    }

    #[test]
    fn locate_says_whether_inside() {
        let d = tmp("locate");
        let ws = Workspace::new(&d).unwrap();
        assert_eq!(ws.locate("a/b").unwrap(), (ws.root.join("a/b"), true));
        let up = ws.root.parent().unwrap().join("x");
        assert_eq!(ws.locate("../x").unwrap(), (up, false));
        assert!(ws.locate("").unwrap_err().contains("empty"));
    }

    #[test]
    fn external_dirs_are_let_through_and_only_they() {
        let d = tmp("external");
        let other = tmp("external-other");
        let mut ws = Workspace::new(&d).unwrap();
        let outside = other.join("f").to_str().unwrap().to_string();
        assert!(ws.resolve(&outside).is_err());
        ws.external.push(other.canonicalize().unwrap());
        assert_eq!(
            ws.resolve(&outside).unwrap(),
            other.canonicalize().unwrap().join("f")
        );
        assert!(ws.resolve("../elsewhere").is_err());
    }

    #[test]
    fn display_is_relative_inside() {
        let d = tmp("display");
        let ws = Workspace::new(&d).unwrap();
        assert_eq!(ws.display(&ws.root), ".");
        assert_eq!(ws.display(&ws.root.join("a/b")), "a/b");
        assert_eq!(ws.display(Path::new("/etc/passwd")), "/etc/passwd");
    }

    #[test]
    fn symlinks_out_are_refused() {
        let d = tmp("link");
        let ws = Workspace::new(&d).unwrap();
        std::os::unix::fs::symlink("/etc", d.join("etc")).unwrap();
        assert!(ws.resolve("etc/passwd").unwrap_err().contains("outside"));
        assert!(ws.resolve("etc/newfile").is_err());
    }
}
