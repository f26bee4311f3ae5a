//! holder.sh through the bootstrap under every shell a node may have,
//! with a `head` that reads ahead: the framing is exact
//! (docs/architecture.md, "Framing must be exact").

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use std::time::Duration;

use super::remote_shell::{boot_input, BOOTSTRAP};
use crate::remote::{quote, Payload, Step};
use crate::secrets::SecretValue;

/// The shells a node may have; each runs with BusyBox `head` first on
/// PATH, whose `head -c` reads ahead of what it prints (BusyBox sh
/// with BusyBox's `dd` and `wc` as well).
const SHELLS: [&[&str]; 4] = [
    &["dash"],
    &["bash"],
    &["bash", "--posix"],
    &["/bin/busybox", "sh"],
];

/// Starts the remote shell as `RemoteShell::start` does (BOOTSTRAP,
/// holder.sh on stdin, then the frames once it answers ready), feeds it
/// `steps` and then `tail` through a pipe, and returns what it printed
/// once stdin is closed.
fn run_holder(shell: &[&str], dir: &Path, steps: &[Step], tail: &[u8]) -> String {
    use std::io::{BufRead, Read};
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // BusyBox sh gets BusyBox's dd and wc too: a BusyBox userland.
    let tools: &[&str] = if shell[0].ends_with("busybox") {
        &["head", "dd", "wc"]
    } else {
        &["head"]
    };
    for tool in tools {
        let link = bin.join(tool);
        if !link.exists() {
            std::os::unix::fs::symlink("/bin/busybox", &link).unwrap();
        }
    }
    let mut frames = Vec::new();
    for step in steps {
        frames.extend(step.frames());
    }
    frames.extend_from_slice(tail);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new(shell[0])
        .args(&shell[1..])
        .arg("-c")
        .arg(BOOTSTRAP)
        .args(["homectl", "N0NCE", "nolock", "tester"])
        .arg(dir.join("state"))
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{shell:?}: {e} (apt-get install dash bash busybox-static)"));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(boot_input().as_bytes()).unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    stdout.read_line(&mut out).unwrap();
    let writer = std::thread::spawn(move || {
        if out.contains("-ready ") {
            let _ = stdin.write_all(&frames);
        }
        out
    });
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    child.wait().unwrap();
    let out = writer.join().unwrap();
    format!("{out}{}", String::from_utf8_lossy(&rest))
}

/// A step that writes its one data frame to `file`, byte for byte.
fn echo_step(file: &Path, payload: Payload) -> Step {
    Step::new(
        "echo",
        format!(
            "hc_data V; printf %s \"$V\" >{}",
            quote(&file.display().to_string())
        ),
    )
    .with_data("V", payload)
}

/// Data frames that look like frames and commands: nothing in them
/// runs, every one comes back byte-exact, whatever the shell, even with
/// a `head` that reads ahead.
#[test]
fn data_frames_are_never_run_and_come_back_byte_exact_in_every_shell() {
    for shell in SHELLS {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let canary = d.join("PWNED");
        let touch = format!("touch {}", quote(&canary.display().to_string()));
        // The reproduction: frame headers and commands inside data.
        let mut lure = "zzzzzz\n".to_string();
        for _ in 0..300 {
            lure.push_str(&format!("step {}\n{touch}\n", touch.len() + 1));
        }
        let json: String = std::iter::once("{\n".to_string())
            .chain((0..200).map(|i| format!("  \"part{i}\": \"Sekr3tPart{i}\",\n")))
            .chain(std::iter::once("  \"end\": true\n}".to_string()))
            .collect();
        let values = [
            lure.clone(),
            json.clone(),
            "no trailing newline".to_string(),
            "back\\slash\\n \\\\ end\\".to_string(),
            format!("$({touch}) `{touch}`"),
            "   leading spaces\n\ttab\n".to_string(),
            "\n\n\ntrailing newlines\n\n\n".to_string(),
            String::new(),
            "é ü 日本".to_string(),
        ];
        let mut steps =
            vec![Step::new("lure", "hc_data A; echo got")
                .with_data("A", Payload::Plain(lure.clone()))];
        for (i, value) in values.iter().enumerate() {
            let payload = if i == 1 {
                Payload::Secret(SecretValue::new(value.clone()))
            } else {
                Payload::Plain(value.clone())
            };
            steps.push(echo_step(&d.join(format!("out{i}")), payload));
        }
        steps.push(Step::new("last", "echo last-step-ran"));
        let out = run_holder(shell, d, &steps, b"");

        assert!(
            !canary.exists(),
            "{shell:?} ran a command from a data frame:\n{out}"
        );
        assert!(out.contains("\ngot\n"), "{shell:?}:\n{out}");
        assert!(out.contains("last-step-ran"), "{shell:?}:\n{out}");
        assert_eq!(
            out.matches("@@homectl-N0NCE-rc 0\n").count(),
            steps.len(),
            "{shell:?}: every step ran and succeeded:\n{out}"
        );
        for (i, value) in values.iter().enumerate() {
            let back = std::fs::read(d.join(format!("out{i}"))).unwrap();
            assert!(
                back == value.as_bytes(),
                "{shell:?}: value {i} changed in transit"
            );
        }
    }
}

/// A step frame cut short by the end of stdin (the connection lost
/// mid-frame) is not run: never half a step.
#[test]
fn a_step_frame_cut_short_is_not_run() {
    for shell in SHELLS {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("HALF");
        let cut = format!(
            "step 1000\ntouch {}\n",
            quote(&canary.display().to_string())
        );
        let out = run_holder(shell, dir.path(), &[], cut.as_bytes());
        assert!(out.contains("@@homectl-N0NCE-ready"), "{shell:?}:\n{out}");
        assert!(!canary.exists(), "{shell:?} ran half a step:\n{out}");
    }
}

/// A 20 KB step and a 1 MB data frame, under dash: measured, and
/// byte-exact (the time is printed, `--nocapture` to see it).
#[test]
#[allow(clippy::print_stderr)] // the measurement, for docs/architecture.md
fn a_megabyte_frame_is_read_whole_and_in_reasonable_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big");
    let line = "0123456789abcdef\\$(x) 0123456789abcdef 0123456789abcdef 0123456789abc\n";
    let big: String = line.repeat((1 << 20) / line.len() + 1)[..1 << 20].to_string();
    let mut step = echo_step(&file, Payload::Plain(big.clone()));
    step.script = format!("{}{}", "# padding to 20 KB\n".repeat(1100), step.script);
    assert!(step.script.len() > 20_000);
    let start = std::time::Instant::now();
    let out = run_holder(&["dash"], dir.path(), &[step], b"");
    let took = start.elapsed();
    eprintln!("a 1 MiB data frame and a 20 KB step under dash: {took:?}");
    assert!(out.contains("@@homectl-N0NCE-rc 0"), "{out}");
    assert!(std::fs::read(&file).unwrap() == big.as_bytes());
    assert!(took < Duration::from_secs(20), "{took:?}");
}
