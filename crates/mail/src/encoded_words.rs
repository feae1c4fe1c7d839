//! RFC 2047 encoded words, joined before decoding.
//!
//! RFC 2047 (section 5) says each encoded word must hold whole characters, but real clients
//! split a multibyte character across two words (`=?UTF-8?B?57O75w==?= =?UTF-8?B?u5/p…?=`).
//! Decoding word by word then yields replacement characters. [`decode`] joins the bytes of
//! adjacent words in the same charset first, then decodes them once.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use regex::Regex;

fn pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
            .expect("the encoded word pattern is a valid regex")
    })
}

fn decode_charset(charset: &str, bytes: &[u8]) -> Option<String> {
    // RFC 2231 allows a language after the charset: `UTF-8*zh-CN`.
    let label = charset.split('*').next().unwrap_or(charset).trim();
    let encoding = match label.to_ascii_lowercase().as_str() {
        // GB18030 is a superset of both, and senders who label GB2312 often send GBK or GB18030 characters.
        "gb2312" | "gbk" | "x-gbk" | "cp936" | "csgb2312" | "euc-cn" => encoding_rs::GB18030,
        _ => encoding_rs::Encoding::for_label(label.as_bytes())?,
    };
    // Lenient: a broken byte becomes U+FFFD; the caller keeps whichever reading has fewer of them.
    let (text, _, _) = encoding.decode(bytes);
    Some(text.into_owned())
}

/// Decodes a raw header value whose encoded words may split characters; `None` if a word or charset cannot be read at all.
pub fn decode(raw: &str) -> Option<String> {
    let unfolded = raw.replace("\r\n", "").replace('\n', "");
    let mut out = String::new();
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut last_end = 0;
    let flush = |pending: &mut Option<(String, Vec<u8>)>, out: &mut String| -> Option<()> {
        if let Some((charset, bytes)) = pending.take() {
            out.push_str(&decode_charset(&charset, &bytes)?);
        }
        Some(())
    };
    for captures in pattern().captures_iter(&unfolded) {
        let whole = captures.get(0)?;
        let between = &unfolded[last_end..whole.start()];
        // White space between two encoded words is not part of the text (RFC 2047 section 6.2).
        if !(between.trim().is_empty() && pending.is_some()) {
            flush(&mut pending, &mut out)?;
            out.push_str(between);
        }
        let charset = captures.get(1)?.as_str().to_ascii_lowercase();
        let payload = captures.get(3)?.as_str().as_bytes();
        let bytes = match captures.get(2)?.as_str() {
            "b" | "B" => base64_decode(payload)?,
            _ => {
                let spaced: Vec<u8> = payload
                    .iter()
                    .map(|b| if *b == b'_' { b' ' } else { *b })
                    .collect();
                quoted_printable_decode(&spaced)?
            }
        };
        match pending.as_mut() {
            Some((current, buffer)) if *current == charset => buffer.extend_from_slice(&bytes),
            _ => {
                flush(&mut pending, &mut out)?;
                pending = Some((charset, bytes));
            }
        }
        last_end = whole.end();
    }
    flush(&mut pending, &mut out)?;
    out.push_str(&unfolded[last_end..]);
    Some(out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::decode;

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
        assert_eq!(decode("plain text").as_deref(), Some("plain text"));
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
