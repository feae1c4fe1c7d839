//! Case numbers, tracking tokens and priorities: the labels a subject carries.
//!
//! A case number looks like `CAS-03865-H7P3F1`: a sequence of at least five
//! digits (it grows past five when it must) and six characters. Numbers that
//! Casebook makes use an alphabet without look-alikes (no `0`, `O`, `1`, `I`,
//! `L`); numbers adopted from an earlier system may use any letter or digit,
//! as the seed case's `H7P3F1` does.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The characters of a new number's suffix: no `0`/`O`, `1`/`I`/`L` look-alikes.
pub const SUFFIX_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A case number such as `CAS-03865-H7P3F1`, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber {
    seq: u64,
    suffix: String,
}

/// Why a text is not a case number, a token or a priority.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// The text is not of the form `CAS-NNNNN-XXXXXX`.
    #[error("'{0}' is not a case number; a case number looks like CAS-03865-H7P3F1")]
    CaseNumber(String),
    /// The text is not of the form `PREFIX:NNNNNNN`.
    #[error("'{0}' is not a tracking token; a token looks like CMIT:0001804")]
    Token(String),
    /// The text is not one of P1 to P4.
    #[error("'{0}' is not a priority; use one of P1, P2, P3, P4")]
    Priority(String),
}

impl CaseNumber {
    /// Makes a new number from a sequence value and a random suffix.
    pub fn generate(seq: u64, rng: &mut impl Rng) -> CaseNumber {
        let suffix = (0..6)
            .map(|_| {
                let index = rng.random_range(0..SUFFIX_ALPHABET.len());
                char::from(SUFFIX_ALPHABET[index])
            })
            .collect();
        CaseNumber { seq, suffix }
    }

    /// The sequence part: 3865 for `CAS-03865-H7P3F1`.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Finds the first case number inside a longer text, at word boundaries.
    pub fn find_in(text: &str) -> Option<CaseNumber> {
        Self::find_all_in(text).into_iter().next()
    }

    /// Finds every case number inside a longer text, in order.
    pub fn find_all_in(text: &str) -> Vec<CaseNumber> {
        static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let pattern = PATTERN.get_or_init(|| {
            regex::Regex::new(r"(?i)\bCAS-([0-9]{5,18})-([A-Z0-9]{6})\b")
                .expect("the case number pattern is a valid regex")
        });
        pattern
            .captures_iter(text)
            .filter_map(|captures| captures.get(0)?.as_str().parse().ok())
            .collect()
    }
}

impl FromStr for CaseNumber {
    type Err = LabelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || LabelError::CaseNumber(text.to_string());
        let upper = text.trim().to_ascii_uppercase();
        let rest = upper.strip_prefix("CAS-").ok_or_else(error)?;
        let (digits, suffix) = rest.split_once('-').ok_or_else(error)?;
        let digits_ok =
            (5..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        let suffix_ok = suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
        if !digits_ok || !suffix_ok {
            return Err(error());
        }
        let seq = digits.parse().map_err(|_| error())?;
        Ok(CaseNumber {
            seq,
            suffix: suffix.to_string(),
        })
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CAS-{:05}-{}", self.seq, self.suffix)
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = LabelError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<CaseNumber> for String {
    fn from(number: CaseNumber) -> String {
        number.to_string()
    }
}

/// A tracking token such as `CMIT:0001804`: a prefix of capital letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingToken {
    prefix: String,
    digits: String,
}

impl TrackingToken {
    /// Makes the token with this prefix and sequence value, zero-padded to seven digits.
    pub fn new(prefix: &str, value: u64) -> Result<TrackingToken, LabelError> {
        format!("{prefix}:{value:07}").parse()
    }

    /// The prefix, `CMIT` in `CMIT:0001804`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

impl FromStr for TrackingToken {
    type Err = LabelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || LabelError::Token(text.to_string());
        let (prefix, digits) = text.trim().split_once([':', '：']).ok_or_else(error)?;
        let prefix_ok = (1..=16).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_alphanumeric())
            && prefix
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic());
        let digits_ok =
            (4..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        if !prefix_ok || !digits_ok {
            return Err(error());
        }
        Ok(TrackingToken {
            prefix: prefix.to_ascii_uppercase(),
            digits: digits.to_string(),
        })
    }
}

impl fmt::Display for TrackingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.prefix, self.digits)
    }
}

impl TryFrom<String> for TrackingToken {
    type Error = LabelError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<TrackingToken> for String {
    fn from(token: TrackingToken) -> String {
        token.to_string()
    }
}

/// A case's priority, P1 (most urgent) to P4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// Production down, no workaround.
    P1,
    /// Severe impact.
    P2,
    /// Moderate impact; the seed case's priority.
    P3,
    /// Low impact or a question.
    P4,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// The label as written in subjects and JSON: `P3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }
}

impl FromStr for Priority {
    type Err = LabelError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "P1" => Ok(Priority::P1),
            "P2" => Ok(Priority::P2),
            "P3" => Ok(Priority::P3),
            "P4" => Ok(Priority::P4),
            _ => Err(LabelError::Priority(text.to_string())),
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn check_number(text: &str, expected: Option<&str>) {
        assert_eq!(
            text.parse::<CaseNumber>()
                .ok()
                .map(|n| n.to_string())
                .as_deref(),
            expected,
            "{text}"
        );
    }

    #[test]
    fn case_numbers() {
        check_number("CAS-03865-H7P3F1", Some("CAS-03865-H7P3F1"));
        check_number(" cas-03865-h7p3f1 ", Some("CAS-03865-H7P3F1"));
        check_number("CAS-1234567-ABCDEF", Some("CAS-1234567-ABCDEF"));
        check_number("CAS-0386-H7P3F1", None);
        check_number("CAS-03865-H7P3F", None);
        check_number("CAS-03865-H7P3F1X", None);
        check_number("CAS-0386A-H7P3F1", None);
        check_number("XYZ-03865-H7P3F1", None);
        check_number("", None);
    }

    #[test]
    fn numbers_found_in_text() {
        let found = CaseNumber::find_all_in(
            "re: CAS-00001-AAAAAA and\u{2009}CAS-03865-H7P3F1\u{2009}] xCAS-00002-BBBBBB",
        );
        let found: Vec<String> = found.iter().map(|n| n.to_string()).collect();
        assert_eq!(found, ["CAS-00001-AAAAAA", "CAS-03865-H7P3F1"]);
    }

    #[test]
    fn sequences_grow_past_five_digits() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let number = CaseNumber::generate(123_456, &mut rng);
        assert!(number.to_string().starts_with("CAS-123456-"), "{number}");
        assert_eq!(
            CaseNumber::generate(7, &mut rng).to_string().len(),
            "CAS-00007-XXXXXX".len()
        );
    }

    #[test]
    fn tokens() {
        assert_eq!(
            TrackingToken::new("CMIT", 1804).map(|t| t.to_string()),
            Ok("CMIT:0001804".to_string())
        );
        let codec = crate::subject::SubjectCodec::default();
        assert_eq!(
            codec
                .find_token("初次响应 CMIT:0001804")
                .map(|t| t.to_string()),
            Some("CMIT:0001804".to_string())
        );
        assert_eq!(codec.find_token("xCMIT:0001804"), None);
        assert_eq!(codec.find_token("RE: hello"), None);
        assert!("CMIT:12".parse::<TrackingToken>().is_err());
        assert!(":0001804".parse::<TrackingToken>().is_err());
    }

    proptest! {
        #[test]
        fn generated_numbers_round_trip(seq in 0u64..10_000_000_000, seed: u64) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let number = CaseNumber::generate(seq, &mut rng);
            let parsed: CaseNumber = number.to_string().parse().unwrap();
            prop_assert_eq!(&parsed, &number);
            prop_assert_eq!(parsed.seq(), seq);
            prop_assert!(number.suffix.bytes().all(|b| SUFFIX_ALPHABET.contains(&b)));
        }
    }
}
