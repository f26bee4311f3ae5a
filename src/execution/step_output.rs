//! Reads a step's output as holder.sh relays it, up to the step's end
//! marker, keeping at most [`STEP_OUTPUT_LIMIT`] bytes of it
//! (docs/architecture.md, "The remote shell").

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What a step printed (stdout and stderr together) and its exit code.
#[derive(Debug)]
pub struct StepOutput {
    pub code: i32,
    pub output: String,
}

#[derive(Debug)]
pub enum StepError {
    /// No end marker within the step's time limit.
    Timeout,
    /// The connection or the remote shell went away.
    Lost(String),
}

/// The most of a step's output that is kept: its last 1 MiB, in whole
/// lines (docs/architecture.md, "The remote shell").
pub const STEP_OUTPUT_LIMIT: usize = 1 << 20;

/// One line of `reader`, without its newline; None at the end. For the
/// remote shell's first answer: a line of more than 64 KiB is not read
/// into memory, only described.
pub(super) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> Result<Option<String>, String> {
    match read_bounded_line(reader, 64 << 10)
        .await
        .map_err(|e| e.to_string())?
    {
        None => Ok(None),
        Some(Line::Text(line)) => Ok(Some(String::from_utf8_lossy(&line).into_owned())),
        Some(Line::TooLong(bytes)) => Ok(Some(format!("<a line of {bytes} bytes>"))),
    }
}

/// A step's output (stdout and stderr together) as holder.sh relays it,
/// up to the line `END CODE`. Keeps at most [`STEP_OUTPUT_LIMIT`] bytes:
/// the last whole lines, after a line saying how many bytes were dropped.
pub(super) async fn read_step_output<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    end: &str,
) -> Result<StepOutput, StepError> {
    let mut tail = Tail::new(STEP_OUTPUT_LIMIT);
    loop {
        let line = read_bounded_line(reader, STEP_OUTPUT_LIMIT - 1)
            .await
            .map_err(|e| StepError::Lost(e.to_string()))?;
        match line {
            None => return Err(StepError::Lost("the connection closed".into())),
            // A line longer than the limit is not the end marker.
            Some(Line::TooLong(bytes)) => tail.dropped += bytes,
            Some(Line::Text(line)) => match line.strip_prefix(end.as_bytes()) {
                Some(code) => {
                    let code = String::from_utf8_lossy(code).trim().parse().unwrap_or(255);
                    return Ok(StepOutput {
                        code,
                        output: tail.into_output(),
                    });
                }
                None => tail.push_line(&line),
            },
        }
    }
}

/// A line read by [`read_bounded_line`].
enum Line {
    /// Without its newline.
    Text(Vec<u8>),
    /// Longer than the limit: not kept, only its length (with its newline).
    TooLong(u64),
}

/// The next line of `reader`, holding at most `limit` bytes of it in
/// memory (`read_until` would hold a line without end whole). None at the
/// end; a last line without newline is a line.
async fn read_bounded_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long: u64 = 0;
    let mut any = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => None,
                (true, 0) => Some(Line::Text(line)),
                (true, n) => Some(Line::TooLong(n)),
            });
        }
        any = true;
        let (piece, newline) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        if too_long == 0 && line.len() + piece.len() <= limit {
            line.extend_from_slice(piece);
        } else {
            too_long += (line.len() + piece.len()) as u64;
            line = Vec::new();
        }
        let used = piece.len() + usize::from(newline);
        reader.consume(used);
        if newline {
            return Ok(Some(if too_long == 0 {
                Line::Text(line)
            } else {
                Line::TooLong(too_long + 1)
            }));
        }
    }
}

/// The last whole lines of a step's output, at most `limit` bytes, and how
/// many bytes before them were dropped. Whole lines only, so that a secret
/// value is never cut in two, which would keep its second half from being
/// masked.
struct Tail {
    buf: Vec<u8>,
    /// Where the kept lines start in `buf` (dropped lines are removed from
    /// `buf` in batches).
    start: usize,
    limit: usize,
    dropped: u64,
}

impl Tail {
    fn new(limit: usize) -> Tail {
        Tail {
            buf: Vec::new(),
            start: 0,
            limit,
            dropped: 0,
        }
    }

    fn push_line(&mut self, line: &[u8]) {
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        while self.buf.len() - self.start > self.limit {
            let kept = &self.buf[self.start..];
            let first = kept
                .iter()
                .position(|&b| b == b'\n')
                .map_or(kept.len(), |i| i + 1);
            self.start += first;
            self.dropped += first as u64;
        }
        if self.start > self.limit {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    fn into_output(self) -> String {
        let mut kept = &self.buf[self.start..];
        // holder.sh prints a newline before the marker.
        if let Some(rest) = kept.strip_suffix(b"\n") {
            kept = rest;
        }
        let text = String::from_utf8_lossy(kept);
        if self.dropped == 0 {
            text.into_owned()
        } else {
            format!(
                "[homectl: {} earlier bytes of this step's output not kept]\n{text}",
                self.dropped
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_output(stream: &[u8]) -> Result<StepOutput, StepError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // Small reads, as from a network: lines arrive in pieces.
        let mut reader = tokio::io::BufReader::with_capacity(4096, stream);
        rt.block_on(read_step_output(&mut reader, "@@homectl-N0NCE-rc "))
    }

    #[test]
    fn a_short_output_is_kept_as_it_is() {
        let out = read_output(b"a\n  b\n\n@@homectl-N0NCE-rc 3\n").unwrap();
        assert_eq!((out.code, out.output.as_str()), (3, "a\n  b\n"));
    }

    /// A step that prints without end keeps at most the limit in memory:
    /// its last lines (the error comes last), and how much was dropped.
    #[test]
    fn a_huge_output_keeps_its_last_mebibyte_and_says_how_much_was_dropped() {
        let mut stream = Vec::new();
        let mut i = 0;
        while stream.len() < 3 * STEP_OUTPUT_LIMIT {
            stream.extend_from_slice(format!("progress line {i}\n").as_bytes());
            i += 1;
        }
        stream.extend_from_slice(b"error: the real reason\n\n@@homectl-N0NCE-rc 1\n");
        let out = read_output(&stream).unwrap();
        assert_eq!(out.code, 1);
        assert!(
            out.output.len() <= STEP_OUTPUT_LIMIT + 100,
            "{} bytes kept",
            out.output.len()
        );
        let last = format!("progress line {}\nerror: the real reason\n", i - 1);
        assert!(out.output.ends_with(&last));
        let (notice, kept) = out.output.split_once('\n').unwrap();
        assert!(kept.len() <= STEP_OUTPUT_LIMIT, "{} bytes kept", kept.len());
        assert!(
            kept.len() > STEP_OUTPUT_LIMIT - 100,
            "{} bytes kept",
            kept.len()
        );
        // Whole lines only: a value cut in two would escape masking.
        assert!(kept.starts_with("progress line "), "{}", &kept[..40]);
        let dropped = stream.len() - "\n@@homectl-N0NCE-rc 1\n".len() - kept.len();
        assert_eq!(
            notice,
            format!("[homectl: {dropped} earlier bytes of this step's output not kept]")
        );
    }

    /// One line without end (no newline for 5 MiB) is not kept whole either.
    #[test]
    fn an_endless_line_is_dropped_and_the_lines_after_it_are_kept() {
        let mut stream = vec![b'y'; 5 * STEP_OUTPUT_LIMIT];
        stream.extend_from_slice(b"\nlast words\n\n@@homectl-N0NCE-rc 2\n");
        let out = read_output(&stream).unwrap();
        assert_eq!(out.code, 2);
        assert!(out.output.len() < 100, "{} bytes kept", out.output.len());
        assert_eq!(
            out.output,
            format!(
                "[homectl: {} earlier bytes of this step's output not kept]\nlast words\n",
                5 * STEP_OUTPUT_LIMIT + 1
            )
        );
    }
}
