//! RFC 2047 encoded words, joined before decoding.
//!
//! RFC 2047 (section 5) says each encoded word must hold whole characters, but real clients
//! split a multibyte character across two words (`=?UTF-8?B?57O75w==?= =?UTF-8?B?u5/p…?=`).
//! Decoding word by word then yields replacement characters. [`decode`] joins the bytes of
//! adjacent words in the same charset first, then decodes them once.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use regex::Regex;

use crate::charset;

fn pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        // Lenient where clients are: spaces and `?` inside the text (up to the first `?=`), a
        // word that runs to the end of the header without its `?=`, lower-case `b` and `q`.
        Regex::new(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)(?:\?=|$)")
            .expect("the encoded word pattern is a valid regex")
    })
}

/// Decodes a raw header value whose encoded words may split characters; `None` if it holds no
/// encoded word, or a word or charset cannot be read at all.
pub fn decode(raw: &str) -> Option<String> {
    let unfolded = raw.replace("\r\n", "").replace('\n', "");
    let mut out = String::new();
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut last_end = 0;
    let mut words = 0;
    let flush = |pending: &mut Option<(String, Vec<u8>)>, out: &mut String| -> Option<()> {
        if let Some((label, bytes)) = pending.take() {
            out.push_str(&charset::decode(charset::decoder_for(&label)?, &bytes));
        }
        Some(())
    };
    for captures in pattern().captures_iter(&unfolded) {
        let whole = captures.get(0)?;
        let between = unfolded.get(last_end..whole.start())?;
        // White space between two encoded words is not part of the text (RFC 2047 section 6.2).
        if !(between.trim().is_empty() && pending.is_some()) {
            flush(&mut pending, &mut out)?;
            out.push_str(between);
        }
        let label = captures.get(1)?.as_str().to_ascii_lowercase();
        let payload = captures.get(3)?.as_str().as_bytes();
        let bytes = match captures.get(2)?.as_str() {
            "b" | "B" => {
                let packed: Vec<u8> = payload
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                base64_decode(&packed)?
            }
            _ => {
                let spaced: Vec<u8> = payload
                    .iter()
                    .map(|b| if *b == b'_' { b' ' } else { *b })
                    .collect();
                quoted_printable_decode(&spaced)?
            }
        };
        words += 1;
        match pending.as_mut() {
            Some((current, buffer)) if *current == label => buffer.extend_from_slice(&bytes),
            _ => {
                flush(&mut pending, &mut out)?;
                pending = Some((label, bytes));
            }
        }
        last_end = whole.end();
    }
    if words == 0 {
        return None;
    }
    flush(&mut pending, &mut out)?;
    out.push_str(unfolded.get(last_end..)?);
    Some(out.trim().to_string())
}

/// An address header with each run of encoded words replaced by its joined decoding as a
/// quoted string (escaped, on one line), so that a decoded `<`, `,` or `"` stays part of a name;
/// `None` if it holds no encoded word that could be decoded.
pub fn as_quoted_strings(raw: &str) -> Option<String> {
    let unfolded = raw.replace("\r\n", "").replace('\n', "");
    let mut out = String::new();
    let mut last_end = 0;
    let mut run: Option<(usize, usize)> = None;
    let mut changed = false;
    let mut emit = |out: &mut String, start: usize, end: usize| -> Option<()> {
        let before = unfolded.get(..start)?;
        let inside_quotes = before
            .matches('"')
            .count()
            .saturating_sub(before.matches("\\\"").count());
        let text = decode(unfolded.get(start..end)?)?;
        let escaped = crate::normalise::single_line(&text)
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        if inside_quotes % 2 == 1 {
            out.push_str(&escaped);
        } else {
            out.push('"');
            out.push_str(&escaped);
            out.push('"');
        }
        changed = true;
        Some(())
    };
    for found in pattern().find_iter(&unfolded) {
        match run {
            Some((start, end))
                if unfolded
                    .get(end..found.start())
                    .is_some_and(|between| between.trim().is_empty()) =>
            {
                run = Some((start, found.end()));
            }
            Some((start, end)) => {
                out.push_str(unfolded.get(last_end..start)?);
                emit(&mut out, start, end)?;
                last_end = end;
                run = Some((found.start(), found.end()));
            }
            None => run = Some((found.start(), found.end())),
        }
    }
    if let Some((start, end)) = run {
        out.push_str(unfolded.get(last_end..start)?);
        emit(&mut out, start, end)?;
        last_end = end;
    }
    out.push_str(unfolded.get(last_end..)?);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::{as_quoted_strings, decode};

    #[test]
    fn names_in_address_headers() {
        assert_eq!(
            as_quoted_strings("=?UTF-8?B?57O75w==?= =?UTF-8?B?u5/ph43nva4=?= <a@b.cn>").as_deref(),
            Some("\"系统重置\" <a@b.cn>")
        );
        assert_eq!(
            as_quoted_strings("\"=?utf-8?Q?Li_=3Cboss@x.cn=3E?=\" <a@b.cn>, c@d.cn").as_deref(),
            Some("\"Li <boss@x.cn>\" <a@b.cn>, c@d.cn")
        );
        assert_eq!(as_quoted_strings("a@b.cn"), None);
    }

    #[test]
    fn joined_words() {
        assert_eq!(
            decode("=?UTF-8?B?57O75w==?= =?UTF-8?B?u5/ph43nva7lpLHotKU=?=").as_deref(),
            Some("系统重置失败")
        );
        assert_eq!(
            decode("RE: =?GBK?B?z7XN?=\r\n =?GBK?B?s9bY1sPKp7Dc?= (2)").as_deref(),
            Some("RE: 系统重置失败 (2)")
        );
        assert_eq!(
            decode("=?utf-8?Q?caf=C3=A9_au_lait?=").as_deref(),
            Some("café au lait")
        );
        assert_eq!(
            decode("=?utf-8?B?YQ==?= =?gbk?B?z7XNsw==?=").as_deref(),
            Some("a系统")
        );
        assert_eq!(decode("plain text"), None);
        // U+20000 exists only in GB18030 (four bytes), yet arrives labelled GB2312.
        assert_eq!(
            decode("=?gb2312?B?lTKCNg==?=").as_deref(),
            Some("\u{20000}")
        );
        assert_eq!(decode("=?x-unknown?B?YQ==?="), None);
        assert_eq!(
            decode("=?UTF-8?B?57O75w==?=").as_deref(),
            Some("系\u{fffd}"),
            "half a character is marked"
        );
        // Kopano's sample: UTF-8 and UTF-16 words, each split inside a character.
        let kopano = "=?utf-8?q?=e2?==?utf-8?q?=98?==?utf-8?q?=ba?= =?utf-16?q?=fe=ff=00=20=00=76=01?==?utf-16?q?=73=00=2e=00=20=00?=";
        assert_eq!(decode(kopano).as_deref(), Some("☺ vų. \u{fffd}"));
    }
}
