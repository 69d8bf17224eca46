//! The README must agree with the program: every flag it names exists, the
//! defaults its flag table states are the ones `--help` (generated from the
//! parser's own table) reports, its two set-up commands are Makefile
//! targets, its exit codes are the program's, and its Budgets table states
//! the limits the bench asserts (benches/budget/budgets.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

use std::path::PathBuf;
use std::process::Command;

fn bin() -> PathBuf {
    std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mote")))
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

fn help() -> String {
    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `--word` tokens in `text`.
fn flags(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("--") {
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let before = text[..i].chars().last().unwrap_or(' ');
        if name.len() > 1 && !before.is_ascii_alphanumeric() && before != '-' {
            out.push(name);
        }
    }
    out
}

#[test]
fn every_flag_in_the_readme_exists() {
    let help = help();
    let known: Vec<String> = flags(&help);
    // Flags of other programs the README quotes (cargo, git, sort,
    // tests/mutants.sh).
    let foreign = [
        "features",
        "target",
        "release",
        "output",
        "ext-diff",
        "co",
        "compress-program",
        "no-filters",
        "max",
    ];
    for f in flags(&readme()) {
        assert!(
            known.contains(&f) || foreign.contains(&f.as_str()),
            "README names --{f}, which mote does not have"
        );
    }
}

#[test]
fn every_flag_of_help_is_in_the_readme() {
    let readme = flags(&readme());
    for f in flags(&help()) {
        assert!(
            readme.contains(&f),
            "--{f} is in --help but not in the README"
        );
    }
}

#[test]
fn readme_defaults_match_help() {
    let help = help();
    let mut checked = 0;
    // Only tables whose second column is headed "default".
    let mut in_defaults = false;
    for line in readme().lines() {
        // | `--max-turns` | `50` | ...
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if !line.starts_with('|') {
            in_defaults = false;
            continue;
        }
        if cells.get(1) == Some(&"flag") {
            in_defaults = cells.get(2) == Some(&"default");
            continue;
        }
        if !in_defaults {
            continue;
        }
        let (Some(flag), Some(default)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        if !flag.starts_with("`-") {
            continue; // not a row of the flag table
        }
        let Some(name) = flags(flag).pop() else {
            continue;
        };
        let default = default.trim_matches('`');
        if default.is_empty() {
            continue;
        }
        let row = help
            .lines()
            .find(|l| flags(l).first() == Some(&name))
            .unwrap_or_else(|| panic!("--{name} not in help"));
        let stated = if let Some(var) = default.strip_prefix('$') {
            format!("[env {var}]")
        } else {
            format!("[default: {default}]")
        };
        assert!(
            row.contains(&stated),
            "README says --{name} defaults to {default}; help says: {row}"
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} defaults checked");
}

/// The Providers table's default models are `--help`'s (from BUILTINS).
#[test]
fn the_default_model_of_each_provider_is_the_programs() {
    let help = help();
    let line = help
        .lines()
        .find_map(|l| l.strip_prefix("Default models: "))
        .expect("--help names the default models");
    let readme = readme();
    let table = readme
        .split("## Providers")
        .nth(1)
        .and_then(|s| s.split("\n\n").nth(1))
        .unwrap();
    let mut rows = 0;
    for row in table.lines().skip(2) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(name), Some(model)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let name = name.trim_matches('`');
        let stated = format!("{name} {}", model.trim_matches('`'));
        let named = line.split([',', ';']).any(|d| d.trim() == stated);
        match model.starts_with('`') {
            true => assert!(named, "README: {stated}; --help: {line}"),
            false => assert!(
                !line
                    .split([',', ';'])
                    .any(|d| d.trim().starts_with(&format!("{name} "))),
                "README gives {name} no default; --help: {line}"
            ),
        }
        rows += 1;
    }
    assert_eq!(rows, 6, "{table}");
}

/// `make install PREFIX=DIR`, as the README says, puts the binary in DIR/bin.
#[test]
fn make_install_puts_the_binary_under_prefix() {
    assert!(readme().contains("    make install PREFIX=~/.local "));
    let out = std::process::Command::new("make")
        .args(["-n", "install", "PREFIX=/opt/x"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "install -D -m 755 target/x86_64-unknown-linux-musl/release/mote /opt/x/bin/mote"
        ),
        "{text}"
    );
}

#[test]
fn the_two_setup_commands_are_make_targets() {
    let readme = readme();
    let make = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Makefile")).unwrap();
    for target in ["demo", "test"] {
        assert!(
            readme.contains(&format!("    make {target} ")),
            "README lacks `make {target}`"
        );
        assert!(
            make.lines().any(|l| l.starts_with(&format!("{target}:"))),
            "Makefile lacks {target}:"
        );
    }
}

#[path = "../benches/budget/budgets.rs"]
#[allow(dead_code)]
mod budgets;

/// The README Budgets table's rows, as (first cell, last cell).
fn budget_rows() -> Vec<(String, String)> {
    let readme = readme();
    let start = readme
        .find("\n## Budgets")
        .expect("README has a Budgets section");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    section[..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| figure"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let last = cells.last().copied().unwrap_or("").to_string();
            (cells[0].to_string(), last)
        })
        .collect()
}

#[test]
fn the_budgets_table_states_the_benchs_own_limits() {
    let rows = budget_rows();
    for b in budgets::ALL {
        let row = rows
            .iter()
            .find(|(figure, _)| figure == b.readme)
            .unwrap_or_else(|| panic!("README Budgets table lacks the row `{}`", b.readme));
        assert_eq!(row.1, b.unit.show(b.limit), "budget of `{}`", b.readme);
    }
    for (figure, budget) in &rows {
        if !budget.is_empty() {
            assert!(
                budgets::ALL.iter().any(|b| b.readme == figure),
                "README states a budget for `{figure}` that the bench does not assert"
            );
        }
    }
}

#[test]
fn the_exit_codes_in_the_readme_are_the_programs() {
    let help = help();
    let codes: Vec<String> = help
        .split("Exit codes:\n")
        .nth(1)
        .expect("--help lists exit codes")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u8>().is_ok())
        .map(String::from)
        .collect();
    assert!(codes.len() >= 8, "{codes:?}");
    let readme = readme();
    let para = readme
        .split("\nExit codes: ")
        .nth(1)
        .and_then(|p| p.split("\n\n").next())
        .expect("README has an `Exit codes:` paragraph");
    let said: Vec<&str> = para
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter(|w| !para.contains(&format!("{w} turns")) && !para.contains(&format!("--{w}")))
        .collect();
    for c in &codes {
        assert!(
            said.contains(&c.as_str()),
            "README's exit codes lack {c}: {para}"
        );
    }
    for s in &said {
        assert!(
            codes.iter().any(|c| c == s),
            "README names exit code {s}, --help does not"
        );
    }
}

/// The README's Layout section.
fn layout() -> String {
    let readme = readme();
    readme
        .split("## Layout")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap()
        .to_string()
}

#[test]
fn the_layout_section_names_every_top_level_module() {
    let layout = layout();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let named = match e.file_type().unwrap().is_dir() {
            true => format!("src/{name}/"),
            false => format!("src/{name}"),
        };
        assert!(
            layout.contains(&named),
            "README Layout does not name {named}"
        );
    }
}

/// Each module folder's entry (its line and those under it, up to the next
/// `src/` entry) names every Rust file in the folder, tests' files aside.
#[test]
fn the_layout_section_names_every_module_file() {
    let layout = layout();
    let entry = |dir: &str| -> String {
        let mut out = String::new();
        let mut on = false;
        for l in layout.lines() {
            let t = l.trim_start();
            if l.starts_with("    ") && !l.starts_with("     ") {
                on = t.starts_with(&format!("src/{dir}/"));
            }
            if on {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    };
    let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut missing = Vec::new();
    for e in std::fs::read_dir(src).unwrap() {
        let dir = e.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = entry(&name);
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || "(),".contains(c))
            .collect();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for f in std::fs::read_dir(&d).unwrap() {
                let p = f.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
                let test =
                    rel.ends_with("_tests.rs") || rel.ends_with("/tests.rs") || rel == "tests.rs";
                if rel.ends_with(".rs") && !test && !words.contains(&rel.as_str()) {
                    missing.push(format!("src/{name}/{rel}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README Layout does not name {missing:?}"
    );
}
