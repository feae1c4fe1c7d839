//! The message catalog: zh-CN and English sentences for errors and summaries.
//!
//! JSON never goes through here: identifiers stay identifiers in every language.

use serde_json::Value;

use crate::error::ErrorCode;

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
    /// Picks a language from a locale such as `zh_CN.UTF-8`; English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }

    /// Chooses between the English and the Chinese text.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }
}

fn field(details: &Value, name: &str) -> String {
    match details.get(name) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map_or(item.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The sentence for an error code with its details.
pub fn error_message(code: ErrorCode, details: &Value, lang: Lang) -> String {
    let f = |name: &str| field(details, name);
    match (code, lang) {
        (ErrorCode::CaseNotFound, Lang::En) => format!("no case '{}'; check the number with `casebook case list`", f("case")),
        (ErrorCode::CaseNotFound, Lang::ZhCn) => format!("找不到案例“{}”；请用 `casebook case list` 核对案例号", f("case")),
        (ErrorCode::OrgNotFound, Lang::En) => format!("no organization '{}'; add it with `casebook org add`", f("org")),
        (ErrorCode::OrgNotFound, Lang::ZhCn) => format!("找不到组织“{}”；请先用 `casebook org add` 添加", f("org")),
        (ErrorCode::ContactNotFound, Lang::En) => format!("no contact '{}'; see `casebook contact list`", f("contact")),
        (ErrorCode::ContactNotFound, Lang::ZhCn) => format!("找不到联系人“{}”；请查看 `casebook contact list`", f("contact")),
        (ErrorCode::QuarantineNotFound, Lang::En) => format!("no quarantine entry {}; see `casebook quarantine list`", f("id")),
        (ErrorCode::QuarantineNotFound, Lang::ZhCn) => format!("找不到隔离邮件 {}；请查看 `casebook quarantine list`", f("id")),
        (ErrorCode::CaseStatusTransitionNotAllowed, Lang::En) => format!(
            "case {} is {} and cannot become {} (allowed from {}: {})",
            f("case"), f("from"), f("to"), f("from"), f("allowed")
        ),
        (ErrorCode::CaseStatusTransitionNotAllowed, Lang::ZhCn) => format!(
            "案例 {} 当前状态为 {}，不能改为 {}（允许的目标状态：{}）",
            f("case"), f("from"), f("to"), f("allowed")
        ),
        (ErrorCode::ArchiveNeedsSummary, Lang::En) => format!(
            "archiving case {} needs a written summary; give --summary-file with sections '问题描述：' (problem description) and '案例总结：' (case summary)",
            f("case")
        ),
        (ErrorCode::ArchiveNeedsSummary, Lang::ZhCn) => format!(
            "归档案例 {} 需要书面总结；请用 --summary-file 提供含“问题描述：”和“案例总结：”两节的文件",
            f("case")
        ),
        (ErrorCode::ResolveNeedsRootCause, Lang::En) => format!(
            "resolving case {} needs a root cause and a resolution; give --summary-file with sections '根本原因：' (root cause) and '解决方案：' (resolution)",
            f("case")
        ),
        (ErrorCode::ResolveNeedsRootCause, Lang::ZhCn) => format!(
            "解决案例 {} 需要根本原因和解决方案；请用 --summary-file 提供含“根本原因：”和“解决方案：”两节的文件",
            f("case")
        ),
        (ErrorCode::InvalidInput, Lang::En) => f("detail"),
        (ErrorCode::InvalidInput, Lang::ZhCn) => format!("输入无效：{}", f("detail")),
        (ErrorCode::Conflict, Lang::En) => f("detail"),
        (ErrorCode::Conflict, Lang::ZhCn) => format!("冲突：{}", f("detail")),
        (ErrorCode::InputUnreadable, Lang::En) => format!("cannot read {}; check that it exists and is readable", f("path")),
        (ErrorCode::InputUnreadable, Lang::ZhCn) => format!("无法读取 {}；请确认路径存在且可读", f("path")),
        (ErrorCode::QuarantineRefused, Lang::En) => f("detail"),
        (ErrorCode::QuarantineRefused, Lang::ZhCn) => format!("无法处理隔离邮件：{}", f("detail")),
        (ErrorCode::StoreInconsistent, Lang::En) => format!(
            "the store check found {} problem(s), listed above; restore from a backup or report them",
            f("problems")
        ),
        (ErrorCode::StoreInconsistent, Lang::ZhCn) => format!("存储检查发现 {} 个问题（见上）；请从备份恢复或报告问题", f("problems")),
        (ErrorCode::Internal, Lang::En) => format!("internal error: {}", f("detail")),
        (ErrorCode::Internal, Lang::ZhCn) => format!("内部错误：{}", f("detail")),
    }
}

/// The import summary's line on quarantine: the count by reason and how to list them.
pub fn quarantined_by_reason(
    by_reason: &std::collections::BTreeMap<String, u64>,
    lang: Lang,
) -> String {
    let counts = by_reason
        .iter()
        .map(|(reason, count)| format!("{reason} {count}"))
        .collect::<Vec<_>>();
    match lang {
        Lang::En => format!(
            "quarantined by reason: {}; list them with `casebook quarantine list`",
            counts.join(", ")
        ),
        Lang::ZhCn => format!(
            "按原因隔离：{}；用 `casebook quarantine list` 查看",
            counts.join("，")
        ),
    }
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
        assert!(
            zh.contains("CAS-03865-H7P3F1") && zh.contains("reopened"),
            "{zh}"
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
            "按原因隔离：ambiguous_header 1，unknown_sender 3；用 `casebook quarantine list` 查看"
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
