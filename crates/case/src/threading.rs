//! Threading: given what is known about a message, decide which case it belongs to and why.
//!
//! The order is fixed (issue "Foundation"): In-Reply-To/References matching a
//! stored Message-ID, then the tracking token, then the case number, then
//! Outlook's Thread-Index. The storage layer looks the facts up; this module
//! only decides, so the rules are tested without a database.

use crate::number::{CaseNumber, TrackingToken};
use crate::timeline::MatchedBy;

/// A label the subject carried, and the case it points at if Casebook knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelLookup<L, C> {
    /// The label as found in the subject.
    pub label: L,
    /// The case it points at, or `None` if no case carries it.
    pub case: Option<C>,
}

/// The facts threading needs, looked up by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadingFacts<C> {
    /// The case of a message named by In-Reply-To or References, if any.
    pub by_references: Option<C>,
    /// The tracking token found in the subject.
    pub token: Option<LabelLookup<TrackingToken, C>>,
    /// The case number found in the subject.
    pub number: Option<LabelLookup<CaseNumber, C>>,
    /// The case of a message sharing this message's Thread-Index root, if any.
    pub by_thread_index: Option<C>,
    /// A case Casebook opened itself whose title and participants match, for a subject whose
    /// number Casebook does not know (see [`titles_match`]).
    pub by_title: Option<C>,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement<C> {
    /// Onto an existing case; unknown labels the subject carried become aliases of it.
    Existing {
        /// The case.
        case: C,
        /// How it was found.
        matched_by: MatchedBy,
        /// A number the subject named that no case carries yet: record it as an alias.
        new_number_alias: Option<CaseNumber>,
        /// A token the subject named that no case carries yet: record it as an alias.
        new_token_alias: Option<TrackingToken>,
    },
    /// A case from an earlier system, created with its own number and token.
    Adopt {
        /// The number to keep.
        number: CaseNumber,
        /// The token to keep, if the subject had one nobody carries.
        token: Option<TrackingToken>,
    },
    /// No case named: a new case, if the sender may open one.
    NewCase,
}

/// Decides where a message goes.
///
/// A token is a bare sequence number, and two systems (the one Casebook replaced, and Casebook)
/// can hand out the same one; a case number carries a random suffix. So when a subject names
/// both and they disagree, the number decides: a token match counts only if the subject's
/// number, if any, names the same case.
pub fn place<C: Clone + PartialEq>(facts: &ThreadingFacts<C>) -> Placement<C> {
    let unknown_number = facts
        .number
        .as_ref()
        .filter(|lookup| lookup.case.is_none())
        .map(|lookup| lookup.label.clone());
    let unknown_token = facts
        .token
        .as_ref()
        .filter(|lookup| lookup.case.is_none())
        .map(|lookup| lookup.label.clone());
    let existing = |case: &C, matched_by| Placement::Existing {
        case: case.clone(),
        matched_by,
        new_number_alias: unknown_number.clone(),
        new_token_alias: unknown_token.clone(),
    };
    if let Some(case) = &facts.by_references {
        return existing(case, MatchedBy::References);
    }
    let token_case = facts.token.as_ref().and_then(|lookup| lookup.case.as_ref());
    let number_agrees = |case: &C| {
        facts
            .number
            .as_ref()
            .is_none_or(|lookup| lookup.case.as_ref() == Some(case))
    };
    if let Some(case) = token_case.filter(|case| number_agrees(case)) {
        return existing(case, MatchedBy::Token);
    }
    if let Some(case) = facts
        .number
        .as_ref()
        .and_then(|lookup| lookup.case.as_ref())
    {
        return existing(case, MatchedBy::CaseNumber);
    }
    if let Some(case) = &facts.by_thread_index {
        return existing(case, MatchedBy::ThreadIndex);
    }
    match (unknown_number, &facts.by_title) {
        // A partner wrote first and Casebook opened a case; the earlier system numbered the same
        // problem, and its number now arrives in a message that references nothing.
        (Some(number), Some(case)) => Placement::Existing {
            case: case.clone(),
            matched_by: MatchedBy::Title,
            new_number_alias: Some(number),
            new_token_alias: unknown_token,
        },
        (Some(number), None) => Placement::Adopt {
            number,
            token: unknown_token,
        },
        // A reply whose subject kept only a token nobody knows (a client cut it short), on a case
        // Casebook opened for the same problem: the token becomes the case's alias.
        (None, Some(case)) if unknown_token.is_some() => Placement::Existing {
            case: case.clone(),
            matched_by: MatchedBy::Title,
            new_number_alias: None,
            new_token_alias: unknown_token,
        },
        (None, _) => Placement::NewCase,
    }
}

/// Whether two case titles name the same problem: one contains the other, ignoring case, white
/// space and bracketed tags such as `[Acer]`, and the shorter is long enough to be specific:
/// eight letters, where a Chinese, Japanese or Korean character counts as two (`恢复分区丢失`
/// says as much as an eight-letter English title).
pub fn titles_match(a: &str, b: &str) -> bool {
    let (a, b) = (comparable(a), comparable(b));
    let (short, long) = if weight(&a) <= weight(&b) {
        (a, b)
    } else {
        (b, a)
    };
    weight(&short) >= 8 && long.contains(&short)
}

/// Whether a title cut short or reworded (a phone's `关于开机时间过长（超过 16的进展` for
/// `开机时间过长（超过 163 秒）`) names the same problem as another: the titles match, or they
/// share a run of characters that is specific (twelve letters, a CJK character counting two)
/// and makes up most (three fifths) of the shorter title.
pub fn titles_similar(a: &str, b: &str) -> bool {
    if titles_match(a, b) {
        return true;
    }
    let (a, b) = (comparable(a), comparable(b));
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // The longest common run, by weight (titles are short: quadratic is fine).
    let mut best = 0usize;
    let mut previous = vec![0usize; b.len() + 1];
    for x in &a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                current[j + 1] = previous[j] + char_weight(*x);
                best = best.max(current[j + 1]);
            }
        }
        previous = current;
    }
    let shorter = weight(&a.iter().collect::<String>()).min(weight(&b.iter().collect::<String>()));
    best >= 12 && best * 5 >= shorter * 3
}

/// A title as compared: no bracketed tags, no white space, lower case.
fn comparable(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' | '【' => depth += 1,
            ']' | '】' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ if c.is_whitespace() => {}
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// How much a title says: letters count one, Chinese, Japanese and Korean characters two.
fn weight(text: &str) -> usize {
    text.chars().map(char_weight).sum()
}

fn char_weight(c: char) -> usize {
    if is_cjk(c) {
        2
    } else {
        1
    }
}

/// Han ideographs, kana and hangul.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF // hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xAC00..=0xD7AF // hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x2FA1F) // CJK extensions B to F and supplements
}

/// Decodes an Outlook Thread-Index header and returns its 22-byte root in hex.
///
/// The header is base64: a 22-byte header block shared by the whole
/// conversation, then one 5-byte block per reply ([MS-OXOMSG] 2.2.1.3).
pub fn thread_index_root(header: &str) -> Option<String> {
    let bytes = decode_base64(header.trim())?;
    let root = bytes.get(..22)?;
    Some(root.iter().map(|b| format!("{b:02x}")).collect())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> CaseNumber {
        text.parse().unwrap()
    }
    fn token(text: &str) -> TrackingToken {
        text.parse().unwrap()
    }

    fn facts() -> ThreadingFacts<u32> {
        ThreadingFacts {
            by_references: None,
            token: None,
            number: None,
            by_thread_index: None,
            by_title: None,
        }
    }

    fn check(facts: ThreadingFacts<u32>, expected: Placement<u32>) {
        assert_eq!(place(&facts), expected);
    }

    fn existing(case: u32, matched_by: MatchedBy) -> Placement<u32> {
        Placement::Existing {
            case,
            matched_by,
            new_number_alias: None,
            new_token_alias: None,
        }
    }

    #[test]
    fn the_order_is_references_token_number_thread_index() {
        let all = ThreadingFacts {
            by_references: Some(1),
            token: Some(LabelLookup {
                label: token("CMIT:0000002"),
                case: Some(2),
            }),
            number: Some(LabelLookup {
                label: number("CAS-00003-AAAAAA"),
                case: Some(2),
            }),
            by_thread_index: Some(4),
            by_title: Some(5),
        };
        check(all.clone(), existing(1, MatchedBy::References));
        check(
            ThreadingFacts {
                by_references: None,
                ..all.clone()
            },
            existing(2, MatchedBy::Token),
        );
        check(
            ThreadingFacts {
                by_references: None,
                token: None,
                ..all.clone()
            },
            existing(2, MatchedBy::CaseNumber),
        );
        check(
            ThreadingFacts {
                by_thread_index: Some(4),
                ..facts()
            },
            existing(4, MatchedBy::ThreadIndex),
        );
        check(facts(), Placement::NewCase);
    }

    #[test]
    fn unknown_labels_are_adopted_or_become_aliases() {
        let unknown_number = Some(LabelLookup {
            label: number("CAS-03865-H7P3F1"),
            case: None,
        });
        let unknown_token = Some(LabelLookup {
            label: token("CMIT:0001804"),
            case: None,
        });
        check(
            ThreadingFacts {
                number: unknown_number.clone(),
                token: unknown_token.clone(),
                ..facts()
            },
            Placement::Adopt {
                number: number("CAS-03865-H7P3F1"),
                token: Some(token("CMIT:0001804")),
            },
        );
        check(
            ThreadingFacts {
                by_references: Some(7),
                number: unknown_number.clone(),
                ..facts()
            },
            Placement::Existing {
                case: 7,
                matched_by: MatchedBy::References,
                new_number_alias: Some(number("CAS-03865-H7P3F1")),
                new_token_alias: None,
            },
        );
        // A token and a number that disagree: the number decides (the token may be another system's).
        let token_of_2 = Some(LabelLookup {
            label: token("CMIT:0000002"),
            case: Some(2),
        });
        check(
            ThreadingFacts {
                token: token_of_2.clone(),
                number: Some(LabelLookup {
                    label: number("CAS-00003-AAAAAA"),
                    case: Some(3),
                }),
                ..facts()
            },
            Placement::Existing {
                case: 3,
                matched_by: MatchedBy::CaseNumber,
                new_number_alias: None,
                new_token_alias: None,
            },
        );
        check(
            ThreadingFacts {
                token: token_of_2.clone(),
                number: unknown_number.clone(),
                ..facts()
            },
            Placement::Adopt {
                number: number("CAS-03865-H7P3F1"),
                token: None,
            },
        );
        check(
            ThreadingFacts {
                token: token_of_2,
                number: Some(LabelLookup {
                    label: number("CAS-00002-AAAAAA"),
                    case: Some(2),
                }),
                ..facts()
            },
            Placement::Existing {
                case: 2,
                matched_by: MatchedBy::Token,
                new_number_alias: None,
                new_token_alias: None,
            },
        );
        // A token alone, unknown, opens no adoption: a number is what a case is known by.
        check(
            ThreadingFacts {
                token: unknown_token,
                ..facts()
            },
            Placement::NewCase,
        );
    }

    #[test]
    fn a_number_first_seen_without_references_joins_the_case_its_title_names() {
        let unknown_number = Some(LabelLookup {
            label: number("CAS-01341-ERCE9K"),
            case: None,
        });
        check(
            ThreadingFacts {
                number: unknown_number.clone(),
                by_title: Some(9),
                ..facts()
            },
            Placement::Existing {
                case: 9,
                matched_by: MatchedBy::Title,
                new_number_alias: Some(number("CAS-01341-ERCE9K")),
                new_token_alias: None,
            },
        );
        // Without a number or a token the title decides nothing.
        check(
            ThreadingFacts {
                by_title: Some(9),
                ..facts()
            },
            Placement::NewCase,
        );
        // A token nobody knows, alone in a subject cut short: the title decides, the token becomes an alias.
        let unknown_token: TrackingToken = "CMIT:0021576".parse().unwrap();
        check(
            ThreadingFacts {
                token: Some(LabelLookup {
                    label: unknown_token.clone(),
                    case: None,
                }),
                by_title: Some(9),
                ..facts()
            },
            Placement::Existing {
                case: 9,
                matched_by: MatchedBy::Title,
                new_number_alias: None,
                new_token_alias: Some(unknown_token),
            },
        );
    }

    #[test]
    fn titles() {
        assert!(titles_match(
            "[Acer] Latitude 1283 PC reset fails",
            "Latitude 1283 PC reset fails"
        ));
        assert!(titles_match(
            "系统重置失败问题",
            "【Acer】 系统重置 失败问题"
        ));
        assert!(
            !titles_match("reset", "reset fails"),
            "too short to mean anything"
        );
        assert!(
            titles_match("[Acer] 恢复分区丢失", "恢复分区丢失"),
            "six Chinese characters say enough"
        );
        assert!(!titles_match("蓝屏", "蓝屏问题"), "two do not");
        assert!(titles_similar(
            "关于开机时间过长（超过 16的进展",
            "开机时间过长（超过 163 秒）"
        ));
        assert!(
            !titles_similar(
                "关于ThinkPad X1 的进展",
                "ThinkPad X1 Gen 3600 随机重启，事件 ID 41"
            ),
            "a model name alone is not the problem"
        );
        assert!(!titles_similar("系统重置失败", "系统启动缓慢"));
        assert!(!titles_match(
            "Latitude 1283 PC reset fails",
            "Latitude 1283 boots slowly"
        ));
    }

    #[test]
    fn thread_index_roots() {
        // 22 bytes of header plus one 5-byte child block.
        let parent = "AQHWz+2LrLJ5J1T5QkqXzQ8oLqKq3w==";
        let child = "AQHWz+2LrLJ5J1T5QkqXzQ8oLqKq3wABAgME";
        assert_eq!(thread_index_root(parent).map(|root| root.len()), Some(44));
        assert_eq!(thread_index_root(parent), thread_index_root(child));
        assert_eq!(thread_index_root("AQID"), None);
        assert_eq!(thread_index_root("not*base64"), None);
    }
}
