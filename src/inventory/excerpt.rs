//! The part of a file a diagnostic shows: the lines of the error and a
//! few around them, each clipped to a window around the error's column, so
//! that a line of any length renders (miette's renderer panics on a label
//! past column 65,535) and a diagnostic stays a few lines of a few hundred
//! characters. Line numbers and columns are those of the whole file.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Characters of a line shown at most.
pub const MAX_SHOWN_CHARS: usize = 160;

/// Lines kept before and after the error's lines (miette shows one).
const CONTEXT_LINES: usize = 2;

/// Stands for the clipped part of a line.
const CLIPPED: &str = "…";

#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    /// 0-based line number, in the file, of the excerpt's first line.
    first_line: usize,
    /// Per line of the excerpt: bytes of the file left out at its start,
    /// less the marker put there (so columns can be given in the file's).
    column_shifts: Vec<usize>,
}

impl Excerpt {
    /// No text (an error about a file as a whole).
    pub fn empty(name: &str) -> Self {
        Excerpt {
            name: name.to_string(),
            text: String::new(),
            first_line: 0,
            column_shifts: Vec::new(),
        }
    }

    /// The excerpt of `text` around `span`, and the span within the
    /// excerpt.
    pub fn around(name: &str, text: &str, span: Range<usize>) -> (Self, Range<usize>) {
        let floor = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let span = floor(span.start)..floor(span.end).max(floor(span.start));
        let first_start = nth_line_start_before(text, span.start, CONTEXT_LINES);
        let first_line = text[..first_start].matches('\n').count();
        let last_end = nth_line_end_after(text, span.end, CONTEXT_LINES);
        let mut excerpt = Excerpt {
            name: name.to_string(),
            text: String::with_capacity((last_end - first_start).min(4096)),
            first_line,
            column_shifts: Vec::new(),
        };
        let (mut start, mut end) = (None, None);
        let mut line_start = first_start;
        for line in text[first_start..last_end].split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let line_range = line_start..line_start + body.len();
            let focus = if line_range.contains(&span.start) || span.start == line_range.end {
                Some(span.start)
            } else if line_range.contains(&span.end) || span.end == line_range.end {
                Some(span.end)
            } else {
                None
            };
            let kept = window(body, focus.map(|f| f - line_start));
            let shown_start = excerpt.text.len();
            let left_marker = if kept.start > 0 { CLIPPED } else { "" };
            excerpt.text.push_str(left_marker);
            excerpt.text.push_str(&body[kept.clone()]);
            if kept.end < body.len() {
                excerpt.text.push_str(CLIPPED);
            }
            excerpt.text.push_str(&line[body.len()..]);
            excerpt
                .column_shifts
                .push(kept.start.saturating_sub(left_marker.len()));
            // Where an offset of this line lands in the excerpt.
            let place = |offset: usize| {
                let within = offset - line_start;
                shown_start + left_marker.len() + within.clamp(kept.start, kept.end) - kept.start
            };
            if start.is_none() && span.start <= line_range.end {
                start = Some(place(span.start.max(line_start)));
            }
            if end.is_none() && span.end <= line_range.end {
                end = Some(place(span.end.max(line_start)));
            }
            line_start += line.len();
        }
        let start = start.unwrap_or(excerpt.text.len());
        let end = end.unwrap_or(excerpt.text.len()).max(start);
        (excerpt, start..end)
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let column = match inner.column() {
            0 => 0,
            c => c + self.column_shifts.get(inner.line()).copied().unwrap_or(0),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// The bytes of `line` shown: all of it if short enough, else
/// `MAX_SHOWN_CHARS` characters around `focus` (or from the start).
fn window(line: &str, focus: Option<usize>) -> Range<usize> {
    if line.len() <= MAX_SHOWN_CHARS || line.chars().count() <= MAX_SHOWN_CHARS {
        return 0..line.len();
    }
    let boundaries: Vec<usize> = line
        .char_indices()
        .map(|(i, _)| i)
        .chain([line.len()])
        .collect();
    let chars = boundaries.len() - 1;
    let focus_char = focus.map_or(0, |f| boundaries.partition_point(|&b| b < f));
    let first = focus_char
        .saturating_sub(MAX_SHOWN_CHARS / 2)
        .min(chars - MAX_SHOWN_CHARS);
    boundaries[first]..boundaries[first + MAX_SHOWN_CHARS]
}

/// The start of the line `n` lines above the one holding `offset`.
fn nth_line_start_before(text: &str, offset: usize, n: usize) -> usize {
    let mut start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    start
}

/// The end (after its `\n`) of the line `n` lines below the one holding
/// `offset`, or the end of the text.
fn nth_line_end_after(text: &str, offset: usize, n: usize) -> usize {
    let mut end = offset;
    for _ in 0..=n {
        match text[end..].find('\n') {
            Some(i) => end += i + 1,
            None => return text.len(),
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(name: &str, text: &str, span: Range<usize>) -> String {
        #[derive(Debug, thiserror::Error, miette::Diagnostic)]
        #[error("oops")]
        struct Oops {
            #[source_code]
            code: Excerpt,
            #[label("here")]
            span: SourceSpan,
        }
        let (code, span) = Excerpt::around(name, text, span);
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(
                &mut out,
                &Oops {
                    code,
                    span: span.into(),
                },
            )
            .unwrap();
        out
    }

    #[test]
    fn short_lines_render_as_the_whole_file_would() {
        let text = "a = 1\nb = 2\nc = 3\nd = x\ne = 5\nf = 6\ng = 7\n";
        let at = text.find('x').unwrap();
        let out = render("f.toml", text, at..at + 1);
        assert!(out.contains("[f.toml:4:5]"), "{out}");
        assert!(
            out.contains(" 3 │ c = 3") && out.contains(" 5 │ e = 5"),
            "{out}"
        );
        assert!(!out.contains("b = 2") && !out.contains("f = 6"), "{out}");
    }

    #[test]
    fn a_long_line_is_clipped_around_the_error() {
        let text = format!(
            "a = 1\nimages = [\"x\"]{}bogus\nb = 2\n",
            " ".repeat(70_000)
        );
        let at = text.find("bogus").unwrap();
        let out = render("s.toml", &text, at..at + 5);
        assert!(out.len() < 2_000, "{out}");
        assert!(out.contains("…") && out.contains("bogus"), "{out}");
        assert!(
            out.contains(&format!("[s.toml:2:{}]", 70_000 + 15)),
            "{out}"
        );
    }

    #[test]
    fn wide_and_multi_byte_characters() {
        let text = format!("{}x\n", "界\t".repeat(40_000));
        let at = text.find('x').unwrap();
        let out = render("w.toml", &text, at..at + 1);
        assert!(out.len() < 4_000, "{}", out.len());
        let text = format!("{}\n", "é".repeat(100_000));
        for at in [0, 2, 100_000, 200_000] {
            render("e.toml", &text, at..at + 2);
        }
    }

    #[test]
    fn a_span_over_several_long_lines() {
        let long = "y".repeat(100_000);
        let text = format!("{long}\n{long}\n{long}\n");
        let out = render("m.toml", &text, 50_000..250_000);
        assert!(out.len() < 4_000, "{}", out.len());
    }
}
