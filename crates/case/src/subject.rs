//! The subject codec: render a case's subject from a template, and find the
//! case again in any subject a mail client sends back.
//!
//! The default template reproduces the seed case's form,
//! `[案例号: CAS-03865-H7P3F1 ] % |P3|Acer|系统重置失败问题 % 初次响应 CMIT:0001804`,
//! with U+2009 thin spaces around the number. Parsing is forgiving where
//! clients are sloppy: nested reply and forward prefixes in many languages,
//! fullwidth colons, brackets and bars, any Unicode space where the template
//! has one. It is exact where it must be: the title is taken verbatim, and a
//! title that itself contains brackets, `%`, `|` or something that looks like
//! a case number does not confuse the fields around it.

use regex::Regex;

use crate::number::{CaseNumber, Priority, TrackingToken};

/// The seed's subject form; the default for rendering.
pub const SEED_TEMPLATE: &str = "[案例号:\u{2009}{number}\u{2009}] %\u{2009}|{priority}|{customer}|{title}\u{2009}% {stage} {token}";

/// The form an earlier case system used (`<title> - CAS-… - P3 - <Customer>  CMIT:…`); parsed, not rendered.
pub const DASHED_TEMPLATE: &str = "{title} - {number} - {priority} - {customer} {token}";

/// Stage labels, Chinese and English, in the order a case usually meets them.
pub const DEFAULT_STAGES: &[(&str, &str)] = &[
    ("初次响应", "Initial response"),
    ("日志收集", "Log collection"),
    ("问题分析", "Analysis"),
    ("方案验证", "Solution verification"),
    ("等待反馈", "Waiting for feedback"),
    ("案例归档", "Archived"),
    ("案例关闭", "Closed"),
];

/// Reply and forward prefixes, as one table (the idea comes from mail-parser's
/// `thread.rs`): English, German, Nordic, Dutch, French, Italian, Chinese, Japanese.
const REPLY_PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rif", "res", "enc", "odp", "vb",
    "回复", "答复", "转发", "回覆", "答覆", "轉寄", "轉發", "返信", "転送",
];

/// The fields a subject carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFields {
    /// The case number.
    pub number: CaseNumber,
    /// The priority.
    pub priority: Priority,
    /// The customer organization's name as written.
    pub customer: String,
    /// The case title.
    pub title: String,
    /// The stage label as written.
    pub stage: String,
    /// The tracking token, if the case has one.
    pub token: Option<TrackingToken>,
}

/// What a subject told, as much as it told.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedSubject {
    /// The case number, from the template or found anywhere.
    pub number: Option<CaseNumber>,
    /// The tracking token, from the template or found anywhere.
    pub token: Option<TrackingToken>,
    /// The priority, when a template matched.
    pub priority: Option<Priority>,
    /// The customer, when a template matched.
    pub customer: Option<String>,
    /// The title when a template matched, else the subject without its prefixes.
    pub title: String,
    /// The stage, when a template matched and had one.
    pub stage: Option<String>,
    /// How many reply or forward prefixes were stripped.
    pub reply_depth: usize,
    /// Whether one of the templates matched the whole subject.
    pub matched_template: bool,
}

/// A template failed to compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder is not one of the known ones.
    #[error("unknown placeholder {{{0}}} in subject template; use {{number}}, {{priority}}, {{customer}}, {{title}}, {{stage}}, {{token}}")]
    UnknownPlaceholder(String),
    /// The template lacks `{number}`, so replies could not find their case.
    #[error("the subject template must contain {{number}}")]
    MissingNumber,
    /// The token prefix is not letters and digits.
    #[error("'{0}' is not a token prefix; use capital letters and digits, such as CMIT")]
    BadTokenPrefix(String),
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(char),
    Number,
    Priority,
    Customer,
    Title,
    Stage,
    Token,
}

#[derive(Debug, Clone)]
struct Template {
    pieces: Vec<Piece>,
    pattern: Regex,
}

/// Renders and parses subjects with one render template and any number of parse templates.
#[derive(Debug, Clone)]
pub struct SubjectCodec {
    render: Template,
    parse: Vec<Template>,
    token_prefix: String,
    token_pattern: Regex,
    prefix_pattern: Regex,
}

fn equivalents(c: char) -> &'static str {
    match c {
        ':' | '：' => "[:：]",
        '[' | '［' | '【' => r"[\[［【]",
        ']' | '］' | '】' => r"[\]］】]",
        '(' | '（' => "[(（]",
        ')' | '）' => "[)）]",
        '|' | '｜' => "[|｜]",
        '%' | '％' => "[%％]",
        '-' | '－' | '–' | '—' => "[-－–—]",
        _ => "",
    }
}

fn compile(template: &str, token_prefix: &str) -> Result<Template, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            if let Some(end) = rest.find('}') {
                let name = &rest[1..end];
                pieces.push(match name {
                    "number" => Piece::Number,
                    "priority" => Piece::Priority,
                    "customer" => Piece::Customer,
                    "title" => Piece::Title,
                    "stage" => Piece::Stage,
                    "token" => Piece::Token,
                    other => return Err(TemplateError::UnknownPlaceholder(other.to_string())),
                });
                rest = &rest[end + 1..];
                continue;
            }
        }
        pieces.push(Piece::Literal(c));
        rest = &rest[c.len_utf8()..];
    }
    if !pieces.iter().any(|piece| matches!(piece, Piece::Number)) {
        return Err(TemplateError::MissingNumber);
    }
    let mut pattern = String::from(r"(?s)^\s*");
    for piece in &pieces {
        match piece {
            Piece::Literal(c) if c.is_whitespace() => pattern.push_str(r"\s*"),
            Piece::Literal(c) => match equivalents(*c) {
                "" => pattern.push_str(&regex::escape(&c.to_string())),
                class => pattern.push_str(class),
            },
            Piece::Number => pattern.push_str(r"(?P<number>(?i:CAS)-[0-9]{5,18}-[A-Za-z0-9]{6})"),
            Piece::Priority => pattern.push_str(r"(?P<priority>[Pp][1-4])"),
            Piece::Customer => pattern.push_str(r"(?P<customer>.*?)"),
            Piece::Title => pattern.push_str(r"(?P<title>.*)"),
            Piece::Stage => pattern.push_str(r"(?P<stage>.*?)"),
            Piece::Token => {
                pattern.push_str(&format!(
                    r"(?:(?P<token>(?i:{})[:：]\s?[0-9]{{4,18}}))?",
                    regex::escape(token_prefix)
                ));
            }
        }
    }
    pattern.push_str(r"\s*$");
    let pattern = Regex::new(&pattern)
        .map_err(|_| TemplateError::UnknownPlaceholder(template.to_string()))?;
    Ok(Template { pieces, pattern })
}

/// Makes a text fit on one subject line: control characters become spaces, the ends are trimmed.
pub fn single_line(text: &str) -> String {
    text.chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Bidirectional embedding, override and isolate controls: in a title they can make a subject read
/// differently from what it says (a right-to-left override reverses what follows it).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl Default for SubjectCodec {
    fn default() -> Self {
        SubjectCodec::new(SEED_TEMPLATE, &[SEED_TEMPLATE, DASHED_TEMPLATE], "CMIT")
            .expect("the built-in templates compile")
    }
}

impl SubjectCodec {
    /// Builds a codec that renders with `render` and parses with every template in `parse` (and `render`).
    pub fn new(
        render: &str,
        parse: &[&str],
        token_prefix: &str,
    ) -> Result<SubjectCodec, TemplateError> {
        let prefix_ok = !token_prefix.is_empty()
            && token_prefix.len() <= 16
            && token_prefix.bytes().all(|b| b.is_ascii_alphanumeric())
            && token_prefix
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic());
        if !prefix_ok {
            return Err(TemplateError::BadTokenPrefix(token_prefix.to_string()));
        }
        let render_template = compile(render, token_prefix)?;
        let mut parse_templates = vec![render_template.clone()];
        for template in parse.iter().filter(|template| **template != render) {
            parse_templates.push(compile(template, token_prefix)?);
        }
        let token_pattern = Regex::new(&format!(
            r"(?i)\b{}[:：]\s?([0-9]{{4,18}})\b",
            regex::escape(token_prefix)
        ))
        .map_err(|_| TemplateError::BadTokenPrefix(token_prefix.to_string()))?;
        let alternatives = REPLY_PREFIXES.join("|");
        let prefix_pattern = Regex::new(&format!(
            r"(?i)^\s*(?:{alternatives})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
        ))
        .expect("the reply prefix pattern is a valid regex");
        Ok(SubjectCodec {
            render: render_template,
            parse: parse_templates,
            token_prefix: token_prefix.to_ascii_uppercase(),
            token_pattern,
            prefix_pattern,
        })
    }

    /// The token prefix, `CMIT` by default.
    pub fn token_prefix(&self) -> &str {
        &self.token_prefix
    }

    /// Renders a subject for a case.
    pub fn render(&self, fields: &SubjectFields) -> String {
        let mut out = String::new();
        for piece in &self.render.pieces {
            match piece {
                Piece::Literal(c) => out.push(*c),
                Piece::Number => out.push_str(&fields.number.to_string()),
                Piece::Priority => out.push_str(fields.priority.as_str()),
                Piece::Customer => {
                    out.push_str(&single_line(&fields.customer).replace(['|', '｜'], "/"))
                }
                Piece::Title => out.push_str(&single_line(&fields.title)),
                Piece::Stage => out.push_str(&single_line(&fields.stage)),
                Piece::Token => {
                    if let Some(token) = &fields.token {
                        out.push_str(&token.to_string());
                    }
                }
            }
        }
        out.trim().to_string()
    }

    /// Strips reply and forward prefixes; returns the rest and how many were stripped.
    pub fn strip_prefixes<'s>(&self, subject: &'s str) -> (&'s str, usize) {
        let mut rest = subject;
        let mut depth = 0;
        while let Some(found) = self.prefix_pattern.find(rest) {
            rest = &rest[found.end()..];
            depth += 1;
        }
        (rest.trim(), depth)
    }

    /// Finds the last tracking token with this codec's prefix in a text.
    pub fn find_token(&self, text: &str) -> Option<TrackingToken> {
        let captures = self.token_pattern.captures_iter(text).last()?;
        format!("{}:{}", self.token_prefix, captures.get(1)?.as_str())
            .parse()
            .ok()
    }

    /// Reads whatever a subject tells about its case.
    pub fn parse(&self, subject: &str) -> ParsedSubject {
        let line = single_line(subject);
        let (rest, reply_depth) = self.strip_prefixes(&line);
        for template in &self.parse {
            let Some(captures) = template.pattern.captures(rest) else {
                continue;
            };
            let Some(number) = captures
                .name("number")
                .and_then(|m| m.as_str().parse().ok())
            else {
                continue;
            };
            let text = |name: &str| captures.name(name).map(|m| m.as_str().trim().to_string());
            return ParsedSubject {
                number: Some(number),
                token: captures
                    .name("token")
                    .and_then(|m| self.find_token(m.as_str())),
                priority: captures
                    .name("priority")
                    .and_then(|m| m.as_str().parse().ok()),
                customer: text("customer").filter(|customer| !customer.is_empty()),
                title: text("title").unwrap_or_default(),
                stage: text("stage").filter(|stage| !stage.is_empty()),
                reply_depth,
                matched_template: true,
            };
        }
        let number = CaseNumber::find_in(rest);
        let token = self.find_token(rest);
        let labels: Vec<String> = number
            .iter()
            .map(ToString::to_string)
            .chain(token.iter().map(ToString::to_string))
            .collect();
        ParsedSubject {
            title: title_without(rest, &labels),
            number,
            token,
            reply_depth,
            ..ParsedSubject::default()
        }
    }
}

/// A free-form subject's title: without the case number and token it names at its start or
/// end, and the separators and brackets around them (`Reset fails - CAS-00001-ABCDEF` →
/// `Reset fails`). A label inside the sentence stays: it is part of what the person wrote.
fn title_without(subject: &str, labels: &[String]) -> String {
    let edge = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '-' | '–'
                    | '—'
                    | '|'
                    | ':'
                    | '：'
                    | ','
                    | ';'
                    | '/'
                    | '#'
                    | '['
                    | ']'
                    | '('
                    | ')'
                    | '【'
                    | '】'
                    | '（'
                    | '）'
            )
    };
    let mut title = subject.trim().to_string();
    let mut changed = true;
    while changed {
        changed = false;
        for label in labels {
            // ASCII lower-casing keeps byte offsets, so a match in the copy is a match in the title.
            let Some(at) = title.to_ascii_lowercase().find(&label.to_ascii_lowercase()) else {
                continue;
            };
            let (before, after) = (&title[..at], &title[at + label.len()..]);
            let rest = if before.chars().all(edge) {
                after
            } else if after.chars().all(edge) {
                before
            } else {
                continue;
            };
            let rest = rest.trim_matches(edge).to_string();
            if !rest.is_empty() {
                title = rest;
                changed = true;
            }
        }
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn free_form_subjects_keep_their_title_without_labels() {
        let codec = SubjectCodec::default();
        for (subject, title) in [
            (
                "Re: EliteBook 81561 G8 系統重設失敗 - CAS-11572-25AQDC",
                "EliteBook 81561 G8 系統重設失敗",
            ),
            (
                "Re: 关于开机时间过长的进展 CMIT:0021576",
                "关于开机时间过长的进展",
            ),
            ("[CAS-00001-ABCDEF] Reset fails", "Reset fails"),
            (
                "Reset fails - CAS-00001-ABCDEF  CMIT:0000012",
                "Reset fails",
            ),
            (
                "Reset fails (cas-00001-abcdef) again",
                "Reset fails (cas-00001-abcdef) again",
            ),
            ("CAS-00001-ABCDEF", "CAS-00001-ABCDEF"),
            ("no labels - here", "no labels - here"),
        ] {
            assert_eq!(codec.parse(subject).title, title, "{subject}");
        }
    }

    const SEED_SUBJECT: &str =
        "回复: [案例号:\u{2009}CAS-03865-H7P3F1\u{2009}] %\u{2009}|P3|Acer|系统重置失败问题\u{2009}% 初次响应 CMIT:0001804";

    /// What a subject should tell: (number, token, priority, customer, title, stage).
    type Expected<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        Option<&'a str>,
    );

    /// Parses and checks; `None` fields must be absent.
    fn check(subject: &str, expected: Expected<'_>) {
        let parsed = SubjectCodec::default().parse(subject);
        let actual = (
            parsed.number.map(|n| n.to_string()),
            parsed.token.map(|t| t.to_string()),
            parsed.priority.map(|p| p.to_string()),
            parsed.customer,
            parsed.title,
            parsed.stage,
        );
        let expected = (
            expected.0.map(String::from),
            expected.1.map(String::from),
            expected.2.map(String::from),
            expected.3.map(String::from),
            expected.4.to_string(),
            expected.5.map(String::from),
        );
        assert_eq!(actual, expected, "{subject}");
    }

    const SEED: Expected<'static> = (
        Some("CAS-03865-H7P3F1"),
        Some("CMIT:0001804"),
        Some("P3"),
        Some("Acer"),
        "系统重置失败问题",
        Some("初次响应"),
    );

    #[test]
    fn the_seed_subject() {
        check(SEED_SUBJECT, SEED);
    }

    #[test]
    fn nested_prefixes_in_many_languages() {
        let bare = SEED_SUBJECT.trim_start_matches("回复: ");
        for prefix in [
            "RE: ",
            "Re: RE: ",
            "FW: Re: ",
            "Fwd: ",
            "AW: WG: ",
            "SV: ",
            "Antw: ",
            "答复: 回复：",
            "转发: ",
            "回覆: ",
            "RE[2]: ",
            "Re:Re:",
        ] {
            check(&format!("{prefix}{bare}"), SEED);
        }
        assert_eq!(
            SubjectCodec::default()
                .parse(&format!("RE: AW: 回复：{bare}"))
                .reply_depth,
            3
        );
    }

    #[test]
    fn fullwidth_punctuation_and_other_spaces() {
        check("回复：［案例号：CAS-03865-H7P3F1］ ％ ｜P3｜Acer｜系统重置失败问题 ％ 初次响应 CMIT：0001804", SEED);
        check(
            "[案例号: CAS-03865-H7P3F1 ] % |P3|Acer|系统重置失败问题 % 初次响应 CMIT:0001804",
            SEED,
        );
        check("[案例号:\u{3000}CAS-03865-H7P3F1\u{a0}]\u{2009}%|P3|Acer|系统重置失败问题%初次响应 CMIT:0001804", SEED);
    }

    #[test]
    fn the_dashed_form() {
        check(
            "RE: 答复: Boot loop after BIOS update - CAS-12001-ABCDEF - P2 - Lenovo  CMIT:0123456",
            (
                Some("CAS-12001-ABCDEF"),
                Some("CMIT:0123456"),
                Some("P2"),
                Some("Lenovo"),
                "Boot loop after BIOS update",
                None,
            ),
        );
        check(
            "RE: Boot loop - CAS-12001-ABCDEF - P2 - Lenovo",
            (
                Some("CAS-12001-ABCDEF"),
                None,
                Some("P2"),
                Some("Lenovo"),
                "Boot loop",
                None,
            ),
        );
    }

    #[test]
    fn partial_subjects_still_give_number_and_token() {
        check(
            "RE: about CAS-03865-H7P3F1 again",
            (
                Some("CAS-03865-H7P3F1"),
                None,
                None,
                None,
                "about CAS-03865-H7P3F1 again",
                None,
            ),
        );
        check(
            "回复: 日志已上传 CMIT:0001804",
            (None, Some("CMIT:0001804"), None, None, "日志已上传", None),
        );
        check("Hello", (None, None, None, None, "Hello", None));
        check("", (None, None, None, None, "", None));
        check("RE:", (None, None, None, None, "", None));
        check(
            "XCAS-03865-H7P3F1 and CMIT:12",
            (
                None,
                None,
                None,
                None,
                "XCAS-03865-H7P3F1 and CMIT:12",
                None,
            ),
        );
    }

    #[test]
    fn rendering_reproduces_the_seed() {
        let fields = SubjectFields {
            number: "CAS-03865-H7P3F1".parse().unwrap(),
            priority: Priority::P3,
            customer: "Acer".into(),
            title: "系统重置失败问题".into(),
            stage: "初次响应".into(),
            token: Some("CMIT:0001804".parse().unwrap()),
        };
        let codec = SubjectCodec::default();
        assert_eq!(
            codec.render(&fields),
            SEED_SUBJECT.trim_start_matches("回复: ")
        );
        let english = SubjectCodec::new(
            "[Case: {number}] {title} ({priority}, {customer}) {stage} {token}",
            &[],
            "TRK",
        )
        .unwrap();
        let fields = SubjectFields {
            token: Some("TRK:0000042".parse().unwrap()),
            stage: "Initial response".into(),
            ..fields
        };
        let rendered = english.render(&fields);
        assert_eq!(
            rendered,
            "[Case: CAS-03865-H7P3F1] 系统重置失败问题 (P3, Acer) Initial response TRK:0000042"
        );
        assert_eq!(
            english.parse(&format!("Re: {rendered}")).stage.as_deref(),
            Some("Initial response")
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        assert_eq!(
            SubjectCodec::new("{title}", &[], "CMIT").unwrap_err(),
            TemplateError::MissingNumber
        );
        assert!(matches!(
            SubjectCodec::new("{number} {owner}", &[], "CMIT"),
            Err(TemplateError::UnknownPlaceholder(_))
        ));
        assert!(matches!(
            SubjectCodec::new("{number}", &[], "C-M"),
            Err(TemplateError::BadTokenPrefix(_))
        ));
    }

    fn title_strategy() -> impl Strategy<Value = String> {
        let tricky = proptest::sample::select(vec![
            "[",
            "]",
            "%",
            "|",
            "｜",
            "【",
            "】",
            "％",
            " % ",
            "CAS-11111-AAAAAA",
            " CMIT:0000001",
            "回复:",
            "RE:",
            ":",
            "：",
            "\u{2009}",
            " ",
            "问题",
            "reset",
            "(",
            ")",
            "-",
            " - ",
            "P1",
            "\t",
            "\n",
        ]);
        proptest::collection::vec(
            prop_oneof![tricky.prop_map(String::from), "[a-zA-Z0-9一-龥]{1,6}"],
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn render_then_parse_gives_back_the_case(
            title in title_strategy(),
            seq in 0u64..100_000_000,
            suffix in "[A-Z0-9]{6}",
            priority in proptest::sample::select(Priority::ALL.to_vec()),
            customer in "[A-Za-z][A-Za-z0-9 ]{0,10}[A-Za-z]",
            stage in proptest::sample::select(DEFAULT_STAGES.iter().flat_map(|(zh, en)| [*zh, *en]).collect::<Vec<_>>()),
            token in proptest::option::of(0u64..10_000_000),
            prefix in proptest::sample::select(vec!["", "RE: ", "回复: ", "Re: 答复：FW: "]),
        ) {
            let codec = SubjectCodec::default();
            let fields = SubjectFields {
                number: format!("CAS-{seq:05}-{suffix}").parse().unwrap(),
                priority,
                customer: customer.clone(),
                title: title.clone(),
                stage: stage.to_string(),
                token: token.map(|value| TrackingToken::new("CMIT", value).unwrap()),
            };
            let parsed = codec.parse(&format!("{prefix}{}", codec.render(&fields)));
            prop_assert_eq!(parsed.number, Some(fields.number));
            prop_assert_eq!(parsed.token, fields.token);
            prop_assert_eq!(parsed.priority, Some(priority));
            prop_assert_eq!(parsed.customer.as_deref(), Some(customer.as_str()));
            prop_assert_eq!(parsed.title, single_line(&title));
            prop_assert_eq!(parsed.stage.as_deref(), Some(stage));
        }
    }
}
