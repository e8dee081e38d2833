//! Sign-in throttling: after too many failed sign-ins for one login, or from one
//! client address, within a window, further tries are refused without checking the
//! password until the oldest counted failure ages out.
//!
//! Failures are rows of `console_login_failure` in Postgres, not counters in memory,
//! so every instance counts the same tries and a restart forgets none. The login is
//! counted whether or not it exists (the answer must not tell which logins do); a
//! successful sign-in forgets that login's failures, never the address's (one
//! account of their own must not let someone reset the count for the others they
//! are guessing). Tries refused while throttled are not counted, so waiting out the
//! window always works.
//!
//! The per-account limit also lets anyone lock a known login out for the window by
//! failing on purpose: the usual price of throttling by account; the window is
//! short and an administrator can clear it (`DELETE FROM console_login_failure`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::HttpState;
use super::error::HttpError;

/// How many failed sign-ins are allowed, per what, and for how long they count.
#[derive(Clone, Debug)]
pub struct LoginThrottle {
    /// How long a failure counts.
    pub window: chrono::Duration,
    /// Failures for one login within the window before it is throttled.
    pub per_account: u32,
    /// Failures from one address within the window before it is throttled: higher,
    /// as a contact center's operators may share one NAT address.
    pub per_address: u32,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            window: chrono::Duration::minutes(15),
            per_account: 5,
            per_address: 30,
        }
    }
}

/// The client's address as far as the server can tell: the TCP peer, or with
/// `trust_forwarded_for` the last `X-Forwarded-For` entry (the one our proxy added).
/// `None` when neither is known (requests handed to the router in tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<HttpState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &HttpState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        let forwarded = state
            .options
            .trust_forwarded_for
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .flat_map(|value| value.split(','))
                    .next_back()
                    .and_then(|last| last.trim().parse::<IpAddr>().ok())
            })
            .flatten();
        Ok(Self(forwarded.or(peer)))
    }
}

impl LoginThrottle {
    /// `Ok` when `login` from `address` may try a password now; otherwise the
    /// refusal with the seconds to wait.
    pub async fn check(
        &self,
        pool: &PgPool,
        login: &str,
        address: ClientAddress,
    ) -> Result<(), HttpError> {
        let by_login = self
            .limit_reached(pool, "login", login, self.per_account)
            .await?;
        let by_address = match address.0 {
            None => None,
            Some(ip) => {
                (self.limit_reached(pool, "address", &ip.to_string(), self.per_address)).await?
            }
        };
        let Some(until) = by_login.max(by_address).map(|at| at + self.window) else {
            return Ok(());
        };
        let retry_after_seconds = (until - Utc::now()).num_seconds().max(1) as u64;
        tracing::warn!(
            throttled_login = by_login.is_some(),
            throttled_address = by_address.is_some(),
            retry_after_seconds,
            "console sign-in refused: too many failures"
        );
        Err(HttpError::TooManySignIns {
            retry_after_seconds,
        })
    }

    /// When `limit` failures with this `column` value within the window are reached,
    /// the limit-th newest one: once it ages out, fewer remain. `None`: under it.
    async fn limit_reached(
        &self,
        pool: &PgPool,
        column: &'static str,
        value: &str,
        limit: u32,
    ) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let sql = format!(
            "SELECT at FROM console_login_failure \
             WHERE {column} = $1 AND at > now() - make_interval(secs => $2) \
             ORDER BY at DESC OFFSET $3 LIMIT 1"
        );
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .bind(self.window.num_seconds() as f64)
            .bind(i64::from(limit) - 1)
            .fetch_optional(pool)
            .await
    }

    /// Counts a failed try.
    pub async fn record_failure(
        &self,
        pool: &PgPool,
        login: &str,
        address: ClientAddress,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO console_login_failure (login, address) VALUES ($1, $2)")
            .bind(login)
            .bind(address.0.map(|ip| ip.to_string()))
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Forgets `login`'s failures after it signed in.
    pub async fn forget_login(&self, pool: &PgPool, login: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM console_login_failure WHERE login = $1")
            .bind(login)
            .execute(pool)
            .await?;
        Ok(())
    }
}
