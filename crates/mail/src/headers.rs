//! Headers that decide the sender, the case or the duplicate check, read the ways parsers differ.
//!
//! A message with two `From` headers, or one whose header section ends in another place for a
//! parser that also breaks lines at a bare CR, can show one sender in a person's mail client and
//! another to Casebook (issue 7). [`ambiguous`] reads the top-level header section twice, once
//! with LF (and CRLF) as the only line end, as `mail-parser` does, and once with bare CR as a line
//! end too, and names each deciding header that either reading finds more than once, or with two
//! different values, or that the two readings do not agree on. Header names are compared without
//! case and without white space before the colon, as `mail-parser` reads them.
//!
//! Encoded words that decode to a line break are made harmless where they are decoded
//! (`normalise::single_line`), not here.

/// Deciding headers, lower-case, and whether any repetition (even with the same value) is ambiguous.
const DECIDING: &[(&str, &str, bool)] = &[
    ("from", "From", true),
    ("sender", "Sender", true),
    ("message-id", "Message-ID", true),
    ("subject", "Subject", false),
    ("in-reply-to", "In-Reply-To", false),
    ("references", "References", false),
    ("date", "Date", false),
];

/// The deciding headers' values in one reading, in `DECIDING`'s order.
type Reading = Vec<Vec<String>>;

fn read(raw: &[u8], bare_cr_ends_lines: bool) -> Reading {
    let mut values: Reading = vec![Vec::new(); DECIDING.len()];
    let mut current: Option<(usize, Vec<u8>)> = None;
    let mut finish = |current: &mut Option<(usize, Vec<u8>)>| {
        if let Some((index, value)) = current.take() {
            let text = String::from_utf8_lossy(&value);
            let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some(list) = values.get_mut(index) {
                list.push(collapsed);
            }
        }
    };
    let mut rest = raw;
    // An mbox separator line may stand before the headers.
    let end = rest
        .iter()
        .position(|b| *b == b'\n')
        .map_or(rest.len(), |at| at + 1);
    let first = rest.get(..end).unwrap_or_default();
    let named_from = first
        .split(|b| *b == b':')
        .next()
        .is_some_and(|name| name.trim_ascii().eq_ignore_ascii_case(b"from"));
    if first.starts_with(b"From ") && !named_from {
        rest = rest.get(end..).unwrap_or_default();
    }
    loop {
        let (line, next) = next_line(rest, bare_cr_ends_lines);
        if line.is_empty() {
            break;
        }
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some((_, value)) = current.as_mut() {
                value.push(b' ');
                value.extend_from_slice(line);
            }
        } else {
            finish(&mut current);
            if let Some(colon) = line.iter().position(|b| *b == b':') {
                let name = String::from_utf8_lossy(line.get(..colon).unwrap_or_default())
                    .trim_matches([' ', '\t'])
                    .to_ascii_lowercase();
                if let Some(index) = DECIDING.iter().position(|(lower, _, _)| *lower == name) {
                    current = Some((index, line.get(colon + 1..).unwrap_or_default().to_vec()));
                }
            }
        }
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    finish(&mut current);
    values
}

/// The next line without its end, and what follows it (`None` at the end of the input).
fn next_line(input: &[u8], bare_cr_ends_lines: bool) -> (&[u8], Option<&[u8]>) {
    let end = if bare_cr_ends_lines {
        input.iter().position(|b| *b == b'\n' || *b == b'\r')
    } else {
        input.iter().position(|b| *b == b'\n')
    };
    match end {
        None => (input, None),
        Some(at) => {
            let after = match (input.get(at), input.get(at + 1)) {
                (Some(b'\r'), Some(b'\n')) => at + 2,
                _ => at + 1,
            };
            let mut line = input.get(..at).unwrap_or_default();
            if !bare_cr_ends_lines {
                line = line.strip_suffix(b"\r").unwrap_or(line);
            }
            (line, Some(input.get(after..).unwrap_or_default()))
        }
    }
}

/// The deciding headers that can be read two ways, by their usual names (`From`, `Message-ID`).
pub(crate) fn ambiguous(raw: &[u8]) -> Vec<&'static str> {
    let by_lf = read(raw, false);
    let by_cr = read(raw, true);
    DECIDING
        .iter()
        .zip(by_lf.iter().zip(&by_cr))
        .filter(|((_, _, strict), (one, other))| {
            let repeated = |values: &Vec<String>| {
                if *strict {
                    values.len() > 1
                } else {
                    values
                        .first()
                        .is_some_and(|first| values.iter().any(|value| value != first))
                }
            };
            one != other || repeated(one) || repeated(other)
        })
        .map(|((_, name, _), _)| *name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ambiguous;

    fn check(raw: &str, expected: &[&str]) {
        assert_eq!(ambiguous(raw.as_bytes()), expected, "{raw:?}");
    }

    #[test]
    fn headers_read_two_ways() {
        check("From: a@x.cn\r\nSubject: s\r\n\r\nbody", &[]);
        check("From: a@x.cn\nSubject: s\n\nbody\rFrom: b@y.cn\n", &[]);
        check(
            "From a@x.cn Mon Mar  1 10:00:00 2021\nFrom: a@x.cn\n\nbody",
            &[],
        );
        check("From: a@x.cn\r\nFrom: b@y.cn\r\n\r\n", &["From"]);
        check("From: a@x.cn\r\nFrom: a@x.cn\r\n\r\n", &["From"]);
        check("from: a@x.cn\r\nFROM: b@y.cn\r\n\r\n", &["From"]);
        check("From : a@x.cn\r\nFrom: b@y.cn\r\n\r\n", &["From"]);
        check("FROM : a@x.cn\r\n\r\n", &[]);
        check("Sender: a@x.cn\r\nSender: b@y.cn\r\n\r\n", &["Sender"]);
        check(
            "Message-ID: <a@x>\r\nMessage-Id: <b@y>\r\n\r\n",
            &["Message-ID"],
        );
        check("Subject: one\r\nSubject: one\r\n\r\n", &[]);
        check("Subject: one\r\nSubject: two\r\n\r\n", &["Subject"]);
        check(
            "In-Reply-To: <a@x>\r\nIn-Reply-To: <b@x>\r\n\r\n",
            &["In-Reply-To"],
        );
        check(
            "References: <a@x>\r\n <b@x>\r\nReferences: <a@x> <b@x>\r\n\r\n",
            &[],
        );
        check(
            "References: <a@x>\r\nReferences: <c@x>\r\n\r\n",
            &["References"],
        );
        check(
            "Date: Mon, 1 Mar 2021 10:00:00 +0800\r\nDate: Tue, 2 Mar 2021 10:00:00 +0800\r\n\r\n",
            &["Date"],
        );
        // A bare CR that a stricter parser takes as a line end hides a header in another.
        check(
            "Subject: s\rFrom: evil@x.cn\r\nTo: t@x.cn\r\n\r\n",
            &["From", "Subject"],
        );
        // A line of one CR ends the headers for one reader and not for the other.
        check(
            "From: good@x.cn\r\nX: a\r\r\nFrom: evil@x.cn\r\n\r\n",
            &["From"],
        );
    }
}
