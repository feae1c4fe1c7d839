//! The language and time zone a request is answered in: the user's setting, else the
//! `casebook_lang` cookie (the language switch of a signed-out page), else `Accept-Language`.

use app::Lang;
use axum::http::HeaderMap;

/// The cookie that remembers a signed-out visitor's language.
pub const LANG_COOKIE: &str = "casebook_lang";

/// The language `Accept-Language` prefers among those Casebook speaks (English when neither).
pub fn from_accept_language(header: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if tag.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        };
        if let Some(lang) = lang {
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
    }
    best.map_or(Lang::En, |(_, lang)| lang)
}

/// The language of a request without a user's setting.
pub fn from_headers(headers: &HeaderMap) -> Lang {
    let cookie_lang = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| value.parse::<Lang>().ok());
    if let Some(lang) = cookie_lang {
        return lang;
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map_or(Lang::En, from_accept_language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En);
        assert_eq!(from_accept_language("fr-FR,zh-TW;q=0.5"), Lang::ZhCn);
        assert_eq!(from_accept_language("fr-FR"), Lang::En);
        assert_eq!(from_accept_language("en;q=0.2, zh;q=0.7"), Lang::ZhCn);
        assert_eq!(from_accept_language("zh;q=0"), Lang::En);
        assert_eq!(from_accept_language(""), Lang::En);
    }

    #[test]
    fn cookie_wins_over_header() {
        let mut headers = HeaderMap::new();
        headers.insert("accept-language", "en".parse().unwrap());
        headers.insert("cookie", "a=b; casebook_lang=zh-CN".parse().unwrap());
        assert_eq!(from_headers(&headers), Lang::ZhCn);
    }
}
