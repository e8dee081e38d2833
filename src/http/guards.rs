//! What every request and response goes through, whoever handles it: state-changing
//! requests only from the console's own pages, a bound on request bodies, and the
//! security headers on every answer.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::HttpState;
use super::error::HttpError;

/// The largest request body the API reads: appeals and roster answers are a few
/// hundred bytes, so 64 KiB is generous and keeps a flood of large bodies cheap.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The console's Content-Security-Policy: everything from this service, no inline
/// script or style, no framing.
pub const CONTENT_SECURITY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) that a page of
/// another site sent: defence in depth beside the cookie's `SameSite=Strict`, for
/// browsers or proxies that drop it.
pub(super) async fn same_origin_only(
    State(state): State<HttpState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe
        && is_cross_site(
            request.headers(),
            request.uri(),
            &state.options.allowed_origins,
        )
    {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?request.headers().get(ORIGIN),
            "cross-site request refused"
        );
        return HttpError::CrossSite.into_response();
    }
    next.run(request).await
}

/// Whether the browser says another site sent this request. `Origin` decides when
/// present: it must be this service's own (`Host`, or the URI's authority over
/// HTTP/2) or one of `allowed`; the opaque `null` never is. Without `Origin`,
/// `Sec-Fetch-Site` decides (`same-origin` and `none`, a typed address, pass).
/// Without either the request is not from a browser that could carry someone
/// else's cookie by a cross-site page (curl, scripts): it passes.
pub fn is_cross_site(headers: &HeaderMap, uri: &Uri, allowed: &[String]) -> bool {
    if let Some(origin) = headers.get(ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return true;
        };
        if allowed.iter().any(|allowed| allowed == origin) {
            return false;
        }
        let own = headers
            .get(HOST)
            .and_then(|host| host.to_str().ok())
            .or_else(|| uri.authority().map(|authority| authority.as_str()));
        let claimed = origin.split_once("://").map(|(_, authority)| authority);
        return !matches!((claimed, own), (Some(claimed), Some(own)) if claimed.eq_ignore_ascii_case(own));
    }
    match headers
        .get("sec-fetch-site")
        .map(|value| value.to_str().unwrap_or(""))
    {
        None | Some("same-origin" | "none") => false,
        Some(_) => true,
    }
}

/// Everything the console loads comes from this service; no framing, no sniffing, no
/// referrers leaking appeal numbers. On every answer: pages, API, errors, health.
pub(super) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_the_own_origin_or_a_listed_one_passes() {
        let uri = Uri::from_static("/api/appeals");
        let allowed = ["https://console.example".to_owned()];
        let cross =
            |pairs: &[(&'static str, &'static str)]| is_cross_site(&headers(pairs), &uri, &allowed);
        assert!(!cross(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ]));
        assert!(!cross(&[
            ("host", "hotline.local"),
            ("origin", "https://HOTLINE.local")
        ]));
        assert!(cross(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example")
        ]));
        assert!(cross(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8081")
        ]));
        assert!(cross(&[("host", "127.0.0.1:8080"), ("origin", "null")]));
        assert!(!cross(&[
            ("host", "proxy.internal"),
            ("origin", "https://console.example")
        ]));
        // No Origin: Sec-Fetch-Site decides; neither: not a browser.
        assert!(cross(&[("sec-fetch-site", "cross-site")]));
        assert!(cross(&[("sec-fetch-site", "same-site")]));
        assert!(!cross(&[("sec-fetch-site", "same-origin")]));
        assert!(!cross(&[]));
        // Over HTTP/2 the authority is in the URI, not in Host.
        let h2 = Uri::from_static("https://hotline.local/api/appeals");
        assert!(!is_cross_site(
            &headers(&[("origin", "https://hotline.local")]),
            &h2,
            &[]
        ));
    }
}
