//! The console's pages, scripts and styles, compiled into the binary
//! (`include_str!`), so the service needs no files beside it and the console works
//! without internet: nothing is loaded from anywhere else (the Content-Security-Policy
//! in [`super::app`] enforces that).
//!
//! The pages hold no data: each script asks the API, which checks the session. A page
//! opened without one sends the browser to the sign-in page.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::HttpState;

/// One compiled-in file.
struct Asset {
    /// The URL path.
    path: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the console serves.
const ASSETS: &[Asset] = &[
    Asset {
        path: "/login",
        content_type: HTML,
        body: include_str!("static/login.html"),
    },
    Asset {
        path: "/specialist",
        content_type: HTML,
        body: include_str!("static/specialist.html"),
    },
    Asset {
        path: "/appeals",
        content_type: HTML,
        body: include_str!("static/appeals.html"),
    },
    Asset {
        path: "/directory",
        content_type: HTML,
        body: include_str!("static/directory.html"),
    },
    Asset {
        path: "/reports",
        content_type: HTML,
        body: include_str!("static/reports.html"),
    },
    Asset {
        path: "/static/reports.js",
        content_type: JS,
        body: include_str!("static/reports.js"),
    },
    Asset {
        path: "/wallboard",
        content_type: HTML,
        body: include_str!("static/wallboard.html"),
    },
    Asset {
        path: "/static/wallboard.js",
        content_type: JS,
        body: include_str!("static/wallboard.js"),
    },
    Asset {
        path: "/audit",
        content_type: HTML,
        body: include_str!("static/audit.html"),
    },
    Asset {
        path: "/static/audit.js",
        content_type: JS,
        body: include_str!("static/audit.js"),
    },
    Asset {
        path: "/recordings",
        content_type: HTML,
        body: include_str!("static/recordings.html"),
    },
    Asset {
        path: "/static/recordings.js",
        content_type: JS,
        body: include_str!("static/recordings.js"),
    },
    Asset {
        path: "/password",
        content_type: HTML,
        body: include_str!("static/password.html"),
    },
    Asset {
        path: "/static/password.js",
        content_type: JS,
        body: include_str!("static/password.js"),
    },
    Asset {
        path: "/static/console.css",
        content_type: CSS,
        body: include_str!("static/console.css"),
    },
    Asset {
        path: "/static/console.js",
        content_type: JS,
        body: include_str!("static/console.js"),
    },
    Asset {
        path: "/static/login.js",
        content_type: JS,
        body: include_str!("static/login.js"),
    },
    Asset {
        path: "/static/specialist.js",
        content_type: JS,
        body: include_str!("static/specialist.js"),
    },
    Asset {
        path: "/static/appeals.js",
        content_type: JS,
        body: include_str!("static/appeals.js"),
    },
    Asset {
        path: "/static/directory.js",
        content_type: JS,
        body: include_str!("static/directory.js"),
    },
    Asset {
        path: "/favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("static/favicon.svg"),
    },
];

/// Routes for every asset, and `/` to the sign-in page (which forwards a signed-in
/// user to their role's page).
pub(super) fn routes() -> Router<HttpState> {
    let mut router = Router::new().route("/", get(|| async { Redirect::to("/login") }));
    for asset in ASSETS {
        router = router.route(asset.path, get(move || serve(asset)));
    }
    router
}

/// Answers with one asset.
async fn serve(asset: &'static Asset) -> Response {
    ([(CONTENT_TYPE, asset.content_type)], asset.body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The console must work without internet: no page or script may name another host.
    #[test]
    fn no_asset_loads_anything_from_elsewhere() {
        for asset in ASSETS {
            for needle in ["http://", "https://", "//cdn", "@import"] {
                let found = asset
                    .body
                    .lines()
                    .filter(|line| !line.contains("http://www.w3.org/2000/svg"))
                    .any(|line| line.contains(needle));
                assert!(!found, "{} contains {needle}", asset.path);
            }
        }
    }

    #[test]
    fn pages_are_in_russian() {
        for asset in ASSETS.iter().filter(|asset| asset.content_type == HTML) {
            assert!(asset.body.contains("lang=\"ru\""), "{}", asset.path);
        }
    }
}
