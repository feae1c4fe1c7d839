//! Safe attachment file names.
//!
//! A name from a message is outside input: it may hold `..`, path
//! separators, control characters, right-to-left overrides or Windows
//! reserved device names. [`sanitise`] keeps what a person would recognise
//! and removes what could escape a folder or mislead a reader.

const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Returns a name that is safe to show and to use as one path component, and whether it changed.
pub fn sanitise(name: &str) -> (String, bool) {
    // Keep only the last path component, whichever separator the sender's system used.
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = last
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| {
            if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    clean = clean
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .to_string();
    let stem = clean.split('.').next().unwrap_or("").to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        clean.insert(0, '_');
    }
    if clean.chars().count() > 200 {
        let extension: String = clean
            .rsplit_once('.')
            .map(|(_, ext)| ext.chars().take(16).collect())
            .unwrap_or_default();
        let head: String = clean.chars().take(180).collect();
        clean = if extension.is_empty() {
            head
        } else {
            format!("{head}.{extension}")
        };
    }
    if clean.is_empty() {
        clean = "attachment".to_string();
    }
    let changed = clean != name;
    (clean, changed)
}

#[cfg(test)]
mod tests {
    use super::sanitise;

    fn check(name: &str, expected: &str) {
        assert_eq!(sanitise(name).0, expected, "{name:?}");
    }

    #[test]
    fn hostile_names() {
        check("report.log", "report.log");
        check("日志.zip", "日志.zip");
        check("../../etc/passwd", "passwd");
        check("..\\..\\windows\\system32\\cmd.exe", "cmd.exe");
        check("..", "attachment");
        check("", "attachment");
        check("a\u{0}b\r\n.txt", "a_b__.txt");
        check("invoice\u{202e}fdp.exe", "invoicefdp.exe");
        check("CON.txt", "_CON.txt");
        check("lpt1", "_lpt1");
        check(".hidden", "hidden");
        check("name. ", "name");
        check("what?.txt", "what_.txt");
        assert_eq!(sanitise(&"x".repeat(500)).0.chars().count(), 180);
        assert!(!sanitise("plain.txt").1);
        assert!(sanitise("../plain.txt").1);
    }
}
