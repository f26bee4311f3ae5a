//! The fuzz targets' no-panic properties, run briefly by `cargo test`
//! (docs/fuzzing.md). The checks themselves live in fuzz/src/harness.rs,
//! shared with the cargo-fuzz targets, so a bug either finds is checked
//! the same way by both.
//!
//! - Every input of the kept fuzz corpus (fuzz/corpus/<target>/) and of
//!   fuzz/artifacts-found/<target>/ is replayed.
//! - Property tests (256 cases each; HOMECTL_FUZZ_CASES=N for more) mutate
//!   those inputs and the repository's own files (tests/corpus/, the
//!   reference inventory and stacks) and check that nothing panics.
//!   The random seed is fixed, so CI is repeatable; HOMECTL_FUZZ_RANDOM=1
//!   draws a new one each run.

#[path = "../fuzz/src/harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The kept corpus and the found crashes of one target.
fn kept_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = files_in(&root().join("fuzz/corpus").join(target));
    files.extend(files_in(&root().join("fuzz/artifacts-found").join(target)));
    files
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).expect("read a corpus file")))
        .collect()
}

/// Bundles of the repository's own inventories: every tests/corpus case
/// and the reference inventories with stacks/.
fn repository_bundles() -> Vec<(String, Vec<u8>)> {
    let mut bundles = Vec::new();
    for kind in ["broken", "valid"] {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/corpus").join(kind))
            .expect("tests/corpus")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        for case in cases {
            let name = format!("{kind}/{}", case.file_name().unwrap().to_string_lossy());
            bundles.push((name, harness::bundle_from_dir(&case, "inventory.toml")));
        }
    }
    for inventory in ["inventory/lab.toml", "inventory/homelab.toml"] {
        bundles.push((
            inventory.to_string(),
            harness::bundle_from_dir(root(), inventory),
        ));
    }
    bundles
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = kept_inputs(target)
        .into_iter()
        .map(|(_, data)| data)
        .collect();
    match target {
        "load" => seeds.extend(repository_bundles().into_iter().map(|(_, data)| data)),
        "select" => seeds.extend([
            b"core\nbackend".to_vec(),
            b"workers\nnode:node-b\nservice:backtest-worker-2".to_vec(),
        ]),
        "refs_names" => seeds.push(
            b"op://homelab/ghcr/token\npass://a/b\nenv://A_1\nexec://x\nnode-a\n0a1b2c3\nfe80::1"
                .to_vec(),
        ),
        "diagnostics" => seeds.extend([
            b"\x01\x00images = [\"app\"]\x01bogus\n".to_vec(),
            b"\x00\x05name = \"lab\"\n\x01[registry]\nusername = \"\"\n".to_vec(),
            b"\x02\x06services:\n  web: [\x01\n".to_vec(),
        ]),
        _ => seeds.push(b"HISTORY {}\n".to_vec()),
    }
    seeds
}

fn runner() -> TestRunner {
    let cases = std::env::var("HOMECTL_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    // No regression files next to the tests: found inputs go to
    // fuzz/artifacts-found/ by hand, minimized.
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("HOMECTL_FUZZ_RANDOM").is_some() {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    }
}

fn run<S: Strategy>(strategy: S, check: impl Fn(S::Value)) {
    let result = runner().run(&strategy, |value| {
        check(value);
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

/// The tokens of a libFuzzer dictionary (`"..."` lines, `\xNN` escapes).
fn dictionary(target: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(root().join("fuzz/dicts").join(format!("{target}.dict")))
        .unwrap_or_default();
    let mut tokens = Vec::new();
    for line in text.lines() {
        let Some(body) = line
            .trim()
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
        else {
            continue;
        };
        let bytes = body.as_bytes();
        let mut token = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if bytes.get(i + 1) == Some(&b'x') && i + 3 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap_or("3f");
                    token.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 4;
                }
                b'\\' if i + 1 < bytes.len() => {
                    token.push(bytes[i + 1]);
                    i += 2;
                }
                b => {
                    token.push(b);
                    i += 1;
                }
            }
        }
        tokens.push(token);
    }
    tokens
}

/// One change to an input; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    /// A copy of some other part of the input (a line, a table...).
    Copy {
        at: usize,
        from: usize,
        len: usize,
    },
    Token {
        at: usize,
        token: usize,
    },
    /// A line start: a new line or header where there was none.
    Newline {
        at: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let text = prop_oneof![
        4 => proptest::collection::vec(32u8..127, 0..12),
        1 => proptest::collection::vec(any::<u8>(), 0..6),
        1 => any::<String>().prop_map(String::into_bytes),
    ];
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), text).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), any::<usize>(), 0usize..200).prop_map(|(at, from, len)| Edit::Copy {
            at,
            from,
            len
        }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, token)| Edit::Token { at, token }),
        any::<usize>().prop_map(|at| Edit::Newline { at }),
    ]
}

fn apply(mut data: Vec<u8>, edits: &[Edit], tokens: &[Vec<u8>]) -> Vec<u8> {
    for edit in edits {
        let n = data.len() + 1;
        match edit {
            Edit::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(data.len());
                data.drain(at.min(data.len())..end);
            }
            Edit::Insert { at, bytes } => {
                data.splice(at % n..at % n, bytes.iter().copied());
            }
            Edit::Copy { at, from, len } => {
                let from = from % n;
                let piece: Vec<u8> =
                    data[from.min(data.len())..(from + len).min(data.len())].to_vec();
                data.splice(at % n..at % n, piece);
            }
            Edit::Token { at, token } => {
                if !tokens.is_empty() {
                    data.splice(at % n..at % n, tokens[token % tokens.len()].iter().copied());
                }
            }
            Edit::Newline { at } => {
                data.insert(at % n, b'\n');
            }
        }
    }
    data
}

/// A seed, changed by a few edits (none: the seed as it is).
fn mutated(seeds: Vec<Vec<u8>>, tokens: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    assert!(!seeds.is_empty(), "no seeds");
    (0..seeds.len(), proptest::collection::vec(edit(), 0..8))
        .prop_map(move |(i, edits)| apply(seeds[i].clone(), &edits, &tokens))
}

// --- Sanity of the harness: bundles reach the loader as intended. -------

#[test]
fn repository_bundles_load_as_check_says() {
    for (name, data) in repository_bundles() {
        let bundle = harness::parse_bundle(&data);
        assert_eq!(
            harness::bundle_bytes(&bundle.inventory, &bundle.files),
            data,
            "{name}: bundle round trip"
        );
        // Loading for real, as the load target does, through a folder.
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in &bundle.files {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content).unwrap();
        }
        let loaded = homectl::inventory::load(&dir.path().join(&bundle.inventory));
        let expect_ok = !name.starts_with("broken/");
        assert_eq!(
            loaded.is_ok(),
            expect_ok,
            "{name}: {:?}",
            loaded.err().map(|e| e.to_string())
        );
        harness::check_load(&data);
    }
}

// --- Replays of the kept corpus and found crashes. ----------------------

#[test]
fn kept_corpus_replays() {
    let project = harness::lab_project(root());
    for target in ["load", "select", "refs_names", "history", "diagnostics"] {
        for (path, data) in kept_inputs(target) {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match target {
                "load" => harness::check_load(&data),
                "select" => harness::check_select(project, &data),
                "refs_names" => harness::check_refs_names(&data),
                "diagnostics" => harness::check_diagnostics(&data),
                _ => harness::check_history(&data),
            }));
            assert!(outcome.is_ok(), "{} panics", path.display());
        }
    }
}

// --- Property tests. -----------------------------------------------------

#[test]
fn load_never_panics() {
    run(mutated(seeds("load"), dictionary("load")), |data| {
        harness::check_load(&data)
    });
}

#[test]
fn select_never_panics() {
    let project = harness::lab_project(root());
    let mut known: Vec<String> = dictionary("select")
        .into_iter()
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .collect();
    known.push(String::new());
    let name = prop_oneof![
        3 => proptest::sample::select(known.clone()),
        1 => (proptest::sample::select(vec!["node:", "stack:", "service:", ":", ""]), proptest::sample::select(known))
            .prop_map(|(kind, name)| format!("{kind}{name}")),
        1 => any::<String>(),
    ];
    let strategy = (
        proptest::option::of(name.clone()),
        proptest::collection::vec(name, 0..5),
    );
    run(strategy, |(target, names)| {
        let line = |s: &str| s.replace('\n', " ");
        let mut input = target.as_deref().map_or("<none>".to_string(), line);
        for n in &names {
            input.push('\n');
            input.push_str(&line(n));
        }
        harness::check_select(project, input.as_bytes());
        // Straight through too, newlines and all.
        let _ = homectl::plan::select(project, target.as_deref(), &names);
    });
    run(mutated(seeds("select"), dictionary("select")), |data| {
        harness::check_select(project, &data)
    });
}

#[test]
fn refs_and_names_never_panic() {
    let scheme = proptest::sample::select(vec![
        "op://", "pass://", "env://", "exec://", "vault://", "", "op:/", "://",
    ]);
    run((scheme, any::<String>()), |(scheme, rest)| {
        harness::check_one_string(&format!("{scheme}{rest}"))
    });
    run(any::<String>(), |s| harness::check_one_string(&s));
    run(mutated(seeds("refs_names"), Vec::new()), |data| {
        harness::check_refs_names(&data)
    });
}

#[test]
fn history_never_panics() {
    run(mutated(seeds("history"), Vec::new()), |data| {
        harness::check_history(&data)
    });
}

#[test]
fn diagnostics_never_panic_nor_show_a_planted_secret() {
    run(mutated(seeds("diagnostics"), dictionary("load")), |data| {
        harness::check_diagnostics(&data)
    });
}
