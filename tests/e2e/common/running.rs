//! A homectl command in the background: its output so far, signals, its end.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{Homectl, Run};

impl Homectl {
    /// Starts the command in its own process group (as a shell job would
    /// be), stdout and stderr piped; see `Running`.
    pub fn spawn(mut self) -> Running {
        use std::os::unix::process::CommandExt;
        let start = Instant::now();
        let child = self
            .command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("homectl starts");
        Running::new(child, start)
    }
}

/// A homectl command running in the background: its output is collected
/// by threads, line by line, so a test can wait for a line.
pub struct Running {
    child: std::process::Child,
    start: Instant,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    fn new(mut child: std::process::Child, start: Instant) -> Running {
        use std::io::BufRead;
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut readers = Vec::new();
        let out = child.stdout.take().unwrap();
        let sink = stdout.clone();
        readers.push(std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        }));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        readers.push(std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        }));
        Running {
            child,
            start,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// stdout and stderr so far.
    pub fn output_so_far(&self) -> String {
        format!(
            "{}\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        )
    }

    /// Waits until stdout or stderr holds `text`; false on timeout or exit.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.output_so_far().contains(text) {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return self.output_so_far().contains(text);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends a signal to homectl alone (`kill -SIG PID`).
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{signal} {} failed", self.child.id());
    }

    /// Sends a signal to homectl's process group, as Ctrl-C on a terminal does.
    pub fn signal_group(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg("--")
            .arg(format!("-{}", self.child.id()))
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{signal} -{} failed", self.child.id());
    }

    /// Waits for the end (at most `timeout`, then SIGKILL and panic).
    pub fn wait(mut self, timeout: Duration) -> Run {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "homectl did not end within {timeout:?}:\n{}",
                    self.output_so_far()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        let stdout = self.stdout.lock().unwrap().clone();
        let stderr = self.stderr.lock().unwrap().clone();
        Run {
            code,
            stdout,
            stderr,
            elapsed: self.start.elapsed(),
        }
    }
}
