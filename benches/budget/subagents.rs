//! The subagent figures: a parent whose first response makes three `task`
//! calls, each child reading three 40 KB files in one turn and answering.
//! Every mote process of the tree is traced (measure::measure_tree) for its
//! own peak RSS. The model answers through a latency relay (100 ms round
//! trip, as a nearby API would), and the wall time is compared with the
//! slowest child run alone: the same parent making only that one call.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::measure::{measure_tree, tempfile, Tree};
use crate::mock::{relay, Item, Mock, Reply};

/// The model's round trip, through the relay.
const RTT: Duration = Duration::from_millis(100);

const CHILDREN: [&str; 3] = ["BENCH-CHILD-A", "BENCH-CHILD-B", "BENCH-CHILD-C"];

pub struct Figures {
    pub tree: Tree,
    pub wall: Duration,
    /// The slowest child's task, run alone.
    pub alone: Duration,
}

/// A child's script: read its three files, then answer.
fn child_replies(n: usize) -> Vec<Reply> {
    let reads = (0..3)
        .map(|i| Item::Call {
            name: "read".into(),
            args: format!(r#"{{"path":"f{n}{i}.txt"}}"#),
        })
        .collect();
    vec![
        Reply::Turn {
            items: reads,
            finish: None,
        },
        Reply::text("the three files hold numbered lines"),
    ]
}

fn workspace() -> PathBuf {
    let ws = tempfile("subagents-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let line = "0123456789abcdef".repeat(4) + "\n"; // 65 bytes
    for n in 0..3 {
        for i in 0..3 {
            let text: String = (0..40 * 1024 / line.len())
                .map(|k| format!("{k:06} {line}"))
                .collect();
            std::fs::write(ws.join(format!("f{n}{i}.txt")), text).unwrap();
        }
    }
    ws
}

fn mote(bin: &Path, ws: &Path, base_url: &str, prompt: &str) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", base_url)
        .env("OPENAI_API_KEY", "bench")
        .env("XDG_DATA_HOME", tempfile("subagents-data"))
        .env("XDG_CONFIG_HOME", tempfile("subagents-config"))
        .args(["--model", "mock", "-p", prompt, "--no-session"])
        .args(["--no-context-files", "--permission", "auto"]);
    c
}

/// A parent making one task call per child in `children`, each child
/// with its script, all behind the latency relay; its tree and wall time.
fn parent(bin: &Path, ws: &Path, children: &[usize]) -> (Tree, Duration) {
    let m = Mock::start(Vec::new());
    let calls = children
        .iter()
        .filter_map(|n| CHILDREN.get(*n))
        .map(|k| Item::Call {
            name: "task".into(),
            args: format!(r#"{{"description":"read three files","prompt":"{k}"}}"#),
        })
        .collect();
    m.route(
        "BENCH-PARENT",
        vec![
            Reply::Turn {
                items: calls,
                finish: None,
            },
            Reply::text("all read"),
        ],
    );
    for n in children {
        m.route(CHILDREN[*n], child_replies(*n));
    }
    let r = relay::latency(m.addr(), RTT);
    let url = format!("http://{}/v1", r.addr);
    let start = Instant::now();
    let tree = measure_tree(&mut mote(bin, ws, &url, "BENCH-PARENT"));
    let wall = start.elapsed();
    assert_eq!(
        tree.root.status, 0,
        "the parent failed: {}",
        tree.root.stdout
    );
    assert_eq!(tree.children.len(), children.len(), "mote children traced");
    (tree, wall)
}

pub fn run(bin: &Path) -> Figures {
    let ws = workspace();
    let alone = (0..CHILDREN.len())
        .map(|n| parent(bin, &ws, &[n]).1)
        .max()
        .unwrap_or_default();
    let (tree, wall) = parent(bin, &ws, &[0, 1, 2]);
    let _ = std::fs::remove_dir_all(&ws);
    Figures { tree, wall, alone }
}
