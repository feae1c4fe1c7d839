//! The message catalog: zh-CN and English sentences for errors, events and everything people read.
//!
//! The sentences live in Fluent files (`locales/en/casebook.ftl`, `locales/zh-CN/casebook.ftl`),
//! embedded at build time, so the CLI and the web read one catalog. Isolation marks are off: the
//! text goes to terminals and plain-text mail as well as to pages. JSON never goes through here:
//! identifiers stay identifiers in every language.

use std::borrow::Cow;
use std::collections::HashMap;

pub use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{langid, LanguageIdentifier};
use serde_json::Value;

use crate::error::ErrorCode;

fluent_templates::static_loader! {
    static CATALOG = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language people read Casebook in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "en" | "en-us" | "en-gb" | "english" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "chinese" => Ok(Lang::ZhCn),
            _ => Err(format!("unknown language '{text}'; use zh-CN or en")),
        }
    }
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// Picks a language from a locale such as `zh_CN.UTF-8`; English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }

    /// The BCP 47 tag: `en`, `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::ZhCn => langid!("zh-CN"),
        }
    }

    /// What separates the items of a list in a sentence.
    pub fn pick_list_separator(self) -> &'static str {
        match self {
            Lang::En => ", ",
            Lang::ZhCn => "、",
        }
    }

    /// The catalog's sentence `id` with its arguments ([`text`]).
    pub fn text(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        text(self, id, args)
    }

    /// The catalog's sentence `id`, without arguments.
    pub fn say(self, id: &str) -> String {
        text(self, id, &[])
    }
}

/// The sentence `id` in `lang`, or `None` when that language's file lacks it.
pub fn try_text(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> Option<String> {
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(name, value)| (Cow::Owned((*name).to_string()), value.clone()))
        .collect();
    CATALOG
        .lookup_single_language(&lang.id(), id, Some(&args))
        .ok()
}

/// Whether the catalog has the sentence `id` in `lang` (whatever arguments it takes).
pub fn has_text(lang: Lang, id: &str) -> bool {
    // Without arguments a sentence that takes some fails to format, and says so: it is there. The
    // crate does not export its error type, so the variant is told by its name.
    match CATALOG.lookup_single_language::<&str>(&lang.id(), id, None) {
        Ok(_) => true,
        Err(error) => format!("{error:?}").starts_with("FluentError"),
    }
}

/// The sentence `id` in `lang`; the English one where the language lacks it, and the id itself
/// where both do (a test makes sure neither happens).
pub fn text(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    try_text(lang, id, args)
        .or_else(|| try_text(Lang::En, id, args))
        .unwrap_or_else(|| id.to_string())
}

/// A detail value as text: strings as they are, lists joined with commas.
pub(crate) fn field(details: &Value, name: &str) -> String {
    match details.get(name) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map_or(item.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Every detail as an argument: numbers as numbers (for plurals), the rest as text.
fn args_of(details: &Value) -> Vec<(String, FluentValue<'static>)> {
    let Value::Object(map) = details else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, value)| {
            let value = match value {
                Value::Number(number) => match number.as_i64() {
                    Some(whole) => FluentValue::from(whole),
                    None => FluentValue::from(number.to_string()),
                },
                _ => FluentValue::from(field(details, name)),
            };
            (name.clone(), value)
        })
        .collect()
}

/// The catalog id of an error's sentence: its code's, or for the codes that gather several
/// reasons (`invalid_input`, `conflict`, `quarantine_refused`), the reason's.
pub fn error_id(code: ErrorCode, details: &Value) -> String {
    let reason = details.get("reason").and_then(Value::as_str);
    match (code, reason) {
        (ErrorCode::InvalidInput, Some(reason)) => format!("invalid-{reason}"),
        (ErrorCode::Conflict | ErrorCode::QuarantineRefused, Some(reason)) => {
            format!("conflict-{reason}")
        }
        _ => format!("error-{}", code.as_str()),
    }
}

/// The sentence for an error code with its details.
pub fn error_message(code: ErrorCode, details: &Value, lang: Lang) -> String {
    let owned = args_of(details);
    let args: Vec<(&str, FluentValue<'_>)> = owned
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    text(lang, &error_id(code, details), &args)
}

/// A timeline event told in the reader's language (the web and the CLI show the same words).
pub fn event_text(event: &case::Event, lang: Lang) -> String {
    use case::timeline::{MergeSide, SplitSide};
    use case::Event;
    let value = |text: &Option<String>| -> FluentValue<'static> {
        FluentValue::from(text.clone().unwrap_or_else(|| lang.say("empty-value")))
    };
    let status = |status: case::Status| FluentValue::from(lang.say(&format!("status-{status}")));
    let number = |n: u64| FluentValue::from(i64::try_from(n).unwrap_or(i64::MAX));
    match event {
        Event::Note { text } => text.clone(),
        Event::StatusChange { from: None, .. } => lang.say("event-opened"),
        Event::StatusChange {
            from: Some(from),
            to,
            ..
        } => lang.text(
            "event-status_change",
            &[("from", status(*from)), ("to", status(*to))],
        ),
        Event::Assignment { from, to } => {
            let person = |name: &Option<String>| {
                FluentValue::from(name.clone().unwrap_or_else(|| lang.say("nobody")))
            };
            lang.text(
                "event-assignment",
                &[("from", person(from)), ("to", person(to))],
            )
        }
        Event::FieldChange { field, from, to } => lang.text(
            "event-field_change",
            &[
                (
                    "field",
                    FluentValue::from(lang.say(&format!("field-{field}"))),
                ),
                ("from", value(from)),
                ("to", value(to)),
            ],
        ),
        Event::Merge {
            side: MergeSide::MergedIn,
            case,
            other_customer: Some(customer),
            made_internal,
        } => lang.text(
            "event-merge-merged_in-other",
            &[
                ("case", FluentValue::from(case.clone())),
                ("customer", FluentValue::from(customer.clone())),
                ("count", number(*made_internal)),
            ],
        ),
        Event::Merge { side, case, .. } => {
            let id = match side {
                MergeSide::MergedIn => "event-merge-merged_in",
                MergeSide::MergedInto => "event-merge-merged_into",
            };
            lang.text(id, &[("case", FluentValue::from(case.clone()))])
        }
        Event::Split {
            side,
            case,
            title,
            messages,
        } => {
            let id = match side {
                SplitSide::SplitOff => "event-split-split_off",
                SplitSide::SplitFrom => "event-split-split_from",
            };
            lang.text(
                id,
                &[
                    ("case", FluentValue::from(case.clone())),
                    ("title", FluentValue::from(title.clone())),
                    ("messages", number(*messages)),
                ],
            )
        }
        Event::VisibilityChange { entry, from, to } => lang.text(
            "event-visibility_change",
            &[
                ("entry", FluentValue::from(*entry)),
                (
                    "from",
                    FluentValue::from(lang.say(&format!("visibility-{from}"))),
                ),
                (
                    "to",
                    FluentValue::from(lang.say(&format!("visibility-{to}"))),
                ),
            ],
        ),
        Event::Attachment { filename, size } => lang.text(
            "event-attachment",
            &[
                ("filename", FluentValue::from(filename.clone())),
                ("size", number(*size)),
            ],
        ),
        Event::Sla {
            breach,
            rule,
            measure,
            target,
            ..
        } => lang.text(
            if *breach {
                "event-sla_breach"
            } else {
                "event-sla_warning"
            },
            &[
                ("rule", FluentValue::from(rule.clone())),
                (
                    "measure",
                    FluentValue::from(lang.say(&format!("sla-measure-{measure}"))),
                ),
                ("target", FluentValue::from(target.clone())),
            ],
        ),
    }
}

/// A quarantine reason as a person reads it: in English the stored sentence (it names the values
/// involved); in another language the catalog's sentence for the reason's code, or the stored one
/// where the catalog has none.
pub fn quarantine_reason(code: &str, stored: &str, lang: Lang) -> String {
    if lang == Lang::En && !stored.is_empty() {
        return stored.to_string();
    }
    let id = format!("quarantine-{}", code.replace('.', "-"));
    try_text(lang, &id, &[]).unwrap_or_else(|| stored.to_string())
}

/// The import summary's line on quarantine: the count by reason and how to list them.
pub fn quarantined_by_reason(
    by_reason: &std::collections::BTreeMap<String, u64>,
    lang: Lang,
) -> String {
    let counts = by_reason
        .iter()
        .map(|(reason, count)| format!("{reason} {count}"))
        .collect::<Vec<_>>()
        .join(lang.pick_list_separator());
    text(
        lang,
        "cli-quarantined_by_reason",
        &[("counts", FluentValue::from(counts))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_name_the_values_in_both_languages() {
        let details = json!({ "case": "CAS-03865-H7P3F1", "from": "archived", "to": "in_progress", "allowed": ["reopened", "resolved", "cancelled"] });
        assert_eq!(
            error_message(ErrorCode::CaseStatusTransitionNotAllowed, &details, Lang::En),
            "case CAS-03865-H7P3F1 is archived and cannot become in_progress (allowed from archived: reopened, resolved, cancelled)"
        );
        let zh = error_message(
            ErrorCode::CaseStatusTransitionNotAllowed,
            &details,
            Lang::ZhCn,
        );
        assert_eq!(
            zh,
            "案例 CAS-03865-H7P3F1 当前状态为 archived，不能改为 in_progress（允许的目标状态：reopened, resolved, cancelled）"
        );
    }

    #[test]
    fn reasons_choose_their_sentence() {
        let details = json!({ "reason": "same_case", "keep": "A", "gone": "A" });
        assert_eq!(
            error_message(ErrorCode::InvalidInput, &details, Lang::ZhCn),
            "A 和 A 是同一个案例；请给出两个不同的案例"
        );
    }

    fn ids(source: &str) -> std::collections::BTreeSet<String> {
        source
            .lines()
            .filter(|line| !line.starts_with([' ', '#', '*', '[']) && line.contains(" = "))
            .filter_map(|line| line.split(" = ").next())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn both_files_hold_the_same_sentences() {
        let en = ids(include_str!("../locales/en/casebook.ftl"));
        let zh = ids(include_str!("../locales/zh-CN/casebook.ftl"));
        assert!(en.len() > 90, "{}", en.len());
        assert_eq!(
            en.symmetric_difference(&zh).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
        for id in &en {
            assert!(has_text(Lang::ZhCn, id), "{id} has no zh-CN text");
            assert!(has_text(Lang::En, id), "{id} has no English text");
        }
    }

    #[test]
    fn events_are_told_in_both_languages() {
        use case::timeline::{MergeSide, SplitSide};
        use case::{CaseField, Event, Status, Visibility};
        let events = [
            Event::StatusChange {
                from: None,
                to: Status::New,
                summary: None,
            },
            Event::StatusChange {
                from: Some(Status::InProgress),
                to: Status::Archived,
                summary: None,
            },
            Event::Assignment {
                from: None,
                to: Some("Li Qi".into()),
            },
            Event::FieldChange {
                field: CaseField::Priority,
                from: Some("P3".into()),
                to: Some("P2".into()),
            },
            Event::Merge {
                side: MergeSide::MergedIn,
                case: "CAS-1".into(),
                other_customer: None,
                made_internal: 0,
            },
            Event::Merge {
                side: MergeSide::MergedIn,
                case: "CAS-1".into(),
                other_customer: Some("Lenovo".into()),
                made_internal: 2,
            },
            Event::Merge {
                side: MergeSide::MergedInto,
                case: "CAS-1".into(),
                other_customer: None,
                made_internal: 0,
            },
            Event::Split {
                side: SplitSide::SplitOff,
                case: "CAS-2".into(),
                title: "t".into(),
                messages: 1,
            },
            Event::Split {
                side: SplitSide::SplitFrom,
                case: "CAS-2".into(),
                title: "t".into(),
                messages: 1,
            },
            Event::VisibilityChange {
                entry: 3,
                from: Visibility::Internal,
                to: Visibility::Public,
            },
            Event::Attachment {
                filename: "a.log".into(),
                size: 3,
            },
        ];
        for event in &events {
            let en = event_text(event, Lang::En);
            let zh = event_text(event, Lang::ZhCn);
            assert_ne!(en, zh, "{event:?} reads the same in both languages");
            assert!(
                !en.contains("event-") && !zh.contains("event-"),
                "{en} / {zh}"
            );
        }
        assert_eq!(event_text(&events[3], Lang::ZhCn), "优先级：P3 → P2");
        assert_eq!(event_text(&events[1], Lang::En), "in progress → archived");
        for kind in case::EntryKind::ALL {
            for lang in Lang::ALL {
                assert!(
                    has_text(lang, &format!("kind-{kind}")),
                    "{kind} {}",
                    lang.tag()
                );
            }
        }
        for status in Status::ALL {
            for lang in Lang::ALL {
                assert!(
                    has_text(lang, &format!("status-{status}")),
                    "{status} {}",
                    lang.tag()
                );
            }
        }
    }

    #[test]
    fn quarantine_reasons_in_both_languages() {
        for code in [
            "unreadable",
            "message_id_collision",
            "not_a_participant",
            "unknown_sender",
            "no_sender",
            "from_intake_address",
            "ambiguous_header",
            "limits.max_message_bytes",
            "limits.max_parts",
            "limits.max_depth",
            "limits.max_header_bytes",
            "limits.max_decoded_bytes",
        ] {
            let zh = quarantine_reason(code, "stored", Lang::ZhCn);
            assert_ne!(zh, "stored", "{code} has no zh-CN sentence");
            assert_eq!(quarantine_reason(code, "stored", Lang::En), "stored");
            assert!(has_text(
                Lang::En,
                &format!("quarantine-{}", code.replace('.', "-"))
            ));
        }
    }

    #[test]
    fn no_isolation_marks() {
        let text = text(
            Lang::En,
            "error-case_not_found",
            &[("case", FluentValue::from("X"))],
        );
        assert_eq!(
            text,
            "no case 'X'; check the number with `casebook case list`"
        );
    }

    #[test]
    fn quarantine_counts_by_reason() {
        let counts = [
            ("unknown_sender".to_string(), 3),
            ("ambiguous_header".to_string(), 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            quarantined_by_reason(&counts, Lang::En),
            "quarantined by reason: ambiguous_header 1, unknown_sender 3; list them with `casebook quarantine list`"
        );
        assert_eq!(
            quarantined_by_reason(&counts, Lang::ZhCn),
            "按原因隔离：ambiguous_header 1、unknown_sender 3；用 `casebook quarantine list` 查看"
        );
    }

    #[test]
    fn languages() {
        assert_eq!("zh-CN".parse::<Lang>(), Ok(Lang::ZhCn));
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::ZhCn);
        assert_eq!(Lang::from_locale("C"), Lang::En);
    }
}
