//! Charsets as clients name them, and header bytes sent raw in a legacy charset.
//!
//! Labels are looked up in the WHATWG table (`encoding_rs`) after the aliases older clients
//! write that it does not list (`gb_2312-80`, `cp950`, `utf7`). Raw 8-bit header bytes (no
//! RFC 2047), as older Chinese, Japanese and Russian clients send them, are decoded with the
//! charset the message declares for its text, else with the charset `chardetng` (Mozilla's
//! detector) guesses, and the guess is reported. Decoding itself is `encoding_rs`'s and, for
//! UTF-7, `mail-parser`'s.

use encoding_rs::Encoding;
use regex::bytes::Regex;

/// How a label is to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoder {
    /// A WHATWG encoding.
    Whatwg(&'static Encoding),
    /// UTF-7 (RFC 2152), which the WHATWG table leaves out.
    Utf7,
}

/// The decoder for a charset label as written, if it names one.
pub(crate) fn decoder_for(label: &str) -> Option<Decoder> {
    // RFC 2231 allows a language after the charset: `UTF-8*zh-CN`.
    let label = label.split('*').next().unwrap_or(label).trim();
    let lower = label.to_ascii_lowercase();
    let encoding = match lower.as_str() {
        // GB18030 is a superset of both, and senders who label GB2312 often send GBK or GB18030 characters.
        "gb2312" | "gbk" | "x-gbk" | "cp936" | "csgb2312" | "euc-cn" | "gb_2312-80"
        | "gb2312-80" | "gb_2312" | "chinese" | "ms936" | "windows-936" | "x-euc-cn" => {
            encoding_rs::GB18030
        }
        "cp950" | "ms950" | "windows-950" | "big5-hkscs" | "x-x-big5" => encoding_rs::BIG5,
        "cp949" | "ms949" | "windows-949" | "ks_c_5601" | "ks_c_5601-1989" | "ksc5601" => {
            encoding_rs::EUC_KR
        }
        "cp932" | "ms932" | "windows-932" | "sjis" | "x-sjis" => encoding_rs::SHIFT_JIS,
        "utf-7" | "utf7" | "unicode-1-1-utf-7" | "csunicode11utf7" | "x-unicode-2-0-utf-7" => {
            return Some(Decoder::Utf7)
        }
        "utf8" => encoding_rs::UTF_8,
        _ => Encoding::for_label(label.as_bytes())?,
    };
    Some(Decoder::Whatwg(encoding))
}

/// Decodes bytes in a charset; a broken byte becomes U+FFFD.
pub(crate) fn decode(decoder: Decoder, bytes: &[u8]) -> String {
    match decoder {
        Decoder::Whatwg(encoding) => encoding.decode(bytes).0.into_owned(),
        Decoder::Utf7 => mail_parser::decoders::charsets::map::charset_decoder(b"utf-7")
            .map_or_else(|| String::from_utf8_lossy(bytes).into_owned(), |f| f(bytes)),
    }
}

fn declared_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r#"(?i)charset\s*=\s*"?([a-z0-9_.:+-]+)"#)
            .expect("the charset parameter pattern is a valid regex")
    })
}

/// The first charset the message declares (in any part's Content-Type) other than ASCII and UTF-8.
fn declared(raw: &[u8]) -> Option<&'static Encoding> {
    declared_pattern()
        .captures_iter(raw)
        .filter_map(|captures| {
            let label = String::from_utf8_lossy(captures.get(1)?.as_bytes()).into_owned();
            match decoder_for(&label)? {
                Decoder::Whatwg(encoding) if encoding != encoding_rs::UTF_8 => Some(encoding),
                _ => None,
            }
        })
        .next()
}

/// The top-level domain of the From address, as a hint for the detector.
fn encoded_word_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"(?-u)=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")
            .expect("the encoded word pattern is a valid regex")
    })
}

/// A header line cut into pieces: (bytes, inside an encoded word). Raw bytes inside an encoded
/// word are in that word's charset, which mail-parser reads; only the rest is transcoded here.
fn pieces(line: &[u8]) -> Vec<(&[u8], bool)> {
    let mut out = Vec::new();
    let mut last = 0;
    for word in encoded_word_pattern().find_iter(line) {
        out.push((line.get(last..word.start()).unwrap_or_default(), false));
        out.push((word.as_bytes(), true));
        last = word.end();
    }
    out.push((line.get(last..).unwrap_or_default(), false));
    out
}

fn from_tld(head: &[u8]) -> Option<Vec<u8>> {
    let line = head.split(|b| *b == b'\n').find(|line| {
        line.len() > 5
            && line
                .get(..5)
                .is_some_and(|n| n.eq_ignore_ascii_case(b"from:"))
    })?;
    let at = line.iter().rposition(|b| *b == b'@')?;
    let domain: Vec<u8> = line
        .get(at + 1..)?
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
        .collect();
    let tld = domain.rsplit(|b| *b == b'.').next()?.to_ascii_lowercase();
    (!tld.is_empty()).then_some(tld)
}

/// The message with its top-level header lines (the first `head_end` bytes) that are not UTF-8
/// decoded to UTF-8, and the charset's name when it was guessed; `None` when every header line
/// is already UTF-8.
pub(crate) fn transcode_headers(
    raw: &[u8],
    head_end: usize,
) -> Option<(Vec<u8>, Option<&'static str>)> {
    let head = raw.get(..head_end)?;
    if std::str::from_utf8(head).is_ok() {
        return None;
    }
    let legacy: Vec<u8> = head
        .split(|b| *b == b'\n')
        .flat_map(pieces)
        .filter(|(piece, inside)| !inside && std::str::from_utf8(piece).is_err())
        .flat_map(|(piece, _)| piece.iter().copied().chain([b'\n']))
        .collect();
    if legacy.is_empty() {
        return None;
    }
    let clean = |encoding: &'static Encoding| {
        encoding
            .decode_without_bom_handling_and_without_replacement(&legacy)
            .is_some()
    };
    let (encoding, guessed) = match declared(raw).filter(|encoding| clean(encoding)) {
        Some(encoding) => (encoding, None),
        None => {
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(&legacy, true);
            let tld = from_tld(head);
            let encoding = detector.guess(tld.as_deref(), chardetng::Utf8Detection::Deny);
            (encoding, Some(encoding.name()))
        }
    };
    let mut out = Vec::with_capacity(raw.len() + legacy.len());
    for (index, line) in head.split(|b| *b == b'\n').enumerate() {
        if index > 0 {
            out.push(b'\n');
        }
        for (piece, inside) in pieces(line) {
            if inside || std::str::from_utf8(piece).is_ok() {
                out.extend_from_slice(piece);
            } else {
                out.extend_from_slice(encoding.decode_without_bom_handling(piece).0.as_bytes());
            }
        }
    }
    out.extend_from_slice(raw.get(head_end..).unwrap_or_default());
    Some((out, guessed))
}

#[cfg(test)]
mod tests {
    use super::{decode, decoder_for, transcode_headers};

    fn transcode(raw: &[u8]) -> Option<(Vec<u8>, Option<&'static str>)> {
        transcode_headers(raw, crate::normalise::header_section_len(raw))
    }

    fn check(raw: &[u8], expected_head: &str, expected_guess: Option<&str>) {
        let (out, guessed) = transcode(raw).expect("the header is not UTF-8");
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with(expected_head), "{text:?}");
        assert_eq!(guessed, expected_guess, "{text:?}");
    }

    #[test]
    fn raw_legacy_headers() {
        assert_eq!(transcode(b"Subject: \xe4\xbd\xa0\xe5\xa5\xbd\n\nx"), None);
        // Declared by the text part.
        check(
            b"Subject: \xc4\xe3\xba\xc3\nContent-Type: text/plain; charset=gb2312\n\n\xc4\xe3",
            "Subject: \u{4f60}\u{597d}\n",
            None,
        );
        check(
            b"Subject: \xa5\x78\xc6\x57\xa7\xde\xb3\x4e\xa4\xe4\xb4\xa9\nContent-Type: text/plain; charset=\"big5\"\n\nx",
            "Subject: 台灣技術支援\n",
            None,
        );
        // Nothing declared: guessed, with the From domain as a hint.
        check(
            b"From: x@example.ru\nSubject: \xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2\n\nx",
            "From: x@example.ru\nSubject: Привет мир\n",
            Some("KOI8-U"), // KOI8-U holds all of KOI8-R's Russian letters
        );
        check(
            b"From: x@example.jp\nSubject: \x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x58\x83\x67\n\nx",
            "From: x@example.jp\nSubject: 日本語のテスト\n",
            Some("Shift_JIS"),
        );
        check(
            b"From: x@example.kr\nSubject: \xc7\xd1\xb1\xb9\xbe\xee \xc5\xd7\xbd\xba\xc6\xae\n\nx",
            "From: x@example.kr\nSubject: 한국어 테스트\n",
            Some("EUC-KR"),
        );
    }

    #[test]
    fn raw_bytes_inside_an_encoded_word_are_left_to_it() {
        assert_eq!(
            transcode(b"Subject: =?iso-8859-1?Q?Fr\xf6sche?=\n\nx"),
            None
        );
        check(
            b"Subject: =?iso-8859-1?Q?Fr\xf6sche?= \xc4\xe3\nContent-Type: text/plain; charset=gbk\n\nx",
            "Subject: =?iso-8859-1?Q?Fr\u{fffd}sche?= \u{4f60}\n",
            None,
        );
    }

    #[test]
    fn labels_as_clients_write_them() {
        for (label, sample, expected) in [
            ("x-gbk", &b"\xc4\xe3\xba\xc3"[..], "你好"),
            ("gb_2312-80", b"\xc4\xe3\xba\xc3", "你好"),
            ("cp936", b"\xc4\xe3\xba\xc3", "你好"),
            ("cp950", b"\xa5\x78\xc6\x57", "台灣"),
            ("ks_c_5601-1987", b"\xc7\xd1\xb1\xb9", "한국"),
            ("unicode-1-1-utf-7", b"+ZeVnLIqe-", "日本語"),
            ("utf7", b"+ZeVnLIqe-", "日本語"),
            ("UTF-8*zh-CN", "你好".as_bytes(), "你好"),
        ] {
            let decoder = decoder_for(label).expect(label);
            assert_eq!(decode(decoder, sample), expected, "{label}");
        }
        assert_eq!(decoder_for("x-klingon"), None);
    }
}
